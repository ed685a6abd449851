package io.emostream.inference;

/**
 * A first-order DC blocker, {@code y[n] = x[n] - x[n-1] + R y[n-1]}, with its corner at {@link
 * #CORNER_HZ}: it removes a constant offset exactly and a drifting one (a ramp, a swing of a
 * fraction of a hertz) almost entirely, and changes speech above 70 Hz by less than 0.1 dB.
 * Stateful, for a stream: each call goes on where the last one ended. The first sample sets the
 * state, so a constant offset gives zeros from the first sample on rather than a decaying step, and
 * the output does not depend on the offset at all.
 *
 * <p>Why: a constant offset of +0.1 of full scale turned sad RAVDESS speech into NO_SPEECH and
 * +0.02 changed neutral labels; a slow drift (a ramp of 0.3 across a clip, a 0.2 Hz swing of 0.05)
 * did the same after the offset was removed by the clip's mean alone (found by hostile-user
 * passes). A cheap sound card, a recorder or a phone gateway can add either.
 */
public final class DcBlocker {

  /** The corner frequency: speech has nothing below it, the drift nothing above. */
  public static final double CORNER_HZ = 2;

  private final float r;
  private boolean started;
  private float previousIn;
  private float previousOut;

  public DcBlocker(int sampleRate) {
    this.r = (float) Math.exp(-2 * Math.PI * CORNER_HZ / sampleRate);
  }

  /** Filters {@code x[from, to)} in place, after what the earlier calls filtered. */
  public void filter(float[] x, int from, int to) {
    if (!started && from < to) {
      previousIn = x[from];
      previousOut = 0;
      started = true;
    }
    float in = previousIn;
    float out = previousOut;
    for (int i = from; i < to; i++) {
      float v = x[i];
      out = v - in + r * out;
      in = v;
      x[i] = out;
    }
    previousIn = in;
    previousOut = out;
  }
}
