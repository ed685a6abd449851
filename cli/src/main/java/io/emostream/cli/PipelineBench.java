package io.emostream.cli;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaClients;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * The end-to-end and payload stages of {@code bench}. End to end: the embedded platform (in-JVM
 * broker, ingest, both workers, fusion, as {@code analyze} runs them) started first and not
 * counted, then one media file ingested and every segment's fused result read {@code
 * read_committed}; the process CPU from the ingest call to the last result over the media's length
 * is the core-seconds per media-second, and its inverse the real-time streams one core carries. The
 * first pass is the cold figure (the JIT compiles the whole path then); after unmeasured warm-up
 * passes of the same file under fresh names, the steady passes are the figure a long-running
 * service sees, with their CPU split by thread group ({@link ThreadCpu}). Payload: the bytes of the
 * records ingest publishes per clip, by topic ({@link BenchMedia}).
 */
final class PipelineBench {

  private PipelineBench() {}

  /** What one end-to-end run measured. */
  record Run(
      double mediaSeconds,
      double wallSeconds,
      double cpuSeconds,
      int segments,
      Map<FusionStatus, Integer> statuses,
      long fusedBytes) {

    double coreSecondsPerMediaSecond() {
      return cpuSeconds / mediaSeconds;
    }

    double realTimeStreamsPerCore() {
      return mediaSeconds / cpuSeconds;
    }

    double completeShare() {
      return statuses.getOrDefault(FusionStatus.COMPLETE, 0) / (double) segments;
    }
  }

  /**
   * The first pass after start (cold: the JIT compiles the path, caches fill), then {@code
   * warmupPasses} of the same file under fresh names not measured, then {@code steadyPasses}
   * measured (the steady state a long-running service reaches), with the steady passes' CPU by
   * thread group ({@link ThreadCpu}; empty off Linux).
   */
  record Passes(Run first, int warmupPasses, List<Run> steady, Map<String, Double> steadyCpu) {

    /** The steady passes together: their media and CPU summed, statuses added up. */
    Run steadyTotal() {
      Map<FusionStatus, Integer> statuses = new EnumMap<>(FusionStatus.class);
      double media = 0;
      double wall = 0;
      double cpu = 0;
      int segments = 0;
      long bytes = 0;
      for (Run run : steady) {
        media += run.mediaSeconds();
        wall += run.wallSeconds();
        cpu += run.cpuSeconds();
        segments += run.segments();
        bytes += run.fusedBytes();
        run.statuses().forEach((status, n) -> statuses.merge(status, n, Integer::sum));
      }
      return new Run(media, wall, cpu, segments, statuses, bytes);
    }
  }

  static Passes endToEnd(
      Env env, Path home, Path media, int warmupPasses, int steadyPasses, Duration timeout)
      throws Exception {
    Alternation clock = Alternation.ofThisProcess();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        KafkaConsumer<String, FusedEmotion> reader =
            KafkaClients.readerFromEnd(
                platform.kafka(), "emostream-bench-", platform.topics().fused())) {
      Run first = pass(platform, reader, clock, media, "cold", timeout);
      for (int i = 1; i <= warmupPasses; i++) {
        pass(platform, reader, clock, media, "warm-up " + i, timeout);
      }
      Map<String, ThreadCpu.Sample> before = ThreadCpu.snapshot();
      List<Run> steady = new ArrayList<>();
      for (int i = 1; i <= steadyPasses; i++) {
        steady.add(pass(platform, reader, clock, media, "steady " + i, timeout));
      }
      Map<String, ThreadCpu.Sample> after = ThreadCpu.snapshot();
      Map<String, Double> byGroup = after.isEmpty() ? Map.of() : ThreadCpu.byGroup(before, after);
      return new Passes(first, warmupPasses, steady, byGroup);
    }
  }

  private static Run pass(
      EmbeddedPlatform platform,
      KafkaConsumer<String, FusedEmotion> reader,
      Alternation clock,
      Path media,
      String name,
      Duration timeout)
      throws Exception {
    Map<FusionStatus, Integer> statuses = new EnumMap<>(FusionStatus.class);
    long[] fusedBytes = new long[1];
    double[] mediaMs = new double[1];
    Alternation.Timing timing =
        clock.timed(
            () -> {
              IngestService.Result result =
                  platform.ingest().ingest(media, media.getFileName() + " (" + name + ")", null);
              Set<String> waiting = new HashSet<>();
              for (IngestService.Clip clip : result.clips()) {
                waiting.add(clip.clipId());
                mediaMs[0] = Math.max(mediaMs[0], clip.endMs());
              }
              int segments = waiting.size();
              long deadline = System.nanoTime() + timeout.toNanos();
              while (!waiting.isEmpty()) {
                if (System.nanoTime() > deadline) {
                  throw new IllegalStateException(
                      waiting.size() + " of " + segments + " segments not fused within " + timeout);
                }
                for (ConsumerRecord<String, FusedEmotion> r : reader.poll(Duration.ofMillis(100))) {
                  if (waiting.remove(r.key())) {
                    statuses.merge(r.value().getStatus(), 1, Integer::sum);
                    fusedBytes[0] += r.serializedValueSize();
                  }
                }
              }
              return Alternation.Done.items(segments);
            });
    return new Run(
        mediaMs[0] / 1000,
        timing.wallMs() / 1000,
        timing.cpuMs() / 1000,
        timing.items(),
        statuses,
        fusedBytes[0]);
  }

  /** Mean bytes per clip of each topic's records; a topic without records is left out. */
  static Map<String, Double> bytesPerClip(Map<String, List<byte[]>> byTopic, int clips) {
    Map<String, Double> out = new LinkedHashMap<>();
    byTopic.forEach(
        (topic, values) ->
            out.put(topic, values.stream().mapToLong(v -> v.length).sum() / (double) clips));
    return out;
  }
}
