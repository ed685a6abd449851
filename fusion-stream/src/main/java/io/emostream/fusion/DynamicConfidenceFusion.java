package io.emostream.fusion;

import java.util.List;

/**
 * DYNAMIC_CONFIDENCE (first paper, "Dynamic Weighting Based on Confidence"). Pure. Each model's
 * confidence is its top probability divided by the sum of its probabilities, {@code c = max(p) /
 * sum(p)}; the per-clip weights are the confidences scaled by the inverse of their total, {@code wa
 * = ca / (ca + cv)}, {@code wv = cv / (ca + cv)}; the result is {@code wa * audio + wv * video}.
 *
 * <p>Why this reading of "weights assigned based on the inverse of their total confidence scores":
 * the method is named weighting <em>based on confidence</em>, so a more confident model must weigh
 * more; multiplying each confidence by {@code 1 / (ca + cv)} is what makes the weights sum to 1.
 * The literal alternative, weights proportional to {@code 1 / c}, would give the <em>less</em>
 * confident model more say, which contradicts the method's name and the paper's remark that it
 * behaves like averaging when the models are similar.
 */
public final class DynamicConfidenceFusion implements FusionFunction {

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    double[] a = audio.checked(labels);
    double[] v = video.checked(labels);
    double ca = AlignedPrediction.confidence(a);
    double cv = AlignedPrediction.confidence(v);
    return new FusedDistribution(labels, FusionFunction.mix(a, ca / (ca + cv), v, cv / (ca + cv)));
  }
}
