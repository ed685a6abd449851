package io.emostream.cli;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.testkit.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The committed sample video through the embedded pipeline (ingest, both workers with the shipped
 * models, fusion-stream) on the shared test broker, under its own topic prefix, consumer groups and
 * application id: what the integration tests that read the fused output of a real run start from.
 */
final class SampleRun implements AutoCloseable {

  static final Path HOME = Path.of("..");
  static final Path SAMPLE = HOME.resolve("samples/happy-speech.mp4");

  private final EmbeddedPlatform platform;
  private final Map<String, FusedEmotion> fused;

  private SampleRun(EmbeddedPlatform platform, Map<String, FusedEmotion> fused) {
    this.platform = platform;
    this.fused = fused;
  }

  /**
   * Starts the platform with 2 partitions and 2 s segments plus {@code settings}, ingests the
   * sample and waits up to {@code atMost} for the fused record of each of its clips.
   *
   * @param name the start of this run's topic prefix, groups and application id
   */
  static SampleRun start(String name, Map<String, String> settings, Duration atMost)
      throws Exception {
    String run = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_SEGMENT_SECONDS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                run + "-fusion",
                "EMOSTREAM_AUDIO_GROUP_ID",
                run + "-audio",
                "EMOSTREAM_VIDEO_GROUP_ID",
                run + "-video"));
    env.putAll(settings);
    EmbeddedPlatform platform = EmbeddedPlatform.start(new Env(env), HOME, 0);
    try (FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      Set<String> clipIds = new LinkedHashSet<>();
      IngestService.Result result = platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null);
      result.clips().forEach(c -> clipIds.add(c.clipId()));
      return new SampleRun(platform, reader.await(clipIds, atMost, () -> {}));
    } catch (Exception | Error e) {
      platform.close();
      throw e;
    }
  }

  EmbeddedPlatform platform() {
    return platform;
  }

  /** The fused records of the sample's clips, by clip id, as the pipeline's own reader got them. */
  Map<String, FusedEmotion> fused() {
    return fused;
  }

  @Override
  public void close() {
    platform.close();
  }
}
