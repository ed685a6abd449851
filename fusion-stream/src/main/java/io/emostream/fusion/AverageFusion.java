package io.emostream.fusion;

import java.util.List;

/**
 * The AVERAGE rule (probability averaging, the paper's baseline late fusion): the element-wise mean of the aligned
 * vectors, renormalised to sum to 1. Pure. With one vector the result is that vector (renormalised). The label is
 * the argmax with ties going to the first canonical label ({@link FusedDistribution}); the confidence is its
 * probability.
 *
 * <p>Each input sums to 1 only within {@link LabelAligner#SUM_TOLERANCE} (float rounding of a softmax); the
 * renormalisation makes the output a proper distribution whatever that rounding was.
 */
public final class AverageFusion implements FusionFunction {

  @Override
  public FusedDistribution fuse(List<String> labels, List<double[]> aligned) {
    if (aligned.isEmpty()) {
      throw new IllegalArgumentException("AVERAGE needs at least one usable prediction");
    }
    double[] mean = new double[labels.size()];
    for (double[] vector : aligned) {
      addInto(mean, vector);
    }
    return new FusedDistribution(labels, normalised(mean));
  }

  private static void addInto(double[] sum, double[] vector) {
    if (vector.length != sum.length) {
      throw new IllegalArgumentException("aligned vector has " + vector.length + " values; expected " + sum.length);
    }
    for (int i = 0; i < sum.length; i++) {
      if (!Double.isFinite(vector[i]) || vector[i] < 0) {
        throw new IllegalArgumentException("aligned value " + vector[i] + " is not a finite number >= 0");
      }
      sum[i] += vector[i];
    }
  }

  private static double[] normalised(double[] values) {
    double total = 0;
    for (double v : values) {
      total += v;
    }
    if (total <= 0) {
      throw new IllegalArgumentException("the predictions carry no probability mass to average");
    }
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i] / total;
    }
    return out;
  }
}
