package io.emostream.inference;

import io.emostream.math.Softmax;
import java.util.List;

/** Pure post-processing of model outputs. */
public final class Probabilities {

  private Probabilities() {}

  /** Numerically stable softmax ({@link Softmax}). Rejects NaN and infinite logits. */
  public static float[] softmax(float[] logits) {
    requireFinite(logits);
    return Softmax.of(logits);
  }

  /**
   * A model's output row as probabilities: softmax of logits, or a checked distribution used as is.
   */
  public static float[] of(float[] row, ModelManifest.OutputKind kind) {
    return kind == ModelManifest.OutputKind.LOGITS ? softmax(row) : requireDistribution(row);
  }

  /** Element-wise mean of equally long vectors (e.g. window or frame posteriors). */
  public static float[] mean(List<float[]> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("cannot average zero probability vectors");
    }
    int n = rows.get(0).length;
    double[] sum = new double[n];
    for (float[] row : rows) {
      if (row.length != n) {
        throw new IllegalArgumentException("vectors differ in length: " + n + " and " + row.length);
      }
      for (int i = 0; i < n; i++) {
        sum[i] += row[i];
      }
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (sum[i] / rows.size());
    }
    return out;
  }

  /**
   * Mean of probability vectors, each weighted by its own largest probability (its confidence):
   * {@code sum_i(max(p_i) * p_i) / sum_i(max(p_i))}. A sure frame counts more than an unsure one.
   */
  public static float[] confidenceWeightedMean(List<float[]> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("cannot average zero probability vectors");
    }
    int n = rows.get(0).length;
    double[] sum = new double[n];
    double weights = 0;
    for (float[] row : rows) {
      if (row.length != n) {
        throw new IllegalArgumentException("vectors differ in length: " + n + " and " + row.length);
      }
      double w = row[argmax(row)];
      weights += w;
      for (int i = 0; i < n; i++) {
        sum[i] += w * row[i];
      }
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (sum[i] / weights);
    }
    return out;
  }

  /** The clip posterior from frame (or window) posteriors by the given rule. */
  public static float[] aggregate(ModelManifest.Aggregation rule, List<float[]> rows) {
    return switch (rule) {
      case MEAN -> mean(rows);
      case CONFIDENCE_WEIGHTED -> confidenceWeightedMean(rows);
    };
  }

  public static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Checks a vector is a probability distribution (finite, non-negative, sums to 1 ± 1e-3). */
  public static float[] requireDistribution(float[] p) {
    requireFinite(p);
    double sum = 0;
    for (float v : p) {
      if (v < 0) {
        throw new IllegalArgumentException("negative probability " + v);
      }
      sum += v;
    }
    if (Math.abs(sum - 1.0) > 1e-3) {
      throw new IllegalArgumentException("probabilities sum to " + sum + ", not 1");
    }
    return p;
  }

  private static void requireFinite(float[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("empty output vector");
    }
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("model output holds a non-finite value: " + v);
      }
    }
  }
}
