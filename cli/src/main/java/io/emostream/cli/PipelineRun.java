package io.emostream.cli;

import io.emostream.cli.DatasetLabels.LabelledFile;
import io.emostream.fusion.FusionConfig;
import io.emostream.ingest.IngestException;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaClients;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.topics.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Runs labelled files through the real pipeline (the embedded platform: in-JVM broker, ingest, both
 * workers, fusion-stream with {@code EMOSTREAM_FUSION_EMIT_ALL_RULES=true}) and collects, per clip,
 * the result of every rule from the all-rules topic and the clip's own result from the fused topic,
 * read {@code read_committed} like any consumer.
 */
final class PipelineRun {

  /** One clip (segment) of a labelled file and what fusion published for it. */
  record ClipOutcome(
      LabelledFile file, String clipId, FusedEmotion fused, Map<FusionRule, FusedEmotion> byRule) {}

  /**
   * After the last clip's own result, how long to keep reading for records of the same
   * transactions.
   */
  private static final Duration DRAIN = Duration.ofSeconds(2);

  /** Why a labelled file that ingest refused is left out (its own error is on stderr). */
  static final String NOT_ANALYSED =
      "could not be analysed (damaged, unreadable or not media: see stderr)";

  private PipelineRun() {}

  static List<ClipOutcome> run(
      Env env,
      Path home,
      List<LabelledFile> files,
      FusionRule rule,
      Duration timeout,
      List<DatasetLabels.LeftOut> leftOut,
      PrintStream err)
      throws Exception {
    Map<String, String> vars = new HashMap<>(env.asMap());
    vars.put(FusionConfig.EMIT_ALL_RULES_ENV, "true");
    Env withAllRules = new Env(vars);
    Map<String, LabelledFile> fileOf = new LinkedHashMap<>();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(withAllRules, home, 0);
        KafkaConsumer<String, FusedEmotion> consumer = consumer(platform)) {
      int i = 0;
      for (LabelledFile file : files) {
        try {
          IngestService.Result result =
              platform.ingest().ingest(file.path(), Inputs.displayName(file.path()), rule);
          result.clips().forEach(c -> fileOf.put(c.clipId(), file));
        } catch (IngestException e) {
          err.printf("emostream: %s: %s (left out)%n", file.path(), e.getMessage());
          leftOut.add(new DatasetLabels.LeftOut(file.path(), file.corpus(), NOT_ANALYSED));
        }
        if (++i % 50 == 0) {
          err.printf("ingested %d/%d files%n", i, files.size());
        }
      }
      err.printf(
          "ingested %d files: %d segments; waiting for the fused results%n",
          files.size(), fileOf.size());
      return collect(consumer, platform.topics(), fileOf, timeout, err);
    }
  }

  private static KafkaConsumer<String, FusedEmotion> consumer(EmbeddedPlatform platform) {
    Topics topics = platform.topics(); // positioned at the ends before anything is ingested
    return KafkaClients.readerFromEnd(
        platform.kafka(), "emostream-evaluate-", topics.fused(), topics.fusedAllRules());
  }

  private static List<ClipOutcome> collect(
      KafkaConsumer<String, FusedEmotion> consumer,
      Topics topics,
      Map<String, LabelledFile> fileOf,
      Duration timeout,
      PrintStream err) {
    Map<String, FusedEmotion> fused = new HashMap<>();
    Map<String, Map<FusionRule, FusedEmotion>> byRule = new HashMap<>();
    Instant deadline = Instant.now().plus(timeout);
    Instant drainUntil = null;
    while (Instant.now().isBefore(deadline)
        && (drainUntil == null || Instant.now().isBefore(drainUntil))) {
      for (ConsumerRecord<String, FusedEmotion> record : consumer.poll(Duration.ofMillis(200))) {
        if (!fileOf.containsKey(record.key())) {
          continue;
        }
        if (record.topic().equals(topics.fused().name())) {
          if (fused.putIfAbsent(record.key(), record.value()) == null && fused.size() % 50 == 0) {
            err.printf("fused %d/%d segments%n", fused.size(), fileOf.size());
          }
        } else {
          byRule
              .computeIfAbsent(record.key(), k -> new EnumMap<>(FusionRule.class))
              .putIfAbsent(record.value().getRule(), record.value());
        }
      }
      if (drainUntil == null && fused.size() == fileOf.size()) {
        drainUntil = Instant.now().plus(DRAIN);
      }
    }
    List<ClipOutcome> out = new ArrayList<>();
    fileOf.forEach(
        (clipId, file) -> {
          if (fused.containsKey(clipId)) {
            out.add(
                new ClipOutcome(
                    file, clipId, fused.get(clipId), byRule.getOrDefault(clipId, Map.of())));
          } else {
            err.printf(
                "emostream: no fused result for segment %s (%s) within %s (left out)%n",
                clipId, file.path(), timeout);
          }
        });
    return out;
  }
}
