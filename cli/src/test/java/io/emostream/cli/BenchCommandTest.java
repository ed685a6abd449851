package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.kafka.Env;
import io.emostream.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench} end to end on its two stages that need no broker and no model: the fusion topology
 * on the test driver against the bare loop, and the payload of the sample. Shape only: no timing is
 * asserted.
 */
class BenchCommandTest {

  @Test
  void fusionAndPayloadStagesPrintRatiosAndWriteJson(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Path json = dir.resolve("bench.json");
    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new Env(Map.of()),
                Path.of(".."))
            .run(
                new String[] {
                  "bench",
                  "fusion",
                  "payload",
                  "--seconds",
                  "1",
                  "--fusion-clips",
                  "20",
                  "--media",
                  "../samples/happy-speech.mp4",
                  "--json",
                  json.toString()
                });

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isZero();
    assertThat(text).contains("ratio topology on the test driver / bare decode + fuse + encode");
    JsonNode report = BenchFigures.JSON.readTree(json.toFile());
    JsonNode fusion = report.at("/stages/fusion/comparisons/0");
    assertThat(fusion.at("/subject/itemsPerRound").asInt()).isEqualTo(20); // every clip fused
    assertThat(fusion.at("/limit/itemsPerRound").asInt()).isEqualTo(20);
    assertThat(fusion.at("/wallRatio").asDouble()).isPositive();
    // the same topology against the driver's own floor: a bare fuse behind the same sources
    JsonNode floor = report.at("/stages/fusion/comparisons/1");
    assertThat(floor.at("/limit/name").asText()).isEqualTo("bare fuse on the test driver");
    assertThat(floor.at("/limit/itemsPerRound").asInt())
        .isEqualTo(20); // every clip fused there too
    Topics topics = Topics.defaults();
    JsonNode payload = report.at("/stages/payload/figures");
    // the 4.5 s sample is one clip of 8 JPEG frames and 4.5 s of 16 kHz 16-bit PCM
    assertThat(payload.get(topics.audio().name()).asDouble()).isGreaterThan(4.5 * 32_000);
    assertThat(payload.get(topics.frames().name()).asDouble()).isGreaterThan(32 * 1_000);
    assertThat(payload.get(topics.manifests().name()).asDouble()).isBetween(10.0, 1_000.0);
    assertThat(report.at("/machine/cpus").asInt()).isPositive();
  }
}
