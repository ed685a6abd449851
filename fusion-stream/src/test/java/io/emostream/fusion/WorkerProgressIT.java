package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.kafka.WorkerLoopConfig;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fusion waiting for a worker that is alive and behind, giving up on one that falls silent, and
 * restarting without a pause, against the shared real broker: fusion-stream plus a real {@link
 * TransactionalWorkerLoop} (with its progress records) standing in for the video worker, whose
 * "model" takes a set time per clip. Each test prints a "FUSION|…" line with its figures
 * (docs/reliability.md).
 */
class WorkerProgressIT {

  /** Short, so the tests outlast it without taking minutes. */
  private static final Duration TIMEOUT = Duration.ofSeconds(8);

  private static final Duration PUNCTUATE = Duration.ofMillis(500);

  @TempDir Path stateDir;

  private final KafkaSettings settings = KafkaSettings.bootstrap(TestKafka.bootstrapServers());
  private final Topics topics = new Topics("progress-" + UUID.randomUUID() + ".", 2);
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @Test
  void aVideoWorkerBusyWithItsBacklogGetsEveryClipFusedCompleteLongAfterTheTimeout()
      throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    int clips = 12;
    Duration perClip = Duration.ofMillis(1500); // 12 clips: 18 s of backlog, over twice the timeout
    try (FusionStreamApp fusion = fusion();
        KafkaProducer<String, byte[]> producer = producer()) {
      fusion.start();
      for (int i = 0; i < clips; i++) {
        publishClip(producer, clipId(i));
      }
      TransactionalWorkerLoop video =
          videoWorker(record -> LockSupport.parkNanos(perClip.toNanos()));
      Thread thread = new Thread(video, "slow-video-worker");
      thread.start();
      try {
        List<FusedEmotion> fused = fused(clips, Duration.ofSeconds(120));
        long slowest = fused.stream().mapToLong(FusedEmotion::getLatencyMs).max().orElseThrow();
        long complete = fused.stream().filter(f -> f.getStatus() == FusionStatus.COMPLETE).count();
        System.out.printf(
            "FUSION|video worker behind (%s per clip, timeout %s)|clips %d|COMPLETE %d|slowest %d ms%n",
            perClip, TIMEOUT, clips, complete, slowest);

        assertThat(fused)
            .extracting(FusedEmotion::getClipId)
            .doesNotHaveDuplicates()
            .hasSize(clips);
        assertThat(fused)
            .allSatisfy(f -> assertThat(f.getStatus()).isEqualTo(FusionStatus.COMPLETE));
        assertThat(slowest)
            .as("clips waited past the timeout for the worker")
            .isGreaterThan(TIMEOUT.toMillis());
      } finally {
        video.close(Duration.ofSeconds(30));
        thread.join(30_000);
      }
    }
  }

  @Test
  void aKilledVideoWorkerIsGivenUpOnWithinATimeoutOfItsDeath() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    int clips = 8;
    try (FusionStreamApp fusion = fusion();
        KafkaProducer<String, byte[]> producer = producer()) {
      fusion.start();
      // the real loop in a child JVM, 3 s per clip; killed (SIGKILL: no hooks, no close) after its
      // 2nd prediction
      Path log = Path.of("target", "slow-video-worker-" + run + ".log");
      Process worker =
          childJvm(
              SlowVideoWorker.class,
              log,
              TestKafka.bootstrapServers(),
              topics.prefix(),
              "2",
              "progress-video-" + run,
              "3000");
      long killedAtMs;
      try {
        // its first heartbeat: it is up and owns its partitions
        TopicReader.readCommitted(
            TestKafka.bootstrapServers(),
            topics.workerProgress().name(),
            1,
            Duration.ofSeconds(90),
            Duration.ZERO);
        for (int i = 0; i < clips; i++) {
          publishClip(producer, clipId(i));
        }
        TopicReader.readCommitted(
            TestKafka.bootstrapServers(),
            topics.videoPredictions().name(),
            2,
            Duration.ofSeconds(90),
            Duration.ZERO);
      } finally {
        worker.destroyForcibly();
        killedAtMs = System.currentTimeMillis();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }

      List<FusedEmotion> fused = fused(clips, Duration.ofSeconds(120));
      List<FusedEmotion> audioOnly =
          fused.stream().filter(f -> f.getStatus() == FusionStatus.AUDIO_ONLY).toList();
      long firstFallback =
          audioOnly.stream().mapToLong(f -> f.getFusedAtMs().toEpochMilli()).min().orElseThrow();
      long lastFallback =
          audioOnly.stream().mapToLong(f -> f.getFusedAtMs().toEpochMilli()).max().orElseThrow();
      System.out.printf(
          "FUSION|video worker killed (SIGKILL) after its 2nd prediction (timeout %s)|clips %d|COMPLETE %d"
              + "|AUDIO_ONLY %d|fallback %d to %d ms after the kill%n",
          TIMEOUT,
          clips,
          clips - audioOnly.size(),
          audioOnly.size(),
          firstFallback - killedAtMs,
          lastFallback - killedAtMs);

      assertThat(fused).extracting(FusedEmotion::getClipId).doesNotHaveDuplicates().hasSize(clips);
      assertThat(clips - audioOnly.size())
          .as("the clips it predicted before the kill")
          .isBetween(2, 3);
      // its last heartbeat was at most one heartbeat interval before the kill; then one timeout,
      // one punctuation
      // and one commit interval
      assertThat(lastFallback - killedAtMs).isLessThan(TIMEOUT.plusSeconds(2).toMillis());
      assertThat(firstFallback - killedAtMs)
          .as("it was waited for while alive")
          .isGreaterThan(
              TIMEOUT.minus(TransactionalWorkerLoop.HEARTBEAT_INTERVAL).minusSeconds(1).toMillis());
    }
  }

  @Test
  void withNoVideoWorkerAtAllClipsAreFusedAudioOnlyAtTheTimeout() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    int clips = 4;
    try (FusionStreamApp fusion = fusion();
        KafkaProducer<String, byte[]> producer = producer()) {
      fusion.start();
      // the timeout counts from when fusion reads a clip, so fusion's own start (its rebalance,
      // seconds on a loaded machine) is kept out of the measure
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> fusion.state() == KafkaStreams.State.RUNNING);
      long sent = System.currentTimeMillis();
      for (int i = 0; i < clips; i++) {
        publishClip(producer, clipId(i));
      }
      List<FusedEmotion> fused = fused(clips, Duration.ofSeconds(60));
      long last = fused.get(clips - 1).getFusedAtMs().toEpochMilli() - sent;
      System.out.printf(
          "FUSION|no video worker (timeout %s)|clips %d|AUDIO_ONLY %d|last fused %d ms after publishing%n",
          TIMEOUT,
          clips,
          fused.stream().filter(f -> f.getStatus() == FusionStatus.AUDIO_ONLY).count(),
          last);

      assertThat(fused)
          .allSatisfy(f -> assertThat(f.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY));
      assertThat(last).isBetween(TIMEOUT.toMillis(), TIMEOUT.plusSeconds(3).toMillis());
    }
  }

  @Test
  void aRestartedFusionFusesTheFirstNewClipWithinFiveSeconds() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    try (KafkaProducer<String, byte[]> producer = producer()) {
      try (FusionStreamApp first = fusion()) {
        first.start();
        publishComplete(producer, clipId(0));
        fused(1, Duration.ofSeconds(60));
      } // closed: it leaves the group
      try (FusionStreamApp second = fusion()) {
        second.start();
        long sent = System.currentTimeMillis();
        publishComplete(producer, clipId(1));
        List<FusedEmotion> fused = fused(2, Duration.ofSeconds(90));
        long took = fused.get(1).getFusedAtMs().toEpochMilli() - sent;
        System.out.printf(
            "FUSION|fusion-stream restarted (same application id and state)|first new clip fused %d ms "
                + "after it was published%n",
            took);

        assertThat(fused.get(1).getClipId()).isEqualTo(clipId(1));
        assertThat(took).isLessThan(5_000);
      }
    }
  }

  private FusionStreamApp fusion() {
    FusionConfig config =
        FusionConfig.of(
            "progress-fusion-" + run,
            FusionRule.AVERAGE,
            TIMEOUT,
            PUNCTUATE,
            FusionConfig.DEFAULT_DONE_RETENTION,
            FusionConfig.DEFAULT_LABELS,
            topics,
            settings);
    return new FusionStreamApp(
        config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()), meters);
  }

  /**
   * A video worker: the real loop with progress records; {@code model} is what predicting one clip
   * does.
   */
  private TransactionalWorkerLoop videoWorker(Consumer<ConsumerRecord<String, byte[]>> model) {
    return new TransactionalWorkerLoop(
        settings,
        WorkerLoopConfig.of(
                "video-worker",
                "progress-video-" + run,
                "progress-video-tx-" + run,
                topics.frames().name(),
                topics.deadLetters().name())
            .withProgress(topics.workerProgress())
            .withBatching(1, Duration.ZERO),
        new TransactionalWorkerLoop.RecordProcessor() {
          @Override
          public List<ProducerRecord<String, byte[]>> process(
              ConsumerRecord<String, byte[]> record) {
            model.accept(record);
            return List.of(
                new ProducerRecord<>(
                    topics.videoPredictions().name(),
                    record.key(),
                    encode(topics.videoPredictions(), Clips.video(record.key(), Clips.FACE_SAD))));
          }
        },
        meters,
        Clock.systemUTC());
  }

  /**
   * What ingest and the audio worker would have published: manifest, frames (content unused) and
   * audio prediction.
   */
  private void publishClip(KafkaProducer<String, byte[]> producer, String clipId) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topics.manifests().name(),
                clipId,
                encode(
                    topics.manifests(),
                    ClipManifest.newBuilder(Clips.manifest(clipId, Modality.AUDIO, Modality.VIDEO))
                        .setIngestTimeMs(Instant.now())
                        .build())))
        .get();
    producer.send(new ProducerRecord<>(topics.frames().name(), clipId, new byte[] {1})).get();
    producer
        .send(
            new ProducerRecord<>(
                topics.audioPredictions().name(),
                clipId,
                encode(topics.audioPredictions(), Clips.audio(clipId, Clips.SPEECH_HAPPY))))
        .get();
  }

  private void publishComplete(KafkaProducer<String, byte[]> producer, String clipId)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topics.manifests().name(),
                clipId,
                encode(topics.manifests(), Clips.manifest(clipId, Modality.AUDIO, Modality.VIDEO))))
        .get();
    producer
        .send(
            new ProducerRecord<>(
                topics.audioPredictions().name(),
                clipId,
                encode(topics.audioPredictions(), Clips.audio(clipId, Clips.SPEECH_HAPPY))))
        .get();
    producer
        .send(
            new ProducerRecord<>(
                topics.videoPredictions().name(),
                clipId,
                encode(topics.videoPredictions(), Clips.video(clipId, Clips.FACE_SAD))))
        .get();
  }

  private List<FusedEmotion> fused(int expected, Duration atMost) {
    List<FusedEmotion> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record :
        TopicReader.readCommitted(
            TestKafka.bootstrapServers(),
            topics.fused().name(),
            expected,
            atMost,
            Duration.ofSeconds(1))) {
      out.add(
          topics
              .fused()
              .valueSerde()
              .deserializer()
              .deserialize(topics.fused().name(), record.value()));
    }
    out.sort(Comparator.comparing(FusedEmotion::getFusedAtMs));
    return out;
  }

  private String clipId(int i) {
    return "clip-" + run + "-" + i;
  }

  private static <V> byte[] encode(Topics.Topic<V> topic, V value) {
    return topic.valueSerde().serializer().serialize(topic.name(), value);
  }

  private KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(
        settings.with(
            Map.of(
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
  }

  /** Starts {@code main} in a child JVM with the test class path. */
  private static Process childJvm(Class<?> main, Path log, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
