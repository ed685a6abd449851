package io.emostream.fusion;

import java.util.List;

/**
 * One late-fusion rule over the two modalities. Pure. In: the canonical labels and the aligned
 * audio and video predictions of one clip, both usable (a clip with one usable modality is not
 * fused by a rule: see {@link FusionRules#single}). Out: the fused distribution over the canonical
 * labels.
 *
 * <p>Every rule opens alike (both distributions checked against the labels, then their
 * confidences): kept in each rule, so that each reads as its paper's formula in one place.
 *
 * @throws IllegalArgumentException on a wrong-length, NaN, negative or non-normalised input
 */
@FunctionalInterface
public interface FusionFunction {

  FusedDistribution fuse(List<String> labels, AlignedPrediction audio, AlignedPrediction video);

  /**
   * Element-wise {@code wa * a + wv * v}, renormalised; weights must be >= 0 with a positive sum.
   */
  static double[] mix(double[] a, double wa, double[] v, double wv) {
    if (!(wa >= 0) || !(wv >= 0) || !(wa + wv > 0) || !Double.isFinite(wa + wv)) {
      throw new IllegalArgumentException(
          "fusion weights must be finite, >= 0 and not both 0, got " + wa + " and " + wv);
    }
    double[] out = new double[a.length];
    double total = 0;
    for (int i = 0; i < a.length; i++) {
      out[i] = wa * a[i] + wv * v[i];
      total += out[i];
    }
    if (total <= 0) {
      throw new IllegalArgumentException("the predictions carry no probability mass to fuse");
    }
    for (int i = 0; i < out.length; i++) {
      out[i] /= total;
    }
    return out;
  }
}
