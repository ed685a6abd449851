package io.emostream.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The options {@code evaluate} and {@code train-fusion} share (a picocli mixin): the directory of
 * labelled files they run through the platform and how long to wait for each fused result. ({@code
 * analyze} has a {@code --timeout} too, with another default: one file's segments, not a data set.)
 */
final class LabelledRunOptions {

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = CliCommand.DurationConverter.class,
      defaultValue = "30m",
      description = "how long to wait for the next fused result (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Parameters(
      paramLabel = "DIR",
      hideParamSyntax = true,
      description = "the directory of labelled files")
  private List<Path> dirs = new ArrayList<>();

  /** The one directory given ({@link LabelledFiles#oneDirectory}). */
  Path directory() {
    return LabelledFiles.oneDirectory(dirs);
  }
}
