package io.emostream.cli;

import io.emostream.fusion.FusionRules;
import io.emostream.kafka.Durations;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.TypeConversionException;

/**
 * A command of {@code ./emostream}: its own options and {@code --help}; the streams, environment
 * and home folder come from {@link Main} when it runs.
 */
abstract class CliCommand implements Callable<Integer> {

  @ParentCommand private Main main;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help and exit")
  private boolean help;

  PrintStream out;
  PrintStream err;
  InputStream in;
  Env env;
  Path home;
  boolean interactive;

  @Override
  public final Integer call() throws Exception {
    out = main.out;
    err = main.err;
    in = main.in;
    env = main.env;
    home = main.home;
    interactive = main.interactive;
    return execute();
  }

  /** {@code --verbose} was given (before or after the command's name). */
  final boolean verbose() {
    return main.verbose;
  }

  /** Runs the command; answers its exit code. */
  abstract int execute() throws Exception;

  /**
   * {@code --timeout 90s}: the same syntax as every duration in the environment ({@link
   * Durations}).
   */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration parsed =
          Durations.parse(value)
              .orElseThrow(
                  () ->
                      new TypeConversionException(
                          "'" + value + "' is not a duration above 0 such as 500ms, 90s or 5m"));
      if (parsed.isZero()) { // a wait of nothing would fail every run at once
        throw new TypeConversionException(
            "'" + value + "' is not a duration above 0 such as 500ms, 90s or 5m");
      }
      return parsed;
    }
  }

  /** {@code --rule rule-based}: a fusion rule in any case, {@code -} or {@code _}. */
  static final class RuleConverter implements ITypeConverter<FusionRule> {
    @Override
    public FusionRule convert(String value) {
      try {
        return FusionRules.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
