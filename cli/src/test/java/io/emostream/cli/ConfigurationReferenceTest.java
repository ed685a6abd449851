package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's configuration reference and the code agree, in both directions. */
class ConfigurationReferenceTest {

  private static final Pattern DOCUMENTED = Pattern.compile("`((?:EMOSTREAM|OTEL)_[A-Z0-9_]+)`");

  @Test
  void everyVariableTheCodeReadsIsDocumentedAndEveryDocumentedOneIsRead() {
    Set<String> read = RepositoryFiles.variablesReadByCode();
    Set<String> documented = documentedVariables();

    assertThat(read)
        .as("sanity: the scan finds the code's variables")
        .contains(
            "EMOSTREAM_AUDIO_MODEL",
            "EMOSTREAM_FUSION_TIMEOUT",
            "EMOSTREAM_METRICS_PORT",
            "EMOSTREAM_JAVA_OPTS");
    assertThat(difference(read, documented))
        .as("read by the code but missing from the README's Configuration table")
        .isEmpty();
    assertThat(difference(documented, read))
        .as("in the README's Configuration table but read nowhere in the code")
        .isEmpty();
  }

  @Test
  void theKafkaPassThroughIsDocumented() {
    assertThat(configurationSection()).contains("`KAFKA_BOOTSTRAP_SERVERS`").contains("`KAFKA_*`");
  }

  /**
   * The variables named in the first column of the tables of the README's "## Configuration"
   * section.
   */
  static Set<String> documentedVariables() {
    Set<String> names = new TreeSet<>();
    for (String line : configurationSection().split("\n")) {
      if (line.startsWith("| `")) {
        Matcher m = DOCUMENTED.matcher(line.split("\\|")[1]);
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  private static String configurationSection() {
    String readme = RepositoryFiles.read("README.md");
    int start = readme.indexOf("\n## Configuration");
    assertThat(start).as("README has a '## Configuration' section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    Set<String> d = new TreeSet<>(a);
    d.removeAll(b);
    return d;
  }
}
