package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.emostream.kafka.Env;

class MainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        new Env(Map.of()), Path.of("..")).run(args);
  }

  @Test
  void withoutArgumentsPrintsUsage() {
    assertThat(run()).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("usage: emostream analyze");
  }

  @Test
  void aMissingFileIsOneReadableLineAndExitCode2() {
    assertThat(run("analyze", "no-such-video.mp4")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("emostream: no such file: no-such-video.mp4");
    assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain("Exception");
  }

  @Test
  void anUnknownRuleNamesTheAcceptedOnes() {
    assertThat(run("analyze", "--rule", "magic", "x.mp4")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown fusion rule 'magic'").contains("AVERAGE");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'");
  }

  @Test
  void evaluateNeedsADirectoryWithLabelledFiles(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    assertThat(run("evaluate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("evaluate needs a directory");

    java.nio.file.Files.writeString(dir.resolve("holiday.wav"), "x");
    assertThat(run("evaluate", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("holiday.wav: not named by the RAVDESS or CREMA-D")
        .contains("no labelled media files");
  }

  @Test
  void evaluateRejectsAnUnknownRuleBeforeStartingAnything(@org.junit.jupiter.api.io.TempDir Path dir) {
    assertThat(run("evaluate", "--rule", "median", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown fusion rule 'median'")
        .contains("LOGISTIC_REGRESSION");
  }

  @Test
  void trainFusionNeedsADirectory() {
    assertThat(run("train-fusion", "--out", "x.json")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("train-fusion needs a directory");
  }
}
