package io.emostream.inference;

/** Milliseconds since the last lap, for the per-stage timings a prediction carries. */
public final class Stopwatch {

  private long last = System.nanoTime();

  public double lapMs() {
    long now = System.nanoTime();
    double ms = (now - last) / 1e6;
    last = now;
    return ms;
  }
}
