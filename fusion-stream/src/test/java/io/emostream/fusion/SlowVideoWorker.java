package io.emostream.fusion;

import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.kafka.WorkerLoopConfig;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Test-only main, run in a child JVM by {@link WorkerProgressIT} so it can be killed: a video
 * worker on the real {@link TransactionalWorkerLoop} (progress records included) whose "model"
 * takes {@code args[4]} ms per clip and answers {@link Clips#FACE_SAD}. Args: bootstrap servers,
 * topic prefix, partitions, group id, ms per clip.
 */
public final class SlowVideoWorker {

  private SlowVideoWorker() {}

  public static void main(String[] args) {
    Topics topics = new Topics(args[1], Integer.parseInt(args[2]));
    Duration perClip = Duration.ofMillis(Long.parseLong(args[4]));
    TransactionalWorkerLoop loop =
        new TransactionalWorkerLoop(
            KafkaSettings.bootstrap(args[0]),
            WorkerLoopConfig.of(
                    "video-worker",
                    args[3],
                    args[3] + "-tx",
                    topics.frames().name(),
                    topics.deadLetters().name())
                .withProgress(topics.workerProgress())
                .withBatching(1, Duration.ZERO),
            new TransactionalWorkerLoop.RecordProcessor() {
              @Override
              public List<ProducerRecord<String, byte[]>> process(
                  ConsumerRecord<String, byte[]> record) {
                LockSupport.parkNanos(perClip.toNanos()); // the simulated model's run time
                return List.of(
                    topics
                        .videoPredictions()
                        .record(record.key(), Clips.video(record.key(), Clips.FACE_SAD)));
              }
            },
            new SimpleMeterRegistry(),
            Clock.systemUTC());
    System.err.println("SlowVideoWorker: consuming " + topics.frames().name());
    loop.run();
  }
}
