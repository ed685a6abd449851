package io.emostream.ingest;

import io.emostream.inference.VadConfig;
import io.emostream.kafka.Env;
import java.nio.file.Path;

/**
 * How ingest cuts a source into clips, from the environment. {@code FIXED}: windows of
 * EMOSTREAM_SEGMENT_SECONDS ({@link SegmentPlan}). {@code VAD}: at pauses in the speech ({@link
 * SpeechCuts}), found by Silero VAD on the 16 kHz audio as it is demuxed.
 *
 * @param mode EMOSTREAM_SEGMENTATION: {@code fixed} (default) or {@code vad}
 * @param minMs EMOSTREAM_VAD_SEGMENT_MIN_SECONDS (default 2): a clip is not ended at a pause before
 *     it is this long
 * @param maxMs EMOSTREAM_VAD_SEGMENT_MAX_SECONDS (default 8): a clip is ended here when no pause
 *     came
 * @param pauseMs EMOSTREAM_VAD_SEGMENT_PAUSE_MS (default 300): unvoiced time that makes a pause; a
 *     clip ends half of it into the pause, so this much look-ahead is needed at most
 * @param vadModel EMOSTREAM_VAD_MODEL, as for the audio worker: the Silero VAD v5 ONNX file
 * @param threshold EMOSTREAM_VAD_THRESHOLD, as for the audio worker: speech probability from which
 *     a 32 ms frame is voiced
 */
public record Segmentation(
    Mode mode, long minMs, long maxMs, long pauseMs, Path vadModel, double threshold) {

  public static final String MODE_ENV = "EMOSTREAM_SEGMENTATION";
  public static final String MIN_SECONDS_ENV = "EMOSTREAM_VAD_SEGMENT_MIN_SECONDS";
  public static final String MAX_SECONDS_ENV = "EMOSTREAM_VAD_SEGMENT_MAX_SECONDS";
  public static final String PAUSE_MS_ENV = "EMOSTREAM_VAD_SEGMENT_PAUSE_MS";

  /** How clips are cut. */
  public enum Mode {
    FIXED,
    VAD
  }

  public Segmentation {
    if (!(minMs > 0 && minMs <= maxMs)) {
      throw new IllegalArgumentException(
          "VAD segments need 0 < minimum <= maximum, got "
              + minMs
              + " ms and "
              + maxMs
              + " ms ("
              + MIN_SECONDS_ENV
              + ", "
              + MAX_SECONDS_ENV
              + ")");
    }
    if (pauseMs <= 0) {
      throw new IllegalArgumentException("a pause must be > 0 ms, got " + pauseMs);
    }
  }

  public static Segmentation fromEnv(Env env) {
    return fromEnv(env, VadConfig.DEFAULT_MODEL);
  }

  /**
   * @param defaultModel the VAD model when EMOSTREAM_VAD_MODEL is unset (the embedded platform's,
   *     under its home)
   */
  public static Segmentation fromEnv(Env env, Path defaultModel) {
    return new Segmentation(
        env.enumValue(MODE_ENV, Mode.class, Mode.FIXED),
        Math.round(env.decimal(MIN_SECONDS_ENV, 2.0, 0.5, 600) * 1000),
        Math.round(env.decimal(MAX_SECONDS_ENV, 8.0, 0.5, 600) * 1000),
        env.integer(PAUSE_MS_ENV, 300, 32, 10_000),
        env.path(VadConfig.MODEL_ENV, defaultModel),
        env.decimal(VadConfig.THRESHOLD_ENV, VadConfig.DEFAULT_THRESHOLD, 0.01, 0.99));
  }

  public boolean vad() {
    return mode == Mode.VAD;
  }
}
