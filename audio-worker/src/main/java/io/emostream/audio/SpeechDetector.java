package io.emostream.audio;

import ai.onnxruntime.OrtException;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Voice activity with Silero VAD v5 ({@code models/silero-vad/}), implementing the voiced-audio
 * contract that the speech model is trained on (training/audio does the same in Python; keep both
 * identical):
 *
 * <ul>
 *   <li>16 kHz mono; frames of {@value #FRAME} samples, the last partial frame zero-padded; each
 *       frame is fed with the previous {@value #CONTEXT} samples prepended (input [1, 576]; zeros
 *       before the first frame), as Silero's own wrapper does; the recurrent {@code state} [2, 1,
 *       128] is carried from frame to frame, starting from zeros for each clip.
 *   <li>A frame is voiced when its speech probability is {@code >= threshold}.
 *   <li>Voiced audio: the clip's samples of the voiced frames after dilating the voiced-frame mask
 *       by {@value #DILATION_FRAMES} frames (96 ms) on each side, concatenated in order. Voiced
 *       seconds: its length. A clip with fewer voiced seconds than {@code minSpeechSeconds} has no
 *       speech.
 * </ul>
 *
 * <p>The session is owned by this detector; it keeps no state between calls and is safe to share
 * between threads as far as ONNX Runtime's {@code run} is. The framing, mask, dilation and
 * concatenation are pure static functions.
 */
public final class SpeechDetector implements AutoCloseable {

  public static final int SAMPLE_RATE = 16_000;
  public static final int FRAME = 512;
  public static final int CONTEXT = 64;
  public static final int DILATION_FRAMES = 3;
  static final int STATE_SIZE = 2 * 128;
  static final Set<String> INPUTS = Set.of("input", "state", "sr");
  static final Set<String> OUTPUTS = Set.of("output", "stateN");

  private final OrtModel model;
  private final double threshold;
  private final double minSpeechSeconds;

  /**
   * @param model a session on Silero VAD v5, owned by this detector from now on (closed with it)
   * @param threshold speech probability from which a frame is voiced, in (0, 1)
   * @param minSpeechSeconds voiced seconds below which a clip has no speech, >= 0
   */
  public SpeechDetector(OrtModel model, double threshold, double minSpeechSeconds) {
    if (!(threshold > 0 && threshold < 1)) {
      throw new IllegalArgumentException("VAD threshold must be in (0, 1), got " + threshold);
    }
    if (!(minSpeechSeconds >= 0)) {
      throw new IllegalArgumentException(
          "minimum speech seconds must be >= 0, got " + minSpeechSeconds);
    }
    model.checkNames(INPUTS, OUTPUTS);
    this.model = model;
    this.threshold = threshold;
    this.minSpeechSeconds = minSpeechSeconds;
  }

  /**
   * Opens the Silero ONNX file on the given device (CPU fallback as for every model) and checks its
   * interface.
   */
  public static SpeechDetector load(
      Path onnx, Device device, int threads, double threshold, double minSpeechSeconds) {
    OrtModel model = OrtModel.open("silero-vad", onnx, device, threads);
    try {
      return new SpeechDetector(model, threshold, minSpeechSeconds);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** What the detector found in one clip. */
  public record Speech(
      float[] probabilities, boolean[] voicedFrames, float[] voiced, boolean enough) {

    public double voicedSeconds() {
      return (double) voiced.length / SAMPLE_RATE;
    }
  }

  /** Runs the contract on one clip's 16 kHz mono samples. */
  public Speech detect(float[] samples) throws OrtException {
    float[] probabilities = probabilities(samples);
    boolean[] voicedFrames = dilate(mask(probabilities, threshold), DILATION_FRAMES);
    float[] voiced = voicedAudio(samples, voicedFrames);
    return new Speech(
        probabilities, voicedFrames, voiced, voiced.length >= minSpeechSeconds * SAMPLE_RATE);
  }

  /**
   * The speech probability of every frame ({@link #frameCount} of them). Each frame is one {@link
   * OrtModel#run}; the frames of a clip run inside one {@link OrtModel#guarded} call, so a stop
   * waits for the clip's last frame instead of failing it half way.
   */
  public float[] probabilities(float[] samples) throws OrtException {
    return model.guarded(() -> runFrames(samples));
  }

  private float[] runFrames(float[] samples) throws OrtException {
    int frames = frameCount(samples.length);
    float[] probabilities = new float[frames];
    float[] state = new float[STATE_SIZE];
    for (int i = 0; i < frames; i++) {
      Map<String, OrtModel.Output> result =
          model.run(
              Map.of(
                  "input", OrtModel.floats(frameInput(samples, i), new long[] {1, CONTEXT + FRAME}),
                  "state", OrtModel.floats(state, new long[] {2, 1, 128}),
                  "sr", OrtModel.scalar(SAMPLE_RATE)),
              OUTPUTS);
      probabilities[i] = result.get("output").data()[0];
      state = result.get("stateN").data();
      if (state.length != STATE_SIZE) {
        throw new IllegalStateException(
            "VAD model returned a state of " + state.length + " values, expected " + STATE_SIZE);
      }
    }
    return probabilities;
  }

  /**
   * The contract's voiced seconds of a clip of {@code samples} samples, from its frame
   * probabilities.
   */
  public static double voicedSeconds(float[] probabilities, int samples, double threshold) {
    boolean[] voiced = dilate(mask(probabilities, threshold), DILATION_FRAMES);
    long n = 0;
    for (int i = 0; i < voiced.length; i++) {
      if (voiced[i]) {
        n += Math.min(samples, (i + 1) * FRAME) - (long) i * FRAME;
      }
    }
    return (double) n / SAMPLE_RATE;
  }

  /** Frames covering {@code samples} samples: the last partial frame counts (it is zero-padded). */
  static int frameCount(int samples) {
    return (samples + FRAME - 1) / FRAME;
  }

  /**
   * Frame {@code index}'s model input: the {@value #CONTEXT} samples before it (zeros before the
   * clip's start), then its {@value #FRAME} samples, zero-padded past the clip's end.
   */
  static float[] frameInput(float[] samples, int index) {
    float[] input = new float[CONTEXT + FRAME];
    int start = index * FRAME - CONTEXT;
    for (int k = 0; k < input.length; k++) {
      int at = start + k;
      if (at >= 0 && at < samples.length) {
        input[k] = samples[at];
      }
    }
    return input;
  }

  /** Frames whose probability is {@code >= threshold}. */
  static boolean[] mask(float[] probabilities, double threshold) {
    boolean[] mask = new boolean[probabilities.length];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = probabilities[i] >= threshold;
    }
    return mask;
  }

  /** Every frame within {@code frames} frames of a voiced one becomes voiced. */
  static boolean[] dilate(boolean[] mask, int frames) {
    boolean[] out = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      if (mask[i]) {
        Arrays.fill(out, Math.max(0, i - frames), Math.min(mask.length, i + frames + 1), true);
      }
    }
    return out;
  }

  /** The samples of the voiced frames, in order (the last frame only as far as the clip goes). */
  static float[] voicedAudio(float[] samples, boolean[] voicedFrames) {
    if (voicedFrames.length != frameCount(samples.length)) {
      throw new IllegalArgumentException(
          voicedFrames.length
              + " frame flags for "
              + samples.length
              + " samples ("
              + frameCount(samples.length)
              + " frames)");
    }
    float[] out = new float[samples.length];
    int n = 0;
    for (int i = 0; i < voicedFrames.length; i++) {
      if (voicedFrames[i]) {
        int from = i * FRAME;
        int to = Math.min(samples.length, from + FRAME);
        System.arraycopy(samples, from, out, n, to - from);
        n += to - from;
      }
    }
    return Arrays.copyOf(out, n);
  }

  public double threshold() {
    return threshold;
  }

  public double minSpeechSeconds() {
    return minSpeechSeconds;
  }

  @Override
  public void close() {
    model.close();
  }
}
