package io.emostream.cli;

import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.IngestService;
import io.emostream.ingest.LiveSources;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.schemas.FusionRule;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * {@code ./emostream analyze URL}: pulls one live source on the embedded platform ({@link
 * LiveSources}, as {@code POST /streams} does) and prints each segment as soon as it is fused, a
 * table row or with {@code --json} a JSON line; ends once the source has ended and each of its
 * segments is fused, or no result came for {@code timeout} after it ended. Asked to stop (the first
 * Ctrl-C or SIGTERM: {@code OrderlyStop#interceptFirstSignal}), it stops the source as {@code
 * DELETE /streams/{id}} does and goes on printing until its last segments are fused, so what was
 * published is shown; a second signal stops the process at once.
 */
final class LiveAnalysis {

  private LiveAnalysis() {}

  /** Whether an argument of {@code analyze} is a live source's URL rather than a path. */
  static boolean isUrl(String arg) {
    int colon = arg.indexOf("://");
    return colon > 0 && arg.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
  }

  /**
   * Runs it; 0 when every segment of a source that completed or was stopped (also by {@code
   * stopRequested}) was fused, 1 otherwise (the source timed out or failed, or a segment had no
   * result).
   */
  static int run(
      EmbeddedPlatform platform,
      String url,
      FusionRule rule,
      ChannelSelection channels,
      String sourceId,
      boolean json,
      Duration timeout,
      BooleanSupplier stopRequested,
      PrintStream out,
      PrintStream err) {
    try (FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      LiveSources.Status started =
          platform.live().start(new LiveSources.Request(url, null, rule, channels, sourceId));
      err.printf("live source %s: pulling %s%n", started.sourceId(), started.url());
      CompletableFuture<IngestService.LiveResult> done =
          platform.live().done(started.sourceId()).orElseThrow();
      Map<String, FusedEmotion> fused = new LinkedHashMap<>();
      ResultFormat.Streaming table = json ? null : new ResultFormat.Streaming(started.url());
      if (table != null) {
        out.print(table.header());
      }
      Instant quietSince = Instant.now();
      boolean stopping = false;
      while (true) {
        if (!stopping && stopRequested.getAsBoolean()) {
          stopping = true;
          err.printf(
              "live source %s: stopping; the segments still in flight follow (a second Ctrl-C or SIGTERM quits"
                  + " at once)%n",
              started.sourceId());
          platform.live().stop(started.sourceId());
        }
        for (FusedEmotion segment : reader.poll(Duration.ofMillis(200))) {
          if (started.sourceId().equals(segment.getSourceId())
              && fused.putIfAbsent(segment.getClipId(), segment) == null) {
            quietSince = Instant.now();
            print(segment, table, out);
          }
        }
        if (done.isDone()) {
          IngestService.LiveResult result = done.join();
          Set<String> expected =
              result.result().clips().stream()
                  .map(IngestService.Clip::clipId)
                  .collect(Collectors.toSet());
          boolean all = fused.keySet().containsAll(expected);
          if (all || Duration.between(quietSince, Instant.now()).compareTo(timeout) > 0) {
            return finish(result, expected, fused, err);
          }
        }
      }
    }
  }

  /** One segment: a row of {@code table}, or a JSON line when it is null. */
  private static void print(FusedEmotion segment, ResultFormat.Streaming table, PrintStream out) {
    out.print(
        table == null
            ? FusedSegmentJson.line(segment) + System.lineSeparator()
            : table.row(segment));
    out.flush();
  }

  private static int finish(
      IngestService.LiveResult result,
      Set<String> expected,
      Map<String, FusedEmotion> fused,
      PrintStream err) {
    long missing = expected.stream().filter(id -> !fused.containsKey(id)).count();
    err.printf(
        "live source %s ended (%s) at %.1f s: %d segment(s) published, %d fused%n",
        result.result().sourceId(),
        result.endReason(),
        result.mediaTimeMs() / 1000.0,
        expected.size(),
        expected.size() - missing);
    boolean ok = result.endReason().equals("completed") || result.endReason().equals("stopped");
    return ok && missing == 0 ? 0 : 1;
  }
}
