package io.emostream.fusion;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.topics.Topics;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Measures the heap that fusion's in-memory state keeps per fused clip (its done marker in the
 * pending-clips store and its entry in the due-time index, held for the retention): the production
 * topology on a TopologyTestDriver, 1,000 clips fused first, then {@code clips} more; the heap used
 * after a full collection, before and after, outputs drained each time. Not a test; run it by hand:
 *
 * <pre>
 * mvn -q -o -pl fusion-stream -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.emostream.schemas \
 *     -cp fusion-stream/target/test-classes:fusion-stream/target/classes:$(cat fusion-stream/target/cp.txt) \
 *     io.emostream.fusion.StoreMemoryMain 100000
 * </pre>
 */
public final class StoreMemoryMain {

  private StoreMemoryMain() {}

  public static void main(String[] args) throws Exception {
    int clips = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Topics topics = new Topics("bench.", 1);
    FusionConfig config =
        FusionConfig.of("fusion-bench", topics, KafkaSettings.bootstrap("unused:9092"));
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            FusionTopology.build(config),
            FusionStreamApp.streamsProperties(
                config,
                Map.of(
                    StreamsConfig.STATE_DIR_CONFIG,
                    Files.createTempDirectory("store-memory").toString())))) {
      TestInputTopic<String, ClipManifest> manifests =
          driver.createInputTopic(
              topics.manifests().name(),
              Topics.KEY_SERDE.serializer(),
              topics.manifests().valueSerde().serializer());
      TestInputTopic<String, ModalityPrediction> audio =
          driver.createInputTopic(
              topics.audioPredictions().name(),
              Topics.KEY_SERDE.serializer(),
              topics.audioPredictions().valueSerde().serializer());
      fuse(driver, manifests, audio, 0, 1_000);
      long before = heapUsed();
      fuse(driver, manifests, audio, 1_000, clips);
      long after = heapUsed();
      long entries = driver.getKeyValueStore(FusionTopology.PENDING_STORE).approximateNumEntries();
      System.out.printf(
          Locale.ROOT,
          "%d clips fused (%d entries in %s): heap %+.1f MB, %.0f bytes per fused clip%n",
          clips,
          entries,
          FusionTopology.PENDING_STORE,
          (after - before) / 1e6,
          (after - before) / (double) clips);
    }
  }

  private static void fuse(
      TopologyTestDriver driver,
      TestInputTopic<String, ClipManifest> manifests,
      TestInputTopic<String, ModalityPrediction> audio,
      int from,
      int count) {
    for (int i = from; i < from + count; i++) {
      String clip = UUID.randomUUID().toString(); // clip ids as ingest makes them
      manifests.pipeInput(clip, Clips.manifest(clip, Modality.AUDIO));
      audio.pipeInput(clip, Clips.audio(clip, Clips.SPEECH_HAPPY));
      if (i % 10_000 == 0) {
        drain(driver);
      }
    }
    drain(driver);
  }

  private static void drain(TopologyTestDriver driver) {
    for (String topic : driver.producedTopicNames()) {
      driver
          .createOutputTopic(topic, Topics.KEY_SERDE.deserializer(), new ByteArrayDeserializer())
          .readRecordsToList();
    }
  }

  private static long heapUsed() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
