package io.emostream.inference;

import io.emostream.kafka.Env;
import java.nio.file.Path;
import java.util.Map;

/**
 * Voice-activity gating of the audio worker ({@link SpeechDetector}), from the environment. The
 * defaults were measured with {@code io.emostream.cli.VadSurvey} over RAVDESS, EmoDB and generated
 * non-speech (docs/models.md "Voice activity").
 *
 * @param enabled EMOSTREAM_VAD: on (default) or off; off runs the speech model on the whole clip,
 *     and a clip quieter than -60 dBFS RMS is NO_SPEECH (the only check left)
 * @param model EMOSTREAM_VAD_MODEL: the Silero VAD v5 ONNX file
 *     (models/silero-vad/silero_vad_v5_sequence.onnx, all of a clip's frames in one run; Silero's
 *     own silero_vad_v5.onnx, one frame per run, works too)
 * @param threshold EMOSTREAM_VAD_THRESHOLD (0.5): speech probability from which a 32 ms frame is
 *     voiced
 * @param minSpeechSeconds EMOSTREAM_VAD_MIN_SPEECH_SECONDS: voiced seconds below which a clip is
 *     NO_SPEECH
 */
public record VadConfig(boolean enabled, Path model, double threshold, double minSpeechSeconds) {

  public static final String ENABLED_ENV = "EMOSTREAM_VAD";
  public static final String MODEL_ENV = "EMOSTREAM_VAD_MODEL";
  public static final String THRESHOLD_ENV = "EMOSTREAM_VAD_THRESHOLD";
  public static final String MIN_SPEECH_SECONDS_ENV = "EMOSTREAM_VAD_MIN_SPEECH_SECONDS";

  public static final Path DEFAULT_MODEL = Path.of("models/silero-vad/silero_vad_v5_sequence.onnx");
  public static final double DEFAULT_THRESHOLD = 0.5;
  public static final double DEFAULT_MIN_SPEECH_SECONDS = 0.5;

  public VadConfig {
    if (!(threshold > 0 && threshold < 1)) {
      throw new IllegalArgumentException("VAD threshold must be in (0, 1), got " + threshold);
    }
    if (!(minSpeechSeconds >= 0)) {
      throw new IllegalArgumentException(
          "minimum speech seconds must be >= 0, got " + minSpeechSeconds);
    }
  }

  public static VadConfig fromEnv(Env env) {
    return fromEnv(env, DEFAULT_MODEL);
  }

  /**
   * @param defaultModel the model when EMOSTREAM_VAD_MODEL is unset (the embedded platform's, under
   *     its home)
   */
  public static VadConfig fromEnv(Env env, Path defaultModel) {
    return new VadConfig(
        env.bool(ENABLED_ENV, true),
        env.path(MODEL_ENV, defaultModel),
        env.decimal(THRESHOLD_ENV, DEFAULT_THRESHOLD, 0.01, 0.99),
        env.decimal(MIN_SPEECH_SECONDS_ENV, DEFAULT_MIN_SPEECH_SECONDS, 0, 60));
  }

  public static VadConfig defaults() {
    return fromEnv(new Env(Map.of()));
  }

  public VadConfig withModel(Path onnx) {
    return new VadConfig(enabled, onnx, threshold, minSpeechSeconds);
  }
}
