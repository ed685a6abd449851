package io.emostream.fusion;

import io.emostream.schemas.Modality;
import java.util.List;
import java.util.Objects;

/**
 * One usable prediction after {@link LabelAligner}: its modality, the model that made it and its
 * probabilities over the canonical labels. The input of every {@link FusionFunction}.
 *
 * @param modality AUDIO or VIDEO
 * @param modelName the model's name from its manifest (the key of per-model fusion weights)
 * @param probabilities one value per canonical label, in canonical order
 */
public record AlignedPrediction(Modality modality, String modelName, double[] probabilities) {

  public AlignedPrediction {
    Objects.requireNonNull(modality, "modality");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(probabilities, "probabilities");
    probabilities = probabilities.clone();
  }

  @Override
  public double[] probabilities() {
    return probabilities.clone();
  }

  /**
   * The probabilities, checked: one per label, finite, non-negative, summing to 1 within {@link
   * LabelAligner#SUM_TOLERANCE}. Every rule calls this first, so NaN or a wrong length fails
   * loudly.
   */
  double[] checked(List<String> labels) {
    if (probabilities.length != labels.size()) {
      throw new IllegalArgumentException(
          modality
              + " prediction of "
              + modelName
              + " has "
              + probabilities.length
              + " values; expected "
              + labels.size()
              + " (one per canonical label "
              + labels
              + ")");
    }
    double sum = 0;
    for (int i = 0; i < probabilities.length; i++) {
      double p = probabilities[i];
      if (!Double.isFinite(p) || p < 0) {
        throw new IllegalArgumentException(
            modality
                + " probability of '"
                + labels.get(i)
                + "' is "
                + p
                + "; expected a finite number >= 0");
      }
      sum += p;
    }
    if (Math.abs(sum - 1.0) > LabelAligner.SUM_TOLERANCE) {
      throw new IllegalArgumentException(
          modality
              + " probabilities sum to "
              + sum
              + "; expected 1 ± "
              + LabelAligner.SUM_TOLERANCE);
    }
    return probabilities.clone();
  }

  /**
   * Top probability divided by the sum of all probabilities (the first paper's confidence of a
   * prediction).
   */
  static double confidence(double[] p) {
    double sum = 0;
    for (double v : p) {
      sum += v;
    }
    return p[FusedDistribution.argmaxFirst(p)] / sum;
  }
}
