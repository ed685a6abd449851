package io.emostream.kafka;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The one way emostream reads a duration written by a person, in an environment variable ({@link
 * Env#duration}) or on the command line ({@code ./emostream analyze --timeout}): milliseconds, or a
 * number with a unit suffix.
 */
public final class Durations {

  /** What {@link #parse} accepts, for error messages. */
  public static final String ACCEPTED = "a duration >= 0 such as 500ms, 30s, 2m or 6h";

  private Durations() {}

  /**
   * {@code 500ms}, {@code 30s} (decimals allowed: {@code 1.5s}), {@code 2m}, {@code 6h}, or a bare
   * number of milliseconds; the unit in any case, no space before it. Empty when the text is none
   * of these or negative.
   */
  public static Optional<Duration> parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    try {
      if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        d =
            Duration.ofMillis(
                Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      } else if (s.endsWith("m")) {
        d =
            Duration.ofMillis(
                Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000));
      } else if (s.endsWith("h")) {
        d =
            Duration.ofMillis(
                Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 3_600_000));
      } else {
        d = Duration.ofMillis(Long.parseLong(s));
      }
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return d.isNegative() ? Optional.empty() : Optional.of(d);
  }
}
