package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.testkit.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Restart without a pause: the four services of the embedded platform (real models) are stopped and
 * started again on the same broker with the same groups and application id, like {@code ./emostream
 * up} restarted on its data; the first upload after the restart must be fused within 5 s of its
 * clip being published. Prints a "RESTART|…" line with the next upload's figures for comparison
 * (docs/reliability.md).
 */
class RestartIT {

  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static final Path SAMPLE = HOME.resolve("samples/happy-speech.mp4");

  @Test
  void theFirstUploadAfterARestartIsFusedWithinFiveSeconds() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX", "restart-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS", "2",
                "EMOSTREAM_FUSION_APP_ID", "restart-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID", "restart-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID", "restart-video-" + run));

    Timing before;
    try (EmbeddedPlatform first = EmbeddedPlatform.start(env, HOME, 0)) {
      before = uploadAndAwait(first, "before.mp4");
    } // every service closed: fusion-stream and both workers leave their groups
    try (EmbeddedPlatform second = EmbeddedPlatform.start(env, HOME, 0)) {
      Timing after = uploadAndAwait(second, "after.mp4");
      Timing steady = uploadAndAwait(second, "steady.mp4");
      System.out.printf(
          "RESTART|services restarted on the same broker, groups and application id|first upload after "
              + "the restart: %s|next upload: %s|first upload before the restart (cold models): %s%n",
          after, steady, before);

      // the pause was a group session timeout (45 s); what is left is the clip's own work, as in
      // the next upload
      assertThat(after.publishedToFusedMs()).isLessThan(5_000);
    }
  }

  /**
   * An upload: demuxing and publishing its clip, then models and fusion until its result is read.
   */
  record Timing(long publishMs, long publishedToFusedMs) {
    @Override
    public String toString() {
      return "published in " + publishMs + " ms, fused " + publishedToFusedMs + " ms later";
    }
  }

  /** Ingests the sample and waits for its fused result. */
  private static Timing uploadAndAwait(EmbeddedPlatform platform, String name) throws Exception {
    try (FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      long start = System.nanoTime();
      IngestService.Result result = platform.ingest().ingest(SAMPLE, name, null);
      long published = System.nanoTime();
      Set<String> clipIds = new LinkedHashSet<>();
      result.clips().forEach(c -> clipIds.add(c.clipId()));
      Map<String, FusedEmotion> fused = reader.await(clipIds, Duration.ofSeconds(90), () -> {});
      long done = System.nanoTime();
      assertThat(fused.keySet()).containsExactlyInAnyOrderElementsOf(clipIds);
      assertThat(fused.values())
          .allSatisfy(f -> assertThat(f.getStatus()).isEqualTo(FusionStatus.COMPLETE));
      return new Timing(
          Duration.ofNanos(published - start).toMillis(),
          Duration.ofNanos(done - published).toMillis());
    }
  }
}
