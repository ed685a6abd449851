package io.emostream.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Typed, validated access to environment variables. A malformed value fails at start-up with a
 * message naming the variable and what it accepts, never deep inside a service.
 */
public final class Env {

  private static final String PREFIX = "EMOSTREAM_";

  /**
   * Every {@code EMOSTREAM_*} variable the product reads (and {@code ./emostream}'s own), one per
   * line; {@code VariablesCatalogueTest} keeps it equal to the names in the sources.
   */
  static final String CATALOGUE = "variables.txt";

  private final Map<String, String> vars;

  public Env(Map<String, String> vars) {
    this.vars = Map.copyOf(vars);
  }

  public static Env system() {
    return new Env(System.getenv());
  }

  public Map<String, String> asMap() {
    return vars;
  }

  public Optional<String> optional(String name) {
    String value = vars.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public int integer(String name, int defaultValue, int min, int max) {
    return number(
        name,
        defaultValue,
        Integer::valueOf,
        v -> v >= min && v <= max,
        "a whole number from " + min + " to " + max);
  }

  public double decimal(String name, double defaultValue, double min, double max) {
    return number(
        name,
        defaultValue,
        Double::valueOf,
        v -> v >= min && v <= max, // false for NaN
        "a number from " + plain(min) + " to " + plain(max));
  }

  /** A bound as a person writes it: 1 not 1.0, 1099511627776 not 1.099511627776E12. */
  static String plain(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : BigDecimal.valueOf(v).toPlainString();
  }

  /** A number in range, else a clear error naming what is accepted; the default when unset. */
  private <T> T number(
      String name,
      T defaultValue,
      Function<String, T> parse,
      Predicate<T> inRange,
      String accepted) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    T value;
    try {
      value = parse.apply(raw.get());
    } catch (NumberFormatException e) {
      throw invalid(name, raw.get(), accepted);
    }
    if (!inRange.test(value)) {
      throw invalid(name, raw.get(), accepted);
    }
    return value;
  }

  /**
   * A duration as {@link Durations#parse} reads it: {@code 500ms}, {@code 30s}, {@code 2m} or
   * milliseconds.
   */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return Durations.parse(raw.get())
        .orElseThrow(() -> invalid(name, raw.get(), Durations.ACCEPTED));
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw invalid(name, raw.get(), "true or false (or on/off, yes/no, 1/0)");
    };
  }

  public Path path(String name, Path defaultValue) {
    return optional(name).map(Path::of).orElse(defaultValue);
  }

  public <E extends Enum<E>> E enumValue(String name, Class<E> type, E defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return Enum.valueOf(type, raw.get().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw invalid(name, raw.get(), "one of " + Arrays.toString(type.getEnumConstants()));
    }
  }

  /**
   * One warning per {@code EMOSTREAM_*} variable of this environment that emostream does not know
   * (none of {@link #known}), with the closest known name when one is within two edits. A typo
   * ({@code EMOSTREAM_SEGMENT_SECOND=2}) was silently ignored and the run used the default (found
   * by a hostile-user pass).
   */
  public List<String> unknownWarnings() {
    Set<String> known = known();
    List<String> warnings = new ArrayList<>();
    for (String name : new TreeSet<>(vars.keySet())) {
      if (!name.startsWith(PREFIX) || known.contains(name)) {
        continue;
      }
      String closest = null;
      int best = 3;
      for (String candidate : known) {
        int d = editDistance(name, candidate);
        if (d < best) {
          best = d;
          closest = candidate;
        }
      }
      warnings.add(
          name
              + " is not a variable emostream reads; it is ignored"
              + (closest == null
                  ? " (README's Configuration lists them)"
                  : " (did you mean " + closest + "?)"));
    }
    return warnings;
  }

  /** The catalogue's names, sorted. */
  public static Set<String> known() {
    try (InputStream in = Env.class.getResourceAsStream(CATALOGUE)) {
      if (in == null) {
        throw new IllegalStateException(CATALOGUE + " is missing from the class path");
      }
      return new TreeSet<>(
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .map(String::strip)
              .filter(l -> !l.isEmpty())
              .toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Levenshtein distance. Pure. */
  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private static IllegalArgumentException invalid(String name, String value, String accepted) {
    return new IllegalArgumentException(
        "environment variable " + name + "='" + value + "' is not valid: expected " + accepted);
  }
}
