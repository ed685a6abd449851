package io.emostream.audio.features;

/**
 * One-sided discrete Fourier transform of real frames of a fixed length {@code n}: bins 0..n/2 of
 * {@code X[k] = sum_j x[j] exp(-2 pi i j k / n)}, in double precision. A power-of-two length uses
 * an iterative radix-2 FFT; any other length (e.g. 400 samples, 25 ms at 16 kHz) a direct DFT over
 * precomputed twiddles, O(n^2) per frame, which at speech frame rates costs milliseconds per second
 * of audio. One instance per length; immutable and thread-safe.
 */
public final class RealDft {

  private final int n;
  private final boolean powerOfTwo;
  private final double[] cos;
  private final double[] sin;

  public RealDft(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("DFT length must be >= 1, got " + n);
    }
    this.n = n;
    this.powerOfTwo = Integer.bitCount(n) == 1;
    // twiddles exp(-2 pi i m / n) for m in 0..n-1: the FFT uses the first half, the direct DFT all
    this.cos = new double[n];
    this.sin = new double[n];
    for (int m = 0; m < n; m++) {
      double angle = 2 * Math.PI * m / n;
      cos[m] = Math.cos(angle);
      sin[m] = -Math.sin(angle);
    }
  }

  public int length() {
    return n;
  }

  /** Number of one-sided bins, n / 2 + 1. */
  public int bins() {
    return n / 2 + 1;
  }

  /** Writes the real and imaginary parts of bins 0..n/2 of {@code frame} (length n). */
  public void transform(double[] frame, double[] re, double[] im) {
    if (frame.length != n || re.length < bins() || im.length < bins()) {
      throw new IllegalArgumentException(
          "frame must have " + n + " samples and outputs " + bins() + " bins");
    }
    if (powerOfTwo) {
      fft(frame, re, im);
    } else {
      direct(frame, re, im);
    }
  }

  private void direct(double[] x, double[] re, double[] im) {
    for (int k = 0; k < bins(); k++) {
      double sr = 0;
      double si = 0;
      int m = 0;
      for (int j = 0; j < n; j++) {
        sr += x[j] * cos[m];
        si += x[j] * sin[m];
        m += k;
        if (m >= n) {
          m -= n;
        }
      }
      re[k] = sr;
      im[k] = si;
    }
  }

  private void fft(double[] x, double[] re, double[] im) {
    double[] ar = new double[n];
    double[] ai = new double[n];
    int bits = Integer.numberOfTrailingZeros(n);
    for (int j = 0; j < n; j++) {
      int r = bits == 0 ? 0 : Integer.reverse(j) >>> (32 - bits);
      ar[r] = x[j];
      ai[r] = 0;
    }
    for (int size = 2; size <= n; size <<= 1) {
      int half = size >> 1;
      int step = n / size;
      for (int start = 0; start < n; start += size) {
        for (int j = 0; j < half; j++) {
          double wr = cos[j * step];
          double wi = sin[j * step];
          int a = start + j;
          int b = a + half;
          double tr = ar[b] * wr - ai[b] * wi;
          double ti = ar[b] * wi + ai[b] * wr;
          ar[b] = ar[a] - tr;
          ai[b] = ai[a] - ti;
          ar[a] += tr;
          ai[a] += ti;
        }
      }
    }
    System.arraycopy(ar, 0, re, 0, bins());
    System.arraycopy(ai, 0, im, 0, bins());
  }
}
