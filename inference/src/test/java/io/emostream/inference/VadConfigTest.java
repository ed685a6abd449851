package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EMOSTREAM_VAD, _VAD_MODEL, _VAD_THRESHOLD and _VAD_MIN_SPEECH_SECONDS (docs/models.md "Voice
 * activity").
 */
class VadConfigTest {

  @Test
  void defaultsAreOnWithTheShippedModelAndTheMeasuredThresholds() {
    VadConfig c = VadConfig.fromEnv(new Env(Map.of()));
    assertThat(c.enabled()).isTrue();
    assertThat(c.model()).isEqualTo(Path.of("models/silero-vad/silero_vad_v5_sequence.onnx"));
    assertThat(c.threshold()).isEqualTo(0.5);
    assertThat(c.minSpeechSeconds()).isEqualTo(0.5);
    assertThat(VadConfig.fromEnv(new Env(Map.of()), Path.of("/opt/e/vad.onnx")).model())
        .isEqualTo(Path.of("/opt/e/vad.onnx"));
  }

  @Test
  void eachVariableIsRead() {
    VadConfig c =
        VadConfig.fromEnv(
            new Env(
                Map.of(
                    "EMOSTREAM_VAD",
                    "off",
                    "EMOSTREAM_VAD_MODEL",
                    "v.onnx",
                    "EMOSTREAM_VAD_THRESHOLD",
                    "0.35",
                    "EMOSTREAM_VAD_MIN_SPEECH_SECONDS",
                    "0.25")),
            Path.of("ignored.onnx"));
    assertThat(c).isEqualTo(new VadConfig(false, Path.of("v.onnx"), 0.35, 0.25));
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> VadConfig.fromEnv(new Env(Map.of("EMOSTREAM_VAD", "maybe"))))
        .hasMessageContaining("EMOSTREAM_VAD='maybe'");
    assertThatThrownBy(() -> VadConfig.fromEnv(new Env(Map.of("EMOSTREAM_VAD_THRESHOLD", "1"))))
        .hasMessageContaining("EMOSTREAM_VAD_THRESHOLD='1'");
    assertThatThrownBy(
            () -> VadConfig.fromEnv(new Env(Map.of("EMOSTREAM_VAD_MIN_SPEECH_SECONDS", "-0.1"))))
        .hasMessageContaining("EMOSTREAM_VAD_MIN_SPEECH_SECONDS='-0.1'");
  }
}
