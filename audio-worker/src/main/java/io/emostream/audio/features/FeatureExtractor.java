package io.emostream.audio.features;

import io.emostream.inference.ModelManifest;
import io.emostream.inference.ModelManifest.FeatureLayout;
import io.emostream.inference.ModelManifest.FeatureType;
import io.emostream.inference.ModelManifest.LogKind;
import io.emostream.inference.ModelManifest.MelNorm;
import io.emostream.inference.ModelManifest.MelScale;
import io.emostream.inference.ModelManifest.PadMode;

/**
 * Log-mel and MFCC features of a mono waveform, defined as torchaudio 0.13 defines them ({@code
 * transforms.MelSpectrogram}, {@code AmplitudeToDB}, {@code MFCC}; see {@link
 * ModelManifest.Features}) and checked against torchaudio's output in {@code FeatureExtractorTest}.
 * Computed in double precision; the result is float for the model's tensor. Immutable and
 * thread-safe.
 */
public final class FeatureExtractor {

  /** torchaudio's AmplitudeToDB amin: values below it are clamped before the log. */
  static final double DB_AMIN = 1e-10;

  /** A {@link ModelManifest.Features} with torchaudio's defaults filled in. */
  public record Spec(
      FeatureType type,
      int sampleRate,
      int nFft,
      int winLength,
      int hop,
      int nMels,
      int nMfcc,
      double fMin,
      double fMax,
      double power,
      MelScale melScale,
      MelNorm melNorm,
      boolean center,
      PadMode padMode,
      LogKind log,
      Double topDb,
      double logOffset,
      FeatureLayout layout) {

    public static Spec of(ModelManifest.Features f, int sampleRate) {
      if (f == null || f.type() == null || f.type() == FeatureType.WAVEFORM) {
        throw new IllegalArgumentException("features of type LOG_MEL or MFCC are needed, got " + f);
      }
      int winLength = f.winLength() == null ? f.nFft() : f.winLength();
      boolean mfcc = f.type() == FeatureType.MFCC;
      LogKind log = f.log() != null ? f.log() : mfcc ? LogKind.POWER_DB : LogKind.LN;
      Double topDb =
          f.topDb() != null ? f.topDb() : mfcc && f.log() == null ? Double.valueOf(80.0) : null;
      return new Spec(
          f.type(),
          sampleRate,
          f.nFft(),
          winLength,
          f.hop() == null ? winLength / 2 : f.hop(),
          f.nMels(),
          mfcc ? f.nMfcc() : 0,
          f.fMin() == null ? 0.0 : f.fMin(),
          f.fMax() == null ? sampleRate / 2 : f.fMax(),
          f.power() == null ? 2.0 : f.power(),
          f.melScale() == null ? MelScale.HTK : f.melScale(),
          f.melNorm() == null ? MelNorm.NONE : f.melNorm(),
          f.center() == null || f.center(),
          f.padMode() == null ? PadMode.REFLECT : f.padMode(),
          log,
          topDb,
          f.logOffset() == null ? 1e-6 : f.logOffset(),
          f.layout() == null ? FeatureLayout.NFT : f.layout());
    }

    /** Rows of the feature matrix: mel bands, or MFCC coefficients. */
    public int features() {
      return type == FeatureType.MFCC ? nMfcc : nMels;
    }
  }

  private final Spec spec;
  private final RealDft dft;
  private final double[] window;
  private final double[][] filterbank;
  private final double[][] dct;

  public FeatureExtractor(Spec spec) {
    this.spec = spec;
    this.dft = new RealDft(spec.nFft());
    this.window = paddedHann(spec.winLength(), spec.nFft());
    this.filterbank =
        MelFilterbank.create(
            dft.bins(),
            spec.fMin(),
            spec.fMax(),
            spec.nMels(),
            spec.sampleRate(),
            spec.melScale(),
            spec.melNorm());
    this.dct = spec.type() == FeatureType.MFCC ? dctOrtho(spec.nMfcc(), spec.nMels()) : null;
  }

  public Spec spec() {
    return spec;
  }

  /** Frames {@code torch.stft} makes of {@code samples} samples (0 when too short). */
  public int frames(int samples) {
    int padded = spec.center() ? samples + 2 * (spec.nFft() / 2) : samples;
    return padded < spec.nFft() ? 0 : 1 + (padded - spec.nFft()) / spec.hop();
  }

  /** The feature matrix [features][frames] of a waveform. */
  public float[][] extract(float[] samples) {
    double[][] mel = melSpectrogram(samples);
    double[][] logMel = compress(mel);
    double[][] out = dct == null ? logMel : applyDct(logMel);
    float[][] result = new float[out.length][];
    for (int i = 0; i < out.length; i++) {
      result[i] = new float[out[i].length];
      for (int t = 0; t < out[i].length; t++) {
        result[i][t] = (float) out[i][t];
      }
    }
    return result;
  }

  /** Mel spectrogram [nMels][frames]: |STFT|^power times the filterbank. */
  double[][] melSpectrogram(float[] samples) {
    double[] x = padded(samples);
    int frames = frames(samples.length);
    if (frames == 0) {
      throw new IllegalArgumentException(
          "audio of " + samples.length + " samples is shorter than one frame of " + spec.nFft());
    }
    int bins = dft.bins();
    double[] frame = new double[spec.nFft()];
    double[] re = new double[bins];
    double[] im = new double[bins];
    double[] mag = new double[bins];
    double[][] mel = new double[spec.nMels()][frames];
    for (int t = 0; t < frames; t++) {
      int start = t * spec.hop();
      for (int j = 0; j < frame.length; j++) {
        frame[j] = x[start + j] * window[j];
      }
      dft.transform(frame, re, im);
      for (int k = 0; k < bins; k++) {
        double squared = re[k] * re[k] + im[k] * im[k];
        mag[k] = spec.power() == 2.0 ? squared : Math.pow(squared, spec.power() / 2);
      }
      for (int m = 0; m < spec.nMels(); m++) {
        double sum = 0;
        for (int k = 0; k < bins; k++) {
          sum += mag[k] * filterbank[k][m];
        }
        mel[m][t] = sum;
      }
    }
    return mel;
  }

  private double[] padded(float[] samples) {
    int n = samples.length;
    if (!spec.center()) {
      double[] x = new double[n];
      for (int i = 0; i < n; i++) {
        x[i] = samples[i];
      }
      return x;
    }
    int pad = spec.nFft() / 2;
    if (spec.padMode() == PadMode.REFLECT && pad >= n) {
      throw new IllegalArgumentException(
          "reflect padding of "
              + pad
              + " samples needs more than "
              + pad
              + " samples of audio, got "
              + n);
    }
    double[] x = new double[n + 2 * pad];
    for (int i = 0; i < x.length; i++) {
      int j = i - pad;
      if (j < 0 || j >= n) {
        if (spec.padMode() == PadMode.CONSTANT) {
          continue;
        }
        j = j < 0 ? -j : 2 * (n - 1) - j; // reflect without repeating the edge sample, as torch
      }
      x[i] = samples[j];
    }
    return x;
  }

  private double[][] compress(double[][] mel) {
    LogKind log = spec.log();
    if (log == LogKind.NONE) {
      return mel;
    }
    double[][] out = new double[mel.length][mel.length == 0 ? 0 : mel[0].length];
    double max = Double.NEGATIVE_INFINITY;
    double multiplier = log == LogKind.POWER_DB ? 10.0 : 20.0;
    for (int m = 0; m < mel.length; m++) {
      for (int t = 0; t < mel[m].length; t++) {
        double v =
            log == LogKind.LN
                ? Math.log(mel[m][t] + spec.logOffset())
                : multiplier * Math.log10(Math.max(mel[m][t], DB_AMIN));
        out[m][t] = v;
        max = Math.max(max, v);
      }
    }
    if (log != LogKind.LN && spec.topDb() != null) {
      double floor = max - spec.topDb();
      for (double[] row : out) {
        for (int t = 0; t < row.length; t++) {
          row[t] = Math.max(row[t], floor);
        }
      }
    }
    return out;
  }

  private double[][] applyDct(double[][] logMel) {
    int frames = logMel[0].length;
    double[][] out = new double[spec.nMfcc()][frames];
    for (int c = 0; c < spec.nMfcc(); c++) {
      for (int t = 0; t < frames; t++) {
        double sum = 0;
        for (int m = 0; m < spec.nMels(); m++) {
          sum += dct[c][m] * logMel[m][t];
        }
        out[c][t] = sum;
      }
    }
    return out;
  }

  /**
   * Periodic Hann window of {@code winLength} centred in {@code nFft} zeros, as torch.stft pads it.
   */
  static double[] paddedHann(int winLength, int nFft) {
    double[] w = new double[nFft];
    int left = (nFft - winLength) / 2;
    for (int i = 0; i < winLength; i++) {
      w[left + i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / winLength);
    }
    return w;
  }

  /** torchaudio's create_dct(nMfcc, nMels, "ortho"), as [nMfcc][nMels]. */
  static double[][] dctOrtho(int nMfcc, int nMels) {
    double[][] d = new double[nMfcc][nMels];
    for (int k = 0; k < nMfcc; k++) {
      double scale = Math.sqrt(2.0 / nMels) * (k == 0 ? 1 / Math.sqrt(2.0) : 1.0);
      for (int m = 0; m < nMels; m++) {
        d[k][m] = Math.cos(Math.PI / nMels * (m + 0.5) * k) * scale;
      }
    }
    return d;
  }

  /** The input tensor's shape for a [features][frames] matrix in {@code layout}, batch 1. */
  public static long[] shape(FeatureLayout layout, int features, int frames) {
    return switch (layout) {
      case NFT -> new long[] {1, features, frames};
      case NTF -> new long[] {1, frames, features};
      case NCFT -> new long[] {1, 1, features, frames};
      case NCTF -> new long[] {1, 1, frames, features};
    };
  }

  /** Row-major tensor data of a [features][frames] matrix in {@code layout}. */
  public static float[] flatten(float[][] matrix, FeatureLayout layout) {
    int features = matrix.length;
    int frames = features == 0 ? 0 : matrix[0].length;
    float[] out = new float[features * frames];
    boolean featureMajor = layout == FeatureLayout.NFT || layout == FeatureLayout.NCFT;
    for (int f = 0; f < features; f++) {
      for (int t = 0; t < frames; t++) {
        out[featureMajor ? f * frames + t : t * features + f] = matrix[f][t];
      }
    }
    return out;
  }
}
