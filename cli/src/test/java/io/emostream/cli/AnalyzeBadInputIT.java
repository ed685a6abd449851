package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.emostream.kafka.Env;

/**
 * Bad input on the command line ({@code ./emostream analyze}, in-JVM broker and the committed models): each file gets
 * one line naming it and the problem, no stack trace, and the exit code is 1; nothing is published for them (the run
 * waits for no segment).
 */
class AnalyzeBadInputIT {

  @TempDir
  Path dir;

  @Test
  void eachBadFileIsOneLineAndTheExitCodeIsOne() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.mp4"));
    byte[] junk = new byte[20_000];
    new Random(5).nextBytes(junk);
    Path random = Files.write(dir.resolve("random.mp4"), junk);
    byte[] sample = Files.readAllBytes(Path.of("../samples/happy-speech.mp4"));
    Path truncated = Files.write(dir.resolve("truncated.mp4"), Arrays.copyOf(sample, 2_000));
    java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
    Path still = dir.resolve("still.png");
    javax.imageio.ImageIO.write(image, "png", still.toFile());
    byte[] y4m = "YUV4MPEG2 W8000 H8000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".getBytes(StandardCharsets.US_ASCII);
    Path huge = Files.write(dir.resolve("huge.y4m"), Arrays.copyOf(y4m, y4m.length + 4096));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), new Env(Map.of()), Path.of(".."))
        .run(new String[] {"analyze", empty.toString(), random.toString(), truncated.toString(), still.toString(),
            huge.toString()});

    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isEqualTo(1);
    assertThat(text).doesNotContain("Exception").doesNotContain("\tat ");
    List<String> problems = text.lines().filter(l -> l.startsWith("emostream: " + dir)).toList();
    assertThat(problems).as(text).containsExactly(
        "emostream: " + empty + ": 'empty.mp4' is empty",
        "emostream: " + random + ": 'random.mp4' is not a media file FFmpeg can read (expected a video such as MP4, "
            + "MKV, WebM or MOV, or an audio file)",
        "emostream: " + truncated + ": 'truncated.mp4' is not a media file FFmpeg can read (expected a video such as "
            + "MP4, MKV, WebM or MOV, or an audio file)",
        "emostream: " + still + ": 'still.png' is a still image (png), not a video; send a video or an audio file",
        "emostream: " + huge + ": 'huge.y4m' has 8000x8000 frames, more than the limit of 33177600 pixels "
            + "(EMOSTREAM_MAX_FRAME_PIXELS)");
    assertThat(out.toString(StandardCharsets.UTF_8).lines()).as("the table's header and no result")
        .singleElement().satisfies(header -> assertThat(header).startsWith("source "));
  }
}
