package io.emostream.fusion;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.PendingClip;
import io.emostream.tracing.Tracing;
import io.opentelemetry.api.trace.SpanKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emit-and-fuse step of {@link ClipJoinProcessor}: fuses a clip once per rule, in a {@code
 * fusion.fuse} span, and forwards its record to the fused topic (and the JSON view and the
 * all-rules topic when they are on). What happens to the clip's state afterwards is the
 * processor's.
 */
final class ClipEmitter {

  private static final Logger LOG = LoggerFactory.getLogger(ClipEmitter.class);

  private final FusionConfig config;
  private final ClipFuser fuser;
  private final FusionMetrics metrics;
  private final Tracing tracing;
  private final ProcessorContext<String, FusedEmotion> context;

  /** The rules of the all-rules topic ({@link FusionTopology#allRules}). */
  private final List<FusionRule> allRules;

  /**
   * Rules already warned about when left out of the all-rules topic (bounded: one entry per rule).
   */
  private final Set<FusionRule> skippedRulesWarned = EnumSet.noneOf(FusionRule.class);

  ClipEmitter(
      FusionConfig config,
      FusionMetrics metrics,
      Tracing tracing,
      ProcessorContext<String, FusedEmotion> context) {
    this.config = config;
    this.metrics = metrics;
    this.tracing = tracing;
    this.context = context;
    this.fuser =
        new ClipFuser(config.labels(), config.defaultRule(), new FusionRules(config.rules()));
    this.allRules = FusionTopology.allRules(config);
  }

  /**
   * Fuses {@code clip} (each usable prediction aligned once: those in {@code aligned} are not
   * aligned again; each rule applied once) in a {@code fusion.fuse} span and forwards the result.
   *
   * @throws IllegalArgumentException when a prediction cannot be aligned or the clip's rule cannot
   *     run
   */
  void emit(
      String clipId, PendingClip clip, Map<Modality, double[]> aligned, ClipTrace trace, long now) {
    ClipManifest manifest = clip.getManifest();
    Tracing.ClipSpan span =
        tracing.start(
            "fusion.fuse",
            SpanKind.CONSUMER,
            trace.parent(),
            clipId,
            manifest == null ? null : manifest.getSourceId(),
            trace.workers());
    try {
      ClipFuser.Prepared prepared = fuser.prepare(clipId, clip, now, aligned);
      FusionRule own = fuser.ruleOf(clip);
      FusedEmotion fused = fuser.fuse(prepared, own);
      span.status(fused.getStatus().name());
      if (config.emitAllRules()) {
        emitAllRules(prepared, own, fused, span);
      }
      Record<String, FusedEmotion> record = new Record<>(clipId, fused, now, traced(span));
      context.forward(record, FusionTopology.FUSED_SINK);
      if (config.emitJson()) {
        context.forward(record, FusionTopology.FUSED_JSON_PROCESSOR);
      }
      metrics.fused(fused);
      LOG.debug(
          "clip {} fused: {} {} ({} ms after ingest)",
          clipId,
          fused.getStatus(),
          fused.getLabel(),
          fused.getLatencyMs());
    } catch (RuntimeException e) {
      span.fail(e);
      throw e;
    } finally {
      span.close();
    }
  }

  /**
   * Headers of a record published in {@code span}: its trace context (none when tracing is off).
   */
  private static Headers traced(Tracing.ClipSpan span) {
    Headers headers = new RecordHeaders();
    span.inject(headers);
    return headers;
  }

  /**
   * One record per rule of {@link FusionTopology#allRules} to the all-rules topic, in {@link
   * FusionRule} order (LOGISTIC_REGRESSION is not among them when no model is configured: that is
   * logged once at start). A rule that still cannot run on this clip (e.g. no weight for a model)
   * is left out with a WARN naming why, once per rule per task (DEBUG after that), and counted
   * ({@link FusionMetrics}); the clip's own result is unaffected. The clip's own rule is not fused
   * a second time: its record is {@code ownResult}.
   */
  private void emitAllRules(
      ClipFuser.Prepared prepared, FusionRule own, FusedEmotion ownResult, Tracing.ClipSpan span) {
    String clipId = prepared.clipId();
    for (FusionRule rule : allRules) {
      try {
        FusedEmotion result = rule == own ? ownResult : fuser.fuse(prepared, rule);
        context.forward(
            new Record<>(clipId, result, prepared.nowMs(), traced(span)),
            FusionTopology.ALL_RULES_SINK);
      } catch (IllegalArgumentException e) {
        metrics.leftOutOfAllRules(rule);
        if (skippedRulesWarned.add(rule)) {
          LOG.warn(
              "clip {}: rule {} left out of the all-rules topic: {} (later clips: DEBUG)",
              clipId,
              rule,
              e.getMessage());
        } else {
          LOG.debug(
              "clip {}: rule {} left out of the all-rules topic: {}", clipId, rule, e.getMessage());
        }
      }
    }
  }
}
