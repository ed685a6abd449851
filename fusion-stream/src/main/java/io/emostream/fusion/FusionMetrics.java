package io.emostream.fusion;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Meters of fusion-stream. In: every fused result as it is emitted. Out: {@code emostream.fused}
 * (count, tags {@code status} and {@code rule}) and {@code emostream.end.to.end} (ingest to fused,
 * a histogram), and {@code emostream.all.rules.left.out} (count, tag {@code rule}: results left out
 * of the all-rules topic because the rule could not run on the clip). Counted when the result is
 * forwarded: a task that fails before its transaction commits re-emits, and counts, again.
 */
public final class FusionMetrics {

  private final MeterRegistry meters;
  private final Timer endToEnd;

  public FusionMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.endToEnd =
        Timer.builder("emostream.end.to.end")
            .description("from ingest of a clip to its fused result")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(10))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(meters);
  }

  /**
   * A rule that could not run on a clip and was left out of the all-rules topic (see
   * ClipJoinProcessor).
   */
  void leftOutOfAllRules(FusionRule rule) {
    Counter.builder("emostream.all.rules.left.out")
        .tag("rule", rule.name())
        .description(
            "rule results left out of the all-rules topic because the rule could not run on the clip")
        .register(meters)
        .increment();
  }

  void fused(FusedEmotion fused) {
    Counter.builder("emostream.fused")
        .tag("status", fused.getStatus().name())
        .tag("rule", fused.getRule().name())
        .description("fused results published")
        .register(meters)
        .increment();
    if (fused.getLatencyMs() >= 0) {
      endToEnd.record(fused.getLatencyMs(), TimeUnit.MILLISECONDS);
    }
  }
}
