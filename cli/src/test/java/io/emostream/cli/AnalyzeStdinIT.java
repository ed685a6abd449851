package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.testkit.StreamedMedia;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cat call.mkv | ./emostream analyze --json -} (issue 13 item 2): a child JVM ({@link
 * Main#main}, the real in-JVM broker and the committed models) reads a Matroska stream from its
 * standard input, a pipe this test writes. The test writes three quarters of the stream and holds
 * the rest back until the first fused segment is printed, so that segment was analysed while the
 * input was still arriving; then it sends the rest and closes the pipe, and every segment is
 * printed once. And the first signal (Ctrl-C, SIGTERM) ends the input where it is and keeps its
 * segments.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AnalyzeStdinIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void standardInputIsAnalysedWhileItArrives() throws Exception {
    byte[] media = StreamedMedia.remux(EndToEndIT.SAMPLE, StreamedMedia.Container.MATROSKA);
    Child child = start("piped-call-1");
    try {
      OutputStream stdin = child.run.getOutputStream();
      int held = media.length * 3 / 4;
      stdin.write(media, 0, held);
      stdin.flush();
      child.awaitFirstLine();

      stdin.write(media, held, media.length - held);
      stdin.close();
      assertThat(child.run.waitFor(180, TimeUnit.SECONDS)).as("finished").isTrue();
      child.reader.join(10_000);
      assertThat(child.run.exitValue()).as(Files.readString(child.log)).isZero();
    } finally {
      child.run.destroyForcibly();
    }

    List<JsonNode> segments = child.segments();
    // 4.52 s in 1 s segments; a Matroska stream written to a pipe has no duration, so the tail is
    // a segment of its own.
    assertThat(segments).hasSize(5);
    assertThat(segments).extracting(s -> s.get("segmentIndex").asInt()).containsOnly(0, 1, 2, 3, 4);
    assertThat(segments)
        .allSatisfy(
            s -> {
              assertThat(s.get("sourceId").asText()).isEqualTo("piped-call-1");
              assertThat(s.get("sourceName").asText()).isEqualTo("stdin");
            });
  }

  /**
   * Ctrl-C (SIGINT, the first signal) while the stream is still arriving ends the input there: the
   * writer goes on and never closes the pipe, yet the run ends by itself, prints every segment it
   * published once, and exits 0. Before, the signal stopped the run at once (exit 130) and the
   * segments in flight were never printed.
   */
  @Test
  void theFirstSignalEndsTheInputThereAndItsSegmentsAreStillPrinted() throws Exception {
    byte[] media = StreamedMedia.remux(EndToEndIT.SAMPLE, StreamedMedia.Container.MATROSKA);
    Child child = start("piped-call-2");
    try {
      OutputStream stdin = child.run.getOutputStream();
      int held = media.length * 3 / 4;
      stdin.write(media, 0, held);
      stdin.flush();
      child.awaitFirstLine();

      // Ctrl-C's signal; Process.destroy() would send SIGTERM but also close the pipe
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(child.run.pid())).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).isTrue();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> Files.readString(child.log).contains("ending the input here"));
      stdin.write(media, held, media.length - held); // the writer goes on; the pipe stays open
      stdin.flush();
      assertThat(child.run.waitFor(180, TimeUnit.SECONDS)).as("finished").isTrue();
      child.reader.join(10_000);
      assertThat(child.run.exitValue()).as(Files.readString(child.log)).isZero();
      stdin.close();
    } finally {
      child.run.destroyForcibly();
    }

    List<JsonNode> segments = child.segments();
    assertThat(segments).hasSizeBetween(2, 5);
    assertThat(segments)
        .extracting(s -> s.get("segmentIndex").asInt())
        .doesNotHaveDuplicates()
        .allSatisfy(i -> assertThat(i).isBetween(0, 4));
    assertThat(Files.readString(child.log)).doesNotContain("no fused result");
  }

  /** A child JVM running {@code analyze --json --source-id ID -}, its stdout collected by line. */
  private record Child(Process run, Thread reader, List<String> lines, Path log) {

    void awaitFirstLine() throws IOException {
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> !lines.isEmpty() || !run.isAlive());
      assertThat(lines).as(Files.readString(log)).isNotEmpty();
      assertThat(run.isAlive()).as("still reading its input").isTrue();
    }

    List<JsonNode> segments() throws IOException {
      List<JsonNode> segments = new ArrayList<>();
      for (String line : lines) {
        segments.add(JSON.readTree(line));
      }
      return segments;
    }
  }

  private Child start(String sourceId) throws IOException {
    Path log = dir.resolve(sourceId + ".stderr.log");
    ProcessBuilder builder =
        ChildMain.builder(
                Files.createDirectory(dir.resolve(sourceId + "-tmp")),
                "analyze",
                "--json",
                "--source-id",
                sourceId,
                "-")
            .redirectError(log.toFile());
    builder.environment().put("EMOSTREAM_SEGMENT_SECONDS", "1");
    Process run = builder.start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                lines.add("read failed: " + e);
              }
            });
    reader.start();
    return new Child(run, reader, lines, log);
  }
}
