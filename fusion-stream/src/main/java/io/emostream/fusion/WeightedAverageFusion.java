package io.emostream.fusion;

import java.util.List;
import java.util.Map;

/**
 * WEIGHTED_AVERAGE (first paper, "Weighted Average Method"): each model's vector weighted by that
 * model's accuracy, weights normalised to sum to 1: {@code (wa * audio + wv * video) / (wa + wv)}.
 * Pure. Weights are keyed by the model name of the prediction (its manifest's {@code name}),
 * configured with {@code EMOSTREAM_FUSION_WEIGHTS}. A model without a weight is an error naming the
 * variable, not a silent fallback to AVERAGE.
 */
public final class WeightedAverageFusion implements FusionFunction {

  private final Map<String, Double> weights;

  public WeightedAverageFusion(Map<String, Double> weights) {
    weights.forEach(
        (model, w) -> {
          if (w == null || !Double.isFinite(w) || w <= 0) {
            throw new IllegalArgumentException(
                "weight of model " + model + " must be a finite number > 0, got " + w);
          }
        });
    this.weights = Map.copyOf(weights);
  }

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    double[] a = audio.checked(labels);
    double[] v = video.checked(labels);
    return new FusedDistribution(
        labels, FusionFunction.mix(a, weightOf(audio), v, weightOf(video)));
  }

  private double weightOf(AlignedPrediction p) {
    Double w = weights.get(p.modelName());
    if (w == null) {
      throw new IllegalArgumentException(
          "WEIGHTED_AVERAGE has no weight for model '"
              + p.modelName()
              + "'; set "
              + FusionConfig.WEIGHTS_ENV
              + "="
              + p.modelName()
              + "=<accuracy>,... (configured: "
              + weights.keySet()
              + ")");
    }
    return w;
  }
}
