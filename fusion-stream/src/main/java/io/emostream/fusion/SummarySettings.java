package io.emostream.fusion;

import io.emostream.kafka.Env;
import java.time.Duration;

/**
 * Settings of the per-source summary ({@link SourceSummaryProcessor}), part of {@link
 * FusionConfig}.
 *
 * @param maxWait how long after a source's ENDED event its summary waits for the clips not fused
 *     yet; then it is written with what was fused, {@code complete=false}
 * @param retention how long a source's state is kept without news: a source that never ends is
 *     forgotten (no summary, one WARN) this long after its latest record, and a summarised source's
 *     marker, which drops its duplicate and late records, is kept this long
 */
public record SummarySettings(Duration maxWait, Duration retention) {

  public static final String MAX_WAIT_ENV = "EMOSTREAM_FUSION_SUMMARY_MAX_WAIT";
  public static final String RETENTION_ENV = "EMOSTREAM_FUSION_SUMMARY_RETENTION";

  /**
   * Added to a clip's own max wait for the summary's default: a clip of an ended source is fused at
   * the latest {@code EMOSTREAM_FUSION_MAX_WAIT} after it reached fusion, and then takes two commit
   * intervals to reach the summary; a minute covers that with room to spare.
   */
  public static final Duration MARGIN = Duration.ofMinutes(1);

  /** Longer than any pause of a live source that is still going on. */
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);

  public SummarySettings {
    requirePositive(maxWait, MAX_WAIT_ENV);
    requirePositive(retention, RETENTION_ENV);
  }

  /** The defaults, where a clip may wait up to {@code clipMaxWait} to be fused. */
  public static SummarySettings defaults(Duration clipMaxWait) {
    return new SummarySettings(clipMaxWait.plus(MARGIN), DEFAULT_RETENTION);
  }

  /**
   * From {@code env}; where a clip may wait up to {@code clipMaxWait} ({@code
   * EMOSTREAM_FUSION_MAX_WAIT}) to be fused, the max wait defaults to that plus {@link #MARGIN}.
   */
  public static SummarySettings fromEnv(Env env, Duration clipMaxWait) {
    SummarySettings defaults = defaults(clipMaxWait);
    return new SummarySettings(
        env.duration(MAX_WAIT_ENV, defaults.maxWait()),
        env.duration(RETENTION_ENV, defaults.retention()));
  }

  private static void requirePositive(Duration value, String variable) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(
          variable + " must be a positive duration such as 500ms, 30s or 2m, got " + value);
    }
  }
}
