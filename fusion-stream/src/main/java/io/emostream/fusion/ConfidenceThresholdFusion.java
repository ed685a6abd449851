package io.emostream.fusion;

import io.emostream.schemas.Modality;
import java.util.List;
import java.util.Objects;

/**
 * CONFIDENCE_THRESHOLD (first paper, "Confidence Level Threshold on the Video Model"): when the
 * preferred modality's top probability is strictly greater than the threshold, its distribution is
 * the result; otherwise AVERAGE. Pure. Defaults (paper): preferred VIDEO, threshold 0.7. Only the
 * top probability's value is compared, so a tie between labels does not change which branch is
 * taken; the result's label is its argmax, ties to the first canonical label.
 */
public final class ConfidenceThresholdFusion implements FusionFunction {

  private final double threshold;
  private final Modality preferred;

  public ConfidenceThresholdFusion(double threshold, Modality preferred) {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException(
          "confidence threshold must be in [0, 1], got " + threshold);
    }
    this.threshold = threshold;
    this.preferred = Objects.requireNonNull(preferred, "preferred");
  }

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    double[] a = audio.checked(labels);
    double[] v = video.checked(labels);
    double[] pref = preferred == Modality.AUDIO ? a : v;
    if (pref[FusedDistribution.argmaxFirst(pref)] > threshold) {
      return new FusedDistribution(labels, FusionFunction.mix(pref, 1, pref, 0));
    }
    return new FusedDistribution(labels, FusionFunction.mix(a, 0.5, v, 0.5));
  }
}
