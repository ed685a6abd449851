package io.emostream.ingest;

/**
 * How a source is cut into clips: windows of {@code windowMs}; when the duration is known, a last
 * piece shorter than {@code minMs} joins the previous clip rather than standing alone, and a source
 * shorter than one window is one clip. With an unknown duration (a live stream) windows are fixed.
 * Pure, so the boundaries are tested without media.
 */
public record SegmentPlan(long durationMs, long windowMs, long minMs) {

  public SegmentPlan {
    if (windowMs <= 0 || minMs < 0) {
      throw new IllegalArgumentException("window must be > 0 and minimum >= 0");
    }
  }

  public boolean durationKnown() {
    return durationMs > 0;
  }

  /** Number of clips, or -1 when the duration is unknown. */
  public int count() {
    if (!durationKnown()) {
      return -1;
    }
    long full = durationMs / windowMs;
    long rest = durationMs % windowMs;
    if (full == 0) {
      return 1;
    }
    return (int) (rest >= minMs && rest > 0 ? full + 1 : full);
  }

  /** The clip a time falls in; times past the end belong to the last clip. */
  public int indexOf(long timeMs) {
    int k = (int) Math.max(0, timeMs / windowMs);
    return durationKnown() ? Math.min(k, count() - 1) : k;
  }

  public long start(int index) {
    return index * windowMs;
  }

  public long end(int index) {
    if (durationKnown() && index == count() - 1) {
      return durationMs;
    }
    return (index + 1) * windowMs;
  }

  /** The {@code n} evenly spaced frame times of a clip: the centres of n equal slots. */
  public long[] frameTargets(int index, int n) {
    long start = start(index);
    double slot = (double) (end(index) - start) / n;
    long[] targets = new long[n];
    for (int i = 0; i < n; i++) {
      targets[i] = start + Math.round((i + 0.5) * slot);
    }
    return targets;
  }
}
