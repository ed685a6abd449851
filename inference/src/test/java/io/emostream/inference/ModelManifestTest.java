package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.schemas.Modality;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelManifestTest {

  @TempDir Path dir;

  private Path audioManifest(String audio) throws IOException {
    return Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"name": "m", "modality": "AUDIO", "file": "model.onnx", "input": {"name": "x"},
         "output": {"name": "logits", "kind": "LOGITS"}, "labels": ["a", "b"], "audio": %s}
        """
            .formatted(audio));
  }

  @Test
  void aManifestWithoutFeaturesDescribesAWaveformModel() throws IOException {
    ModelManifest m =
        ModelManifest.load(
            audioManifest(
                "{\"sampleRate\": 16000, \"normalize\": \"ZERO_MEAN_UNIT_VARIANCE\", \"windowSeconds\": 8, \"minSeconds\": 0.5}"));
    assertThat(m.audio().featureType()).isEqualTo(ModelManifest.FeatureType.WAVEFORM);
    assertThat(m.modality()).isEqualTo(Modality.AUDIO);
  }

  @Test
  void aModalityOtherThanAudioOrVideoIsRejectedNamingTheAcceptedOnes() throws IOException {
    Path text =
        Files.writeString(
            dir.resolve("text.json"),
            Files.readString(audioManifest("{}")).replace("\"AUDIO\"", "\"TEXT\""));
    Path none =
        Files.writeString(
            dir.resolve("none.json"),
            Files.readString(audioManifest("{}")).replace("\"modality\": \"AUDIO\", ", ""));

    assertThatThrownBy(() -> ModelManifest.load(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"TEXT\"")
        .hasMessageContaining("modality")
        .hasMessageContaining("AUDIO")
        .hasMessageContaining("VIDEO");
    assertThatThrownBy(() -> ModelManifest.load(none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("modality must be AUDIO or VIDEO");
  }

  @Test
  void readsAnMfccFeatureBlock() throws IOException {
    ModelManifest m =
        ModelManifest.load(
            audioManifest(
                """
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "MFCC", "nFft": 400, "hop": 160, "nMels": 40, "nMfcc": 13, "melScale": "SLANEY",
                      "melNorm": "SLANEY", "layout": "NCFT"}}"""));
    assertThat(m.audio().features().nMfcc()).isEqualTo(13);
    assertThat(m.audio().features().layout()).isEqualTo(ModelManifest.FeatureLayout.NCFT);
  }

  @Test
  void mfccWithoutACoefficientCountIsRejected() throws IOException {
    Path file =
        audioManifest(
            """
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "MFCC", "nFft": 400, "nMels": 40}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("nMfcc");
  }

  @Test
  void aMinimumWindowShorterThanOneFftFrameIsRejected() throws IOException {
    Path file =
        audioManifest(
            """
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.01,
         "features": {"type": "LOG_MEL", "nFft": 512, "nMels": 64}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("minSeconds");
  }

  @Test
  void anUnknownFeatureFieldIsRejected() throws IOException {
    Path file =
        audioManifest(
            """
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "LOG_MEL", "nFft": 512, "nMels": 64, "nfft": 400}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("nfft");
  }

  private static final Path MODELS =
      Path.of(System.getProperty("emostream.models.dir", "../models"));
  private static final String FACE_MANIFEST =
      """
      {"name":"m","modality":"VIDEO","file":"m.onnx","input":{"name":"x"},"output":{"name":"y","kind":"LOGITS"},
       "labels":["a","b"],"video":{"mode":"FACE_EXPRESSION","frames":8,"face":{"detector":"d.onnx",
       "scoreThreshold":0.6,"nmsThreshold":0.3,"topK":5,"selection":"LARGEST"FACE_EXTRA}}}""";

  @Test
  void shippedFaceModelsSayTheirFaceInput() {
    ModelManifest.Face mobile =
        ModelManifest.load(MODELS.resolve("fer-mobilefacenet/manifest.json")).video().face();
    ModelManifest.Face xception =
        ModelManifest.load(MODELS.resolve("fer-mini-xception/manifest.json")).video().face();

    assertThat(mobile.input()).isEqualTo(ModelManifest.FaceInput.ALIGNED_112);
    assertThat(mobile.aggregation()).isEqualTo(ModelManifest.Aggregation.MEAN);
    assertThat(xception.input().crop()).isEqualTo(ModelManifest.FaceCrop.BOX);
    assertThat(xception.input().size()).isEqualTo(64);
    assertThat(xception.input().channels()).isEqualTo(1);
    // x/255*2-1: 0 -> -1, 255 -> 1
    assertThat(255 * xception.input().rescale() + xception.input().offset())
        .isCloseTo(1.0, Assertions.within(1e-9));
    assertThat(xception.input().mean(0)).isZero();
    assertThat(xception.input().std(0)).isEqualTo(1.0);
  }

  @Test
  void theSpeechModelListsItsTrainingSpeakersAndOtherModelsNone() throws IOException {
    ModelManifest speech =
        ModelManifest.load(MODELS.resolve("speech-emotion-ravdess/manifest.json"));

    assertThat(speech.trainingSubjects())
        .hasSize(18)
        .startsWith("ravdess-01")
        .endsWith("ravdess-18");
    assertThat(load("").trainingSubjects()).isEmpty();
  }

  @Test
  void faceInputAndAggregationDefaultToMobileFaceNetAndMean() throws IOException {
    ModelManifest.Face face = load("").video().face();

    assertThat(face.input()).isEqualTo(ModelManifest.FaceInput.ALIGNED_112);
    assertThat(face.aggregation()).isEqualTo(ModelManifest.Aggregation.MEAN);
  }

  @Test
  void confidenceWeightingIsAManifestChoice() throws IOException {
    assertThat(load(",\"aggregation\":\"CONFIDENCE_WEIGHTED\"").video().face().aggregation())
        .isEqualTo(ModelManifest.Aggregation.CONFIDENCE_WEIGHTED);
  }

  @Test
  void incompleteFaceInputIsRejectedWithWhatIsMissing() {
    assertThatThrownBy(() -> load(",\"input\":{\"crop\":\"BOX\",\"size\":64}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channelOrder");
    assertThatThrownBy(
            () ->
                load(
                    ",\"input\":{\"crop\":\"BOX\",\"size\":64,\"channelOrder\":\"GRAY\","
                        + "\"rescale\":1,\"std\":[0]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("std");
    assertThatThrownBy(() -> load(",\"aggregation\":\"MEDIAN\""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void faceInputPerChannelValuesRepeatTheLastOne() {
    ModelManifest.FaceInput in =
        new ModelManifest.FaceInput(
            ModelManifest.FaceCrop.ALIGNED,
            112,
            ModelManifest.ChannelOrder.RGB,
            1,
            0,
            List.of(0.5),
            List.of(0.25, 0.5));

    assertThat(in.mean(2)).isEqualTo(0.5);
    assertThat(in.std(0)).isEqualTo(0.25);
    assertThat(in.std(2)).isEqualTo(0.5);
  }

  private ModelManifest load(String faceExtra) throws IOException {
    Path file = dir.resolve("manifest.json");
    Files.writeString(file, FACE_MANIFEST.replace("FACE_EXTRA", faceExtra));
    return ModelManifest.load(file);
  }
}
