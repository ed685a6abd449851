package io.emostream.cli;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaClients;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import java.nio.file.Path;
import java.time.Duration;
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
 * is the core-seconds per media-second, and its inverse the real-time streams one core carries.
 * Payload: the bytes of the records ingest publishes per clip, by topic ({@link BenchMedia}).
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

  static Run endToEnd(Env env, Path home, Path media, Duration timeout) throws Exception {
    Alternation clock = Alternation.ofThisProcess();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        KafkaConsumer<String, FusedEmotion> reader =
            KafkaClients.readerFromEnd(
                platform.kafka(), "emostream-bench-", platform.topics().fused())) {
      Map<FusionStatus, Integer> statuses = new EnumMap<>(FusionStatus.class);
      long[] fusedBytes = new long[1];
      double[] mediaMs = new double[1];
      Alternation.Timing timing =
          clock.timed(
              () -> {
                IngestService.Result result =
                    platform.ingest().ingest(media, media.getFileName().toString(), null);
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
                        waiting.size()
                            + " of "
                            + segments
                            + " segments not fused within "
                            + timeout);
                  }
                  for (ConsumerRecord<String, FusedEmotion> r :
                      reader.poll(Duration.ofMillis(100))) {
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
