package io.emostream.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The repository around the cli module, and the environment variables its code reads. */
final class RepositoryFiles {

  /** The cli module's tests run in cli/; the repository root is its parent. */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /**
   * Our variables, and the OpenTelemetry ones the tracing code names
   * (io.emostream.tracing.TracingConfig).
   */
  private static final Pattern JAVA_LITERAL =
      Pattern.compile("\"((?:EMOSTREAM|OTEL)_[A-Z0-9_]+)\"");

  private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{?(EMOSTREAM_[A-Z0-9_]+)");

  private RepositoryFiles() {}

  static String read(String relative) {
    try {
      return Files.readString(ROOT.resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every {@code EMOSTREAM_*} variable the shipped code reads: string literals in the main sources
   * of every module (each variable is named by one literal; none is built by concatenation) and
   * variables of the launcher script.
   */
  static Set<String> variablesReadByCode() {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> ROOT.relativize(p).toString().matches("[^/]+/src/main/java/.*"))
          .forEach(p -> collect(JAVA_LITERAL, readFile(p), names));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    collect(SHELL_VARIABLE, read("emostream"), names);
    return names;
  }

  private static String readFile(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void collect(Pattern pattern, String text, Set<String> into) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }
}
