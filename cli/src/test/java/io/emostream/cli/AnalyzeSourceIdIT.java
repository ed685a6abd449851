package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.kafka.Env;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ./emostream analyze --source-id ID} (in-JVM broker, committed models): every fused segment
 * carries the chosen source id, and the clip ids do not start with it (they take a fresh UUID, so
 * analysing the source again cannot meet the clips fused before).
 */
class AnalyzeSourceIdIT {

  @Test
  void theChosenSourceIdIsOnEveryFusedSegment() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new Env(Map.of()),
                Path.of(".."))
            .run(
                new String[] {
                  "analyze",
                  "--json",
                  "--source-id",
                  "call-2024.06_01",
                  "../samples/happy-speech.mp4"
                });

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    List<JsonNode> all = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
      all.add(new ObjectMapper().readTree(line));
    }
    assertThat(all)
        .isNotEmpty()
        .allSatisfy(
            segment -> {
              assertThat(segment.get("sourceId").asText()).isEqualTo("call-2024.06_01");
              assertThat(segment.get("sourceName").asText()).isEqualTo("happy-speech.mp4");
              assertThat(segment.get("clipId").asText())
                  .doesNotStartWith("call-2024.06_01")
                  .matches("[0-9a-f-]{36}-\\d{5}");
            });
  }
}
