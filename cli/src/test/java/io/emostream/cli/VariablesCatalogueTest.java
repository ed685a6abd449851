package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The catalogue of variables that {@code up}, {@code analyze} and the services warn against ({@link
 * Env#unknownWarnings}) is every {@code "EMOSTREAM_*"} name in the product's sources and {@code
 * ./emostream}'s: a variable added without it would be reported as unknown.
 */
class VariablesCatalogueTest {

  private static final Pattern NAME = Pattern.compile("\"(EMOSTREAM_[A-Z0-9_]*[A-Z0-9])\"");
  private static final Pattern SCRIPT_NAME = Pattern.compile("(EMOSTREAM_[A-Z0-9_]*[A-Z0-9])");

  @Test
  void theCatalogueIsEveryVariableNameInTheSources() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of(".."))) {
      files
          .filter(f -> f.toString().endsWith(".java"))
          .filter(f -> f.toString().contains("/src/main/java/"))
          .forEach(f -> collect(NAME, read(f), names));
    }
    collect(SCRIPT_NAME, read(Path.of("../emostream")), names);

    assertThat(Env.known()).containsExactlyElementsOf(names);
  }

  private static void collect(Pattern pattern, String text, Set<String> into) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
