package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad file among good ones ({@code ./emostream analyze}, in-JVM broker and the committed models):
 * the bad one is one line naming it and the problem, no stack trace, and is left out before the
 * platform starts; the good one is analysed; the exit code is 1. (Runs where no file is usable are
 * refused before anything starts: {@code MainTest}.)
 */
class AnalyzeBadInputIT {

  @TempDir Path dir;

  @Test
  void aBadFileIsOneLineTheGoodOneIsAnalysedAndTheExitCodeIsOne() throws Exception {
    byte[] junk = new byte[20_000];
    new Random(5).nextBytes(junk);
    Path random = Files.write(dir.resolve("random.mp4"), junk);
    Path good = Path.of("../samples/happy-speech.mp4");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new Env(Map.of()),
                Path.of(".."))
            .run(new String[] {"analyze", random.toString(), good.toString()});

    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isEqualTo(1);
    assertThat(text).doesNotContain("Exception").doesNotContain("\tat ");
    List<String> problems = text.lines().filter(l -> l.startsWith("emostream: ")).toList();
    assertThat(problems)
        .as(text)
        .containsExactly(
            "emostream: "
                + random
                + ": 'random.mp4' is not a media file FFmpeg can read (expected a video such as MP4, "
                + "MKV, WebM or MOV, or an audio file)");
    List<String> rows = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(rows.get(0)).startsWith("source ");
    assertThat(rows.subList(1, rows.size()))
        .as("one row per segment of the good file, none of the bad one")
        .isNotEmpty()
        .allSatisfy(row -> assertThat(row).startsWith("happy-speech.mp4"));
  }
}
