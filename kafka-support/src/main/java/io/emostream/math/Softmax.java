package io.emostream.math;

/**
 * The one softmax of the project: the workers' logits ({@code inference.Probabilities}) and the
 * fusion's logistic regression ({@code fusion.LogisticRegressionModel}) both turn scores into a
 * distribution here. It lives in kafka-support, the library both modules already depend on, so that
 * fusion-stream does not depend on the inference module and ONNX Runtime.
 */
public final class Softmax {

  private Softmax() {}

  /**
   * Numerically stable softmax (the largest score is subtracted first); the caller checks that the
   * scores are finite.
   */
  public static double[] of(double[] scores) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : scores) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] p = new double[scores.length];
    for (int k = 0; k < scores.length; k++) {
      p[k] = Math.exp(scores[k] - max);
      sum += p[k];
    }
    for (int k = 0; k < scores.length; k++) {
      p[k] /= sum;
    }
    return p;
  }

  /** {@link #of(double[])} of float scores (a model's logits), as floats. */
  public static float[] of(float[] scores) {
    double[] wide = new double[scores.length];
    for (int k = 0; k < scores.length; k++) {
      wide[k] = scores[k];
    }
    double[] p = of(wide);
    float[] out = new float[p.length];
    for (int k = 0; k < p.length; k++) {
      out[k] = (float) p[k];
    }
    return out;
  }
}
