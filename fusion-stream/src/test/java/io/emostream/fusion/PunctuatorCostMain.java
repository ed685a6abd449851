package io.emostream.fusion;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Measures what the wall-clock punctuator costs with many done markers in the store: the production
 * topology on a TopologyTestDriver, {@code markers} clips fused (each leaves a done marker for the
 * retention), then {@code punctuations} punctuations one interval apart, timed together. Not a test
 * (no timing belongs in one); run it by hand, e.g.
 *
 * <pre>
 * mvn -q -o -pl fusion-stream -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.emostream.schemas \
 *     -cp fusion-stream/target/test-classes:fusion-stream/target/classes:$(cat fusion-stream/target/cp.txt) \
 *     io.emostream.fusion.PunctuatorCostMain 50000 20
 * </pre>
 */
public final class PunctuatorCostMain {

  private PunctuatorCostMain() {}

  public static void main(String[] args) throws Exception {
    int markers = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int punctuations = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Topics topics = new Topics("bench.", 1);
    FusionConfig config =
        FusionConfig.of("fusion-bench", topics, KafkaSettings.bootstrap("unused:9092"));
    Path stateDir = Files.createTempDirectory("punctuator-cost");
    Instant start = Instant.parse("2025-01-01T00:00:00Z");
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            FusionTopology.build(config),
            FusionStreamApp.streamsProperties(
                config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString())),
            start)) {
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
      long fill = System.nanoTime();
      for (int i = 0; i < markers; i++) {
        String clip = "clip-" + i;
        manifests.pipeInput(clip, Clips.manifest(clip, Modality.AUDIO));
        audio.pipeInput(clip, Clips.audio(clip, Clips.SPEECH_HAPPY));
      }
      double fillS = (System.nanoTime() - fill) / 1e9;
      long fused =
          driver
              .createOutputTopic(
                  topics.fused().name(),
                  Topics.KEY_SERDE.deserializer(),
                  topics.fused().valueSerde().deserializer())
              .getQueueSize();
      if (fused != markers) {
        throw new IllegalStateException(
            fused + " clips fused, not " + markers + ": the markers are not all there");
      }
      Duration interval = config.punctuateInterval();
      driver.advanceWallClockTime(interval); // a first punctuation, not timed (JIT, RocksDB caches)
      long t0 = System.nanoTime();
      for (int i = 0; i < punctuations; i++) {
        driver.advanceWallClockTime(interval);
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      System.out.printf(
          Locale.ROOT,
          "%d done markers (filled in %.1f s); %d punctuations: %.1f ms in all, "
              + "%.2f ms each%n",
          markers,
          fillS,
          punctuations,
          ms,
          ms / punctuations);
    }
  }
}
