package io.emostream.audio;

import io.emostream.inference.DcBlocker;
import io.emostream.inference.ModelManifest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Pure audio pre-processing: PCM bytes → mono floats → model windows. */
public final class AudioPreprocessor {

  private AudioPreprocessor() {}

  /**
   * Signed 16-bit little-endian PCM (interleaved when {@code channels > 1}) → mono floats in [-1,
   * 1).
   */
  public static float[] toMonoFloat(byte[] pcm16le, int channels) {
    if (channels < 1) {
      throw new IllegalArgumentException("channel count must be >= 1, got " + channels);
    }
    if (pcm16le.length % (2 * channels) != 0) {
      throw new IllegalArgumentException(
          "PCM length "
              + pcm16le.length
              + " is not a whole number of "
              + channels
              + "-channel 16-bit frames");
    }
    // one bulk copy, then plain array reads: a getShort per sample costs about 3x as much under C1
    short[] pcm = new short[pcm16le.length / 2];
    ByteBuffer.wrap(pcm16le).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(pcm);
    int frames = pcm.length / channels;
    float[] mono = new float[frames];
    if (channels == 1) {
      for (int i = 0; i < frames; i++) {
        mono[i] = pcm[i] / 32768f;
      }
      return mono;
    }
    for (int i = 0, s = 0; i < frames; i++) {
      float sum = 0;
      for (int c = 0; c < channels; c++) {
        sum += pcm[s++] / 32768f;
      }
      mono[i] = sum / channels;
    }
    return mono;
  }

  /**
   * Removes the clip's DC offset and any slow drift of it, in place ({@link DcBlocker}), and
   * returns {@code x}. A constant offset is no sound, but Silero VAD and the speech model both see
   * it: +0.1 of full scale on sad RAVDESS speech gave a segment NO_SPEECH, and +0.02 (about -34
   * dBFS) changed the labels of neutral segments (found by a hostile-user pass).
   */
  public static float[] removeDcOffset(float[] x, int sampleRate) {
    new DcBlocker(sampleRate).filter(x, 0, x.length);
    return x;
  }

  /**
   * Cuts audio into windows of {@code window} samples; the remainder becomes a last window when it
   * has at least {@code min} samples, or when it is all there is. Nothing is silently cut: a
   * remainder shorter than {@code min} after full windows is appended to the last full window.
   */
  public static List<float[]> windows(float[] samples, int window, int min) {
    if (window <= 0) {
      throw new IllegalArgumentException("window must be > 0");
    }
    List<float[]> out = new ArrayList<>();
    int full = samples.length / window;
    int rest = samples.length % window;
    if (full == 0) {
      out.add(samples.clone());
      return out;
    }
    for (int i = 0; i < full; i++) {
      int end = (i == full - 1 && rest > 0 && rest < min) ? samples.length : (i + 1) * window;
      out.add(Arrays.copyOfRange(samples, i * window, end));
    }
    if (rest >= min && rest > 0) {
      out.add(Arrays.copyOfRange(samples, full * window, samples.length));
    }
    return out;
  }

  /** Hugging Face Wav2Vec2FeatureExtractor's do_normalize: (x - mean) / sqrt(var + 1e-7). */
  public static float[] zeroMeanUnitVariance(float[] x) {
    double mean = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (float v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    double scale = 1.0 / Math.sqrt(var + 1e-7);
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) ((x[i] - mean) * scale);
    }
    return out;
  }

  public static float[] normalize(float[] x, ModelManifest.AudioNormalization normalization) {
    return normalization == ModelManifest.AudioNormalization.ZERO_MEAN_UNIT_VARIANCE
        ? zeroMeanUnitVariance(x)
        : x;
  }
}
