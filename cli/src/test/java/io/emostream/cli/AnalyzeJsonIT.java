package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedSegmentJson;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's combined example, {@code analyze --report report.html --json FILE @calls.txt >
 * results.json}, on the in-JVM broker with the committed models: stdout is JSON lines only, one per
 * segment in the one JSON shape, each written as its segment is fused (before the next one is
 * counted), progress and the report's note on stderr.
 */
class AnalyzeJsonIT {

  @Test
  void theReadmesCombinedExampleStreamsJsonLinesAndWritesTheReport(@TempDir Path dir)
      throws Exception {
    Path calls =
        Files.writeString(
            dir.resolve("calls.txt"),
            "# one file per line\n"
                + Path.of("../samples/no-face-tone.mp4").toAbsolutePath()
                + "\n");
    Path report = dir.resolve("report.html");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> stdoutWhenCounted = new ArrayList<>();
    // stderr: each progress line of the fusion phase notes what stdout held at that moment
    OutputStream err =
        new LineTap(
            line -> {
              if (line.startsWith("fusion [")) {
                stdoutWhenCounted.add(
                    line.substring(line.indexOf(']') + 2, line.indexOf(" segments"))
                        + " "
                        + out.toString(StandardCharsets.UTF_8).lines().count());
              }
            });
    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new Env(Map.of()),
                Path.of(".."))
            .run(
                new String[] {
                  "analyze",
                  "--report",
                  report.toString(),
                  "--json",
                  "../samples/happy-speech.mp4",
                  "@" + calls
                });

    assertThat(code).isZero();
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(2); // one segment each: 4.5 s and 4 s in the default 4 s segments
    List<String> shape = names(FusedSegmentJson.toJson(ResultFormatTest.result()));
    List<String> sources = new ArrayList<>();
    for (String line : lines) {
      JsonNode segment = new ObjectMapper().readTree(line);
      assertThat(names(segment)).as(line).containsExactlyElementsOf(shape);
      sources.add(segment.get("sourceName").asText());
    }
    assertThat(sources).containsExactlyInAnyOrder("happy-speech.mp4", "no-face-tone.mp4");
    // each segment's line is on stdout when the fusion progress counts it (files are still being
    // ingested meanwhile: while the total is not known, a line is printed every tenth segment)
    assertThat(stdoutWhenCounted).as("segments fused / JSON lines already on stdout").isNotEmpty();
    for (String seen : stdoutWhenCounted) {
      String[] parts = seen.split("[/ ]");
      assertThat(parts[2]).as(seen).isEqualTo(parts[0]);
    }
    assertThat(stdoutWhenCounted).last().isEqualTo("2/2 2");
    assertThat(Files.readString(report)).contains("happy-speech.mp4", "no-face-tone.mp4");
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Hands every complete line written to it to {@code onLine}. */
  private static final class LineTap extends OutputStream {
    private final Consumer<String> onLine;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineTap(Consumer<String> onLine) {
      this.onLine = onLine;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        onLine.accept(line.toString(StandardCharsets.UTF_8));
        line.reset();
      } else {
        line.write(b);
      }
    }
  }
}
