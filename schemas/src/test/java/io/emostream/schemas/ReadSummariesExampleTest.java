package io.emostream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/read_summaries.py} decodes a {@link SourceSummary}, Avro-encoded as on the
 * sources.summary topic and framed as kcat writes it (the fingerprint check included). Runs where a
 * python3 with the avro package is installed (Debian: python3-avro), else skips saying so.
 */
class ReadSummariesExampleTest {

  private static final Path SCRIPT = Path.of("../examples/read_summaries.py");

  static SourceSummary summary() {
    SegmentStats customer =
        SegmentStats.newBuilder()
            .setSegmentCount(2)
            .setStatusCounts(new StatusCounts(1, 1, 0, 0))
            .setMediaMs(6_000)
            .setLabelShares(
                List.of(new LabelShare("happy", 0L, 0.0), new LabelShare("sad", 6_000L, 1.0)))
            .setNoPredictionMs(0)
            .setDominantLabel("sad")
            .setTimeline(List.of(new TimelineRun("sad", 0L, 6_000L, 2)))
            .build();
    SegmentStats overall =
        SegmentStats.newBuilder(customer)
            .setSegmentCount(3)
            .setMediaMs(9_000)
            .setNoPredictionMs(3_000)
            .setLabelShares(
                List.of(
                    new LabelShare("happy", 0L, 0.0),
                    new LabelShare("sad", 6_000L, 6_000.0 / 9_000)))
            .setTimeline(List.of())
            .build();
    return SourceSummary.newBuilder()
        .setSourceId("call-42")
        .setSourceName("call.mkv")
        .setKind(SourceKind.LIVE)
        .setRule(FusionRule.AVERAGE)
        .setStartedAtMs(Instant.ofEpochMilli(1_764_380_000_000L))
        .setEndedAtMs(Instant.ofEpochMilli(1_764_380_010_000L))
        .setEndReason("stopped")
        .setMediaTimeMs(6_000)
        .setClipCount(4)
        .setFusedClipCount(3)
        .setComplete(false)
        .setOverall(overall)
        .setRoles(List.of(new RoleSummary("customer", customer), new RoleSummary("agent", overall)))
        .setSummarisedAtMs(Instant.ofEpochMilli(1_764_380_070_000L))
        .build();
  }

  @Test
  void thePythonExampleDecodesASummary(@TempDir Path dir) throws Exception {
    Optional<Path> python = ReadFusedExampleTest.pythonWithAvro();
    assumeTrue(
        python.isPresent(),
        "no python3 with the avro package: skipping (apt-get install -y python3-avro)");
    SourceSummary summary = summary();
    byte[] value = new AvroSerde<>(SourceSummary.class).serialize("sources.summary", summary);

    List<String> lines = ReadFusedExampleTest.run(python.get(), SCRIPT, "call-42", value, dir);
    assertThat(lines).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(lines.get(0));
    assertThat(json.get("sourceId").asText()).isEqualTo("call-42");
    assertThat(json.get("kind").asText()).isEqualTo("LIVE");
    assertThat(json.get("complete").asBoolean()).isFalse();
    assertThat(json.get("startedAtMs").asLong()).isEqualTo(1_764_380_000_000L);
    assertThat(json.get("summarisedAtMs").asLong()).isEqualTo(1_764_380_070_000L);
    assertThat(json.at("/overall/labelShares/1/share").asDouble()).isEqualTo(0.6667);
    assertThat(json.at("/overall/dominantLabel").asText()).isEqualTo("sad");
    assertThat(json.at("/roles/0/speakerRole").asText()).isEqualTo("customer");
    assertThat(json.at("/roles/0/stats/timeline/0/segmentCount").asInt()).isEqualTo(2);
    assertThat(json.at("/roles/0/stats/timeline/0/endMs").asLong()).isEqualTo(6_000);
  }
}
