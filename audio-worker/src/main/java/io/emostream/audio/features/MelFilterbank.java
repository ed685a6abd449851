package io.emostream.audio.features;

import io.emostream.inference.ModelManifest.MelNorm;
import io.emostream.inference.ModelManifest.MelScale;

/**
 * Triangular mel filterbank exactly as torchaudio 0.13's {@code functional.melscale_fbanks}: FFT
 * bin frequencies {@code linspace(0, sampleRate // 2, nFreqs)}, {@code nMels + 2} points evenly
 * spaced on the mel scale between fMin and fMax, triangles from their slopes, optionally Slaney
 * area normalisation. HTK mel scale: 2595 log10(1 + f / 700). Slaney (librosa's default, also
 * torchaudio's "slaney"): linear below 1 kHz (200/3 Hz per mel), logarithmic above (log(6.4) / 27
 * per mel).
 */
public final class MelFilterbank {

  private static final double SLANEY_F_SP = 200.0 / 3;
  private static final double SLANEY_MIN_LOG_HZ = 1000.0;
  private static final double SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;
  private static final double SLANEY_LOGSTEP = Math.log(6.4) / 27.0;

  private MelFilterbank() {}

  /** The filterbank as [nFreqs][nMels]: mel[m] = sum_k power[k] * fb[k][m]. */
  public static double[][] create(
      int nFreqs,
      double fMin,
      double fMax,
      int nMels,
      int sampleRate,
      MelScale scale,
      MelNorm norm) {
    double[] allFreqs = new double[nFreqs];
    double nyquist = sampleRate / 2; // integer division, as torchaudio's sample_rate // 2
    for (int k = 0; k < nFreqs; k++) {
      allFreqs[k] = nFreqs == 1 ? 0 : nyquist * k / (nFreqs - 1);
    }
    double mMin = hzToMel(fMin, scale);
    double mMax = hzToMel(fMax, scale);
    double[] fPts = new double[nMels + 2];
    for (int i = 0; i < nMels + 2; i++) {
      fPts[i] = melToHz(mMin + (mMax - mMin) * i / (nMels + 1), scale);
    }
    double[][] fb = new double[nFreqs][nMels];
    for (int k = 0; k < nFreqs; k++) {
      for (int m = 0; m < nMels; m++) {
        double down = (allFreqs[k] - fPts[m]) / (fPts[m + 1] - fPts[m]);
        double up = (fPts[m + 2] - allFreqs[k]) / (fPts[m + 2] - fPts[m + 1]);
        double w = Math.max(0, Math.min(down, up));
        if (norm == MelNorm.SLANEY) {
          w *= 2.0 / (fPts[m + 2] - fPts[m]);
        }
        fb[k][m] = w;
      }
    }
    return fb;
  }

  public static double hzToMel(double hz, MelScale scale) {
    if (scale == MelScale.HTK) {
      return 2595.0 * Math.log10(1.0 + hz / 700.0);
    }
    return hz >= SLANEY_MIN_LOG_HZ
        ? SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP
        : hz / SLANEY_F_SP;
  }

  public static double melToHz(double mel, MelScale scale) {
    if (scale == MelScale.HTK) {
      return 700.0 * (Math.pow(10.0, mel / 2595.0) - 1.0);
    }
    return mel >= SLANEY_MIN_LOG_MEL
        ? SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL))
        : SLANEY_F_SP * mel;
  }
}
