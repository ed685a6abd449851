package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelManifestTest {

  @TempDir
  Path dir;

  private Path audioManifest(String audio) throws IOException {
    return Files.writeString(dir.resolve("manifest.json"), """
        {"name": "m", "modality": "AUDIO", "file": "model.onnx", "input": {"name": "x"},
         "output": {"name": "logits", "kind": "LOGITS"}, "labels": ["a", "b"], "audio": %s}
        """.formatted(audio));
  }

  @Test
  void aManifestWithoutFeaturesDescribesAWaveformModel() throws IOException {
    ModelManifest m = ModelManifest.load(audioManifest(
        "{\"sampleRate\": 16000, \"normalize\": \"ZERO_MEAN_UNIT_VARIANCE\", \"windowSeconds\": 8, \"minSeconds\": 0.5}"));
    assertThat(m.audio().featureType()).isEqualTo(ModelManifest.FeatureType.WAVEFORM);
  }

  @Test
  void readsAnMfccFeatureBlock() throws IOException {
    ModelManifest m = ModelManifest.load(audioManifest("""
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "MFCC", "nFft": 400, "hop": 160, "nMels": 40, "nMfcc": 13, "melScale": "SLANEY",
                      "melNorm": "SLANEY", "layout": "NCFT"}}"""));
    assertThat(m.audio().features().nMfcc()).isEqualTo(13);
    assertThat(m.audio().features().layout()).isEqualTo(ModelManifest.FeatureLayout.NCFT);
  }

  @Test
  void mfccWithoutACoefficientCountIsRejected() throws IOException {
    Path file = audioManifest("""
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "MFCC", "nFft": 400, "nMels": 40}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("nMfcc");
  }

  @Test
  void aMinimumWindowShorterThanOneFftFrameIsRejected() throws IOException {
    Path file = audioManifest("""
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.01,
         "features": {"type": "LOG_MEL", "nFft": 512, "nMels": 64}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("minSeconds");
  }

  @Test
  void anUnknownFeatureFieldIsRejected() throws IOException {
    Path file = audioManifest("""
        {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 4, "minSeconds": 0.5,
         "features": {"type": "LOG_MEL", "nFft": 512, "nMels": 64, "nfft": 400}}""");
    assertThatThrownBy(() -> ModelManifest.load(file)).hasMessageContaining("nfft");
  }
}
