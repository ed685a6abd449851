package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.kafka.Env;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench broker e2e} on the real in-JVM broker with the committed models, kept tiny: 20 clips
 * through fusion-stream with exactly-once, and the 4.5 s sample through the whole platform. Shape
 * and completeness only: no timing is asserted.
 */
class BenchIT {

  @Test
  void brokerAndEndToEndStagesFuseEveryClipAndReportTheirFigures(@TempDir Path dir)
      throws Exception {
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
                  "broker",
                  "e2e",
                  "--broker-clips",
                  "20",
                  "--e2e-passes",
                  "1",
                  "--seconds",
                  "1",
                  "--media",
                  "../samples/happy-speech.mp4",
                  "--json",
                  json.toString()
                });

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isZero();
    assertThat(text).contains("core-seconds per media-second", "real-time streams per core");
    JsonNode stages = BenchFigures.JSON.readTree(json.toFile()).get("stages");
    assertThat(stages.at("/broker/figures/clips").asInt()).isEqualTo(20);
    assertThat(stages.at("/broker/figures/clipsPerSecond").asDouble()).isPositive();
    // fusion-stream's own threads were found by its application id and did the work
    assertThat(stages.at("/broker/figures/clipsPerFusionCpuSecond").asDouble()).isPositive();
    // the clock stops after the summary's work, so the CPU up to the last fused record is no more
    assertThat(stages.at("/broker/figures/clipsPerFusionCpuSecondToFused").asDouble())
        .isGreaterThanOrEqualTo(stages.at("/broker/figures/clipsPerFusionCpuSecond").asDouble());
    JsonNode e2e = stages.at("/e2e/figures");
    assertThat(e2e.get("mediaSeconds").asDouble()).isBetween(4.0, 5.0);
    assertThat(e2e.get("segmentsCOMPLETE").asInt()).isEqualTo(1); // the sample: a face and a voice
    assertThat(e2e.get("realTimeStreamsPerCore").asDouble()).isPositive();
    assertThat(e2e.get("steadyMediaSeconds").asDouble()).isBetween(4.0, 5.0); // one more pass
    assertThat(e2e.get("steadySegmentsCOMPLETE").asInt()).isEqualTo(1);
    assertThat(e2e.get("steadyRealTimeStreamsPerCore").asDouble()).isPositive();
    // the workers' own threads through the broker, against bare loops on the same media's clips
    assertThat(e2e.get("steadyVideoWorkerCpuMsPerFrame").asDouble()).isPositive();
    assertThat(e2e.has("steadyAudioWorkerCpuMsPerClip")).isTrue();
    assertThat(e2e.get("steadyVideoWorkerCpuMsPerFrameRatioToBareOrt").asDouble()).isPositive();
    assertThat(stages.has("face-e2e-media")).isTrue();
    assertThat(stages.has("audio-e2e-media")).isTrue();
    assertThat(text).contains("face-e2e-media:", "audio-e2e-media:");
  }
}
