package io.emostream.inference;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Generated audio that holds no speech, for measuring and testing voice-activity detection ({@code
 * io.emostream.cli.VadSurvey}, {@code SpeechDetectorTest}): digital silence, a 300 Hz tone, white
 * and pink noise at several levels, music-like chords and arpeggios (harmonic notes with a decaying
 * envelope) and DTMF-like dual tones. 16 kHz mono floats in [-1, 1]; deterministic (fixed seeds).
 */
public final class NonSpeechSignals {

  public static final int RATE = 16_000;
  private static final double[] NOISE_DBFS = {-50, -40, -30, -20, -10};

  private NonSpeechSignals() {}

  /**
   * Every signal, {@code seconds} long, by name (e.g. {@code white-noise -30 dBFS}), in a fixed
   * order.
   */
  public static Map<String, float[]> all(double seconds) {
    int n = (int) Math.round(seconds * RATE);
    Map<String, float[]> out = new LinkedHashMap<>();
    out.put("digital silence", new float[n]);
    out.put("tone 300 Hz -20 dBFS", tone(n, 300, 0.1));
    out.put("tone 300 Hz -6 dBFS", tone(n, 300, 0.5));
    for (double db : NOISE_DBFS) {
      out.put(
          String.format(Locale.ROOT, "white noise %.0f dBFS", db),
          scaleToRms(white(n, 1), dbfs(db)));
      out.put(
          String.format(Locale.ROOT, "pink noise %.0f dBFS", db), scaleToRms(pink(n, 2), dbfs(db)));
    }
    out.put("chords (C F G Am)", chords(n));
    out.put("arpeggio 8 notes/s", arpeggio(n, 0.125));
    out.put("arpeggio 4 notes/s", arpeggio(n, 0.25));
    out.put("DTMF-like digits", dtmf(n));
    return out;
  }

  /** The RMS of a full-scale sine at {@code db} dBFS, as an RMS level (0 dBFS RMS = 1). */
  static double dbfs(double db) {
    return Math.pow(10, db / 20);
  }

  public static float[] tone(int n, double hz, double amplitude) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / RATE));
    }
    return x;
  }

  public static float[] white(int n, long seed) {
    Random random = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** Pink (1/f) noise by Paul Kellet's economy filter over white noise. */
  static float[] pink(int n, long seed) {
    float[] w = white(n, seed);
    float[] x = new float[n];
    double b0 = 0;
    double b1 = 0;
    double b2 = 0;
    for (int i = 0; i < n; i++) {
      b0 = 0.99765 * b0 + w[i] * 0.0990460;
      b1 = 0.96300 * b1 + w[i] * 0.2965164;
      b2 = 0.57000 * b2 + w[i] * 1.0526913;
      x[i] = (float) (b0 + b1 + b2 + w[i] * 0.1848);
    }
    return x;
  }

  /** The root mean square of {@code x} (0 for no samples). */
  public static double rms(float[] x) {
    double sum = 0;
    for (float v : x) {
      sum += v * v;
    }
    return Math.sqrt(sum / Math.max(1, x.length));
  }

  /** Scales {@code x} in place to the given RMS; returns it. */
  public static float[] scaleToRms(float[] x, double rms) {
    double current = rms(x);
    if (current > 0) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.max(-1, Math.min(1, x[i] * rms / current));
      }
    }
    return x;
  }

  /**
   * Four triads (C, F, G, A minor), one per second, each note with three harmonics and a decaying
   * envelope.
   */
  static float[] chords(int n) {
    double[][] triads = {
      {261.63, 329.63, 392.00},
      {349.23, 440.00, 523.25},
      {392.00, 493.88, 587.33},
      {440.00, 523.25, 659.25}
    };
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double t = (double) i / RATE;
      double[] triad = triads[(int) t % triads.length];
      double local = t - Math.floor(t);
      x[i] = (float) (0.08 * Math.exp(-2.5 * local) * notes(triad, t));
    }
    return x;
  }

  /** C major arpeggio up and down, one note every {@code noteSeconds}, plucked (fast decay). */
  static float[] arpeggio(int n, double noteSeconds) {
    double[] scale = {261.63, 329.63, 392.00, 523.25, 659.25, 523.25, 392.00, 329.63};
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double t = (double) i / RATE;
      int note = (int) (t / noteSeconds);
      double local = t - note * noteSeconds;
      x[i] =
          (float)
              (0.2 * Math.exp(-6 * local) * notes(new double[] {scale[note % scale.length]}, t));
    }
    return x;
  }

  private static double notes(double[] fundamentals, double t) {
    double sum = 0;
    for (double f : fundamentals) {
      for (int h = 1; h <= 3; h++) {
        sum += Math.sin(2 * Math.PI * f * h * t) / h;
      }
    }
    return sum;
  }

  /** DTMF-like digits: a low and a high tone together for 100 ms, then 100 ms of silence. */
  static float[] dtmf(int n) {
    double[] low = {697, 770, 852, 941};
    double[] high = {1209, 1336, 1477};
    float[] x = new float[n];
    int period = RATE / 5;
    for (int i = 0; i < n; i++) {
      int digit = i / period;
      if (i % period < period / 2) {
        double t = (double) i / RATE;
        x[i] =
            (float)
                (0.2
                    * (Math.sin(2 * Math.PI * low[digit % low.length] * t)
                        + Math.sin(2 * Math.PI * high[digit % high.length] * t)));
      }
    }
    return x;
  }
}
