package io.emostream.ingest;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.embedded.EmbeddedKafkaBroker;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Measures how many clips a second one ingest instance publishes ({@link ClipPublisher}) with a
 * pool of 1 producer and of {@code N}, alternately, on one in-JVM broker: {@code threads} sources
 * publish their clips one after the other, each clip one transaction of a manifest, an audio record
 * of 4 s of 16 kHz PCM (128,000 bytes) and a frame batch of {@code frameKb} kilobytes (32 frames).
 * Not a test (no timing belongs in one); run it by hand, e.g.
 *
 * <pre>
 * mvn -q -o -pl ingest -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp ingest/target/test-classes:ingest/target/classes:$(cat ingest/target/cp.txt) \
 *     io.emostream.ingest.PublishRateMain 4 8 400 200 2
 * </pre>
 *
 * (arguments: pool size, source threads, clips per round, frame KB per clip, rounds per setting).
 */
public final class PublishRateMain {

  private PublishRateMain() {}

  public static void main(String[] args) throws Exception {
    int pool = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    int clips = Integer.parseInt(args[2]);
    int frameKb = Integer.parseInt(args[3]);
    int rounds = Integer.parseInt(args[4]);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start("127.0.0.1", 0, null)) {
      KafkaSettings kafka = KafkaSettings.bootstrap(broker.bootstrapServers());
      Topics topics = new Topics("rate-" + UUID.randomUUID() + ".", 6);
      TopicAdmin.ensureTopics(kafka, topics, (short) 1);
      List<List<ProducerRecord<String, byte[]>>> records = clips(topics, clips, frameKb);
      run(kafka, topics, 1, threads, records); // warm-up
      run(kafka, topics, pool, threads, records);
      for (int round = 1; round <= rounds; round++) {
        for (int size : new int[] {1, pool}) {
          double[] rate = run(kafka, topics, size, threads, records);
          System.out.printf(
              Locale.ROOT,
              "round %d  producers %2d  threads %2d  %4d clips of %d KB frames: %7.1f clips/s,"
                  + " %.2f CPU ms/clip (whole process, broker included)%n",
              round,
              size,
              threads,
              clips,
              frameKb,
              rate[0],
              rate[1]);
        }
      }
    }
  }

  private static List<List<ProducerRecord<String, byte[]>>> clips(
      Topics topics, int count, int frameKb) {
    List<DemuxedClip.SampledFrame> frames = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      frames.add(new DemuxedClip.SampledFrame(i * 125L, 640, 360, new byte[frameKb * 1024 / 32]));
    }
    List<List<ProducerRecord<String, byte[]>>> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      DemuxedClip clip =
          new DemuxedClip(
              i, i * 4000L, i * 4000L + 4000, new byte[128_000], frames, true, true, null);
      out.add(
          ClipPublisher.records(
              topics, "clip-" + UUID.randomUUID(), "rate", "rate.mp4", clip, null, Instant.now()));
    }
    return out;
  }

  /** Clips per second and CPU ms per clip with a pool of {@code size}. */
  private static double[] run(
      KafkaSettings kafka,
      Topics topics,
      int size,
      int threads,
      List<List<ProducerRecord<String, byte[]>>> records)
      throws Exception {
    IngestConfig config =
        IngestConfig.fromEnv(
                new Env(
                    Map.of(
                        KafkaSettings.BOOTSTRAP_ENV,
                        kafka.bootstrapServers(),
                        IngestConfig.PUBLISHERS_ENV,
                        Integer.toString(size))))
            .withKafka(kafka, topics);
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (ClipPublisher publisher =
        new ClipPublisher(config, "rate-" + UUID.randomUUID(), new SimpleMeterRegistry())) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        List<Future<?>> sources = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int first = t;
          sources.add(
              pool.submit(
                  () -> {
                    for (int i = first; i < records.size(); i += threads) {
                      publisher.publish(records.get(i));
                    }
                  }));
        }
        for (Future<?> source : sources) {
          source.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
        return new double[] {records.size() / seconds, cpuMs / records.size()};
      } finally {
        pool.shutdown();
      }
    }
  }
}
