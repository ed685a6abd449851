package io.emostream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JSON shape of a fused segment, pinned by a golden file that the README's "JSON shape" section
 * shows.
 */
class FusedSegmentJsonTest {

  static final String GOLDEN = "/fused-segment.golden.json";

  /** One AUDIO_ONLY segment: a usable audio prediction, a video one without a face. */
  static FusedEmotion segment() {
    ModalityPrediction video =
        ModalityPrediction.newBuilder()
            .setClipId("0b6f2d8e-5c1a-4f7e-9d3b-2a4c6e8f0a1b-00001")
            .setModality(Modality.VIDEO)
            .setModelName("fer-mobilefacenet")
            .setModelVersion("1")
            .setLabels(List.of("neutral", "happy", "sad"))
            .setProbabilities(List.of())
            .setStatus(PredictionStatus.NO_FACE)
            .setError("no face in any of 8 frames")
            .setItemsAnalysed(0)
            .setTimings(new Timings(1.5, 2.25, 0.0, 3.75))
            .setProducedAtMs(Instant.ofEpochMilli(1_764_380_000_900L))
            .build();
    ModalityPrediction audio =
        ModalityPrediction.newBuilder()
            .setClipId(video.getClipId())
            .setModality(Modality.AUDIO)
            .setModelName("speech-emotion-v2")
            .setModelVersion("2")
            .setLabels(List.of("neutral", "happy", "sad"))
            .setProbabilities(List.of(0.125f, 0.8f, 0.075f))
            .setStatus(PredictionStatus.OK)
            .setItemsAnalysed(3)
            .setTimings(new Timings(0.5, 4.125, 12.3456, 17.0))
            .setProducedAtMs(Instant.ofEpochMilli(1_764_380_000_800L))
            .build();
    return FusedEmotion.newBuilder()
        .setClipId(video.getClipId())
        .setSourceId("call-42")
        .setSourceName("call.mp4")
        .setSegmentIndex(1)
        .setStartMs(4_000)
        .setEndMs(8_000)
        .setRule(FusionRule.AVERAGE)
        .setLabel("happy")
        .setConfidence(0.8f)
        .setLabels(List.of("neutral", "happy", "sad"))
        .setDistribution(List.of(0.125f, 0.8f, 0.075f))
        .setModalities(List.of(Modality.AUDIO))
        .setStatus(FusionStatus.AUDIO_ONLY)
        .setPredictions(List.of(audio, video))
        .setIngestTimeMs(Instant.ofEpochMilli(1_764_380_000_000L))
        .setFusedAtMs(Instant.ofEpochMilli(1_764_380_001_500L))
        .setLatencyMs(1_500)
        .build();
  }

  @Test
  void aSegmentHasTheDocumentedShape() throws IOException {
    String json =
        new ObjectMapper()
            .writerWithDefaultPrettyPrinter()
            .writeValueAsString(FusedSegmentJson.toJson(segment()));

    assertThat(json.strip()).isEqualTo(golden().strip());
  }

  @Test
  void fieldsComeInTheDocumentedOrder() throws IOException {
    JsonNode golden = new ObjectMapper().readTree(golden());
    ObjectNode json = FusedSegmentJson.toJson(segment());

    assertThat(names(json)).containsExactlyElementsOf(names(golden));
    assertThat(names(json.get("predictions").get(0)))
        .containsExactlyElementsOf(names(golden.get("predictions").get(0)));
  }

  @Test
  void aLineIsOneLineOfTheSameJson() throws IOException {
    String line = FusedSegmentJson.line(segment());

    assertThat(line).doesNotContain("\n").startsWith("{\"clipId\":");
    assertThat(new ObjectMapper().readTree(line)).isEqualTo(new ObjectMapper().readTree(golden()));
  }

  @Test
  void aSegmentWithNothingUsableHasANullLabelAndEmptyPredictions() {
    FusedEmotion none =
        FusedEmotion.newBuilder(segment())
            .setLabel(null)
            .setConfidence(0f)
            .setDistribution(List.of(0f, 0f, 0f))
            .setModalities(List.of())
            .setStatus(FusionStatus.NO_PREDICTION)
            .setPredictions(List.of(segment().getPredictions().get(1)))
            .build();

    ObjectNode json = FusedSegmentJson.toJson(none);

    assertThat(json.get("label").isNull()).isTrue();
    assertThat(json.get("confidence").asDouble()).isZero();
    assertThat(json.get("modalities")).isEmpty();
    JsonNode video = json.get("predictions").get(0);
    assertThat(video.get("label").isNull()).isTrue();
    assertThat(video.get("confidence").isNull()).isTrue();
    assertThat(video.get("probabilities")).isEmpty();
    assertThat(video.get("error").asText()).isEqualTo("no face in any of 8 frames");
  }

  @Test
  void numbersAreRoundedHalfEvenOnTheExactValueAsPythonDoes() {
    assertThat(FusedSegmentJson.round(0.8f, 4)).isEqualTo(0.8); // 0.800000011920929 as a double
    assertThat(FusedSegmentJson.round(0.03125, 4)).isEqualTo(0.0312); // a true tie: to even
    assertThat(FusedSegmentJson.round(0.03135, 4))
        .isEqualTo(0.0314); // just above the tie in binary: round(0.03135, 4) in Python
    assertThat(FusedSegmentJson.round(12.3456, 2)).isEqualTo(12.35);
    assertThat(FusedSegmentJson.round(Double.NaN, 2)).isNaN();
  }

  @Test
  void theTopLabelOfATieIsTheFirst() {
    assertThat(FusedSegmentJson.argmax(List.of(0.4f, 0.4f, 0.2f))).isZero();
    assertThat(FusedSegmentJson.argmax(List.of(0.1f, 0.2f, 0.7f))).isEqualTo(2);
    assertThat(FusedSegmentJson.argmax(List.of())).isEqualTo(-1);
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static String golden() throws IOException {
    try (InputStream in = FusedSegmentJsonTest.class.getResourceAsStream(GOLDEN)) {
      assertThat(in).as(GOLDEN + " on the test classpath").isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
