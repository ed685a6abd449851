package io.emostream.fusion;

import io.emostream.math.Softmax;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Fits a {@link LogisticRegressionModel}: multinomial (softmax) logistic regression with an L2
 * penalty, the objective of scikit-learn's {@code LogisticRegression(C=1,
 * multi_class="multinomial")}: {@code 0.5 * ||W||² + C * Σ_i -log p(y_i | x_i)}, intercepts not
 * penalised. Pure: the same examples give the same model. Minimised by gradient descent with a
 * backtracking (Armijo) line search until the gradient's largest component is below {@link
 * #TOLERANCE} or after {@link #MAX_ITERATIONS} steps. A small implementation rather than a library:
 * Smile (3.x) is GPL, Apache Commons Math has no multinomial logistic regression, and the problem
 * is tiny (2 x 8 features, a few thousand clips at most).
 */
public final class LogisticRegressionTrainer {

  public static final double TOLERANCE = 1e-6;
  public static final int MAX_ITERATIONS = 20_000;

  /**
   * One labelled clip: aligned audio and video vectors over the canonical labels and the true
   * label.
   */
  public record Example(double[] audio, double[] video, String label) {}

  private final List<String> labels;
  private final double c;

  public LogisticRegressionTrainer(List<String> labels, double c) {
    if (!(c > 0) || !Double.isFinite(c)) {
      throw new IllegalArgumentException("C must be a finite number > 0, got " + c);
    }
    this.labels = List.copyOf(labels);
    this.c = c;
  }

  public LogisticRegressionModel fit(List<Example> examples, Map<String, Object> info) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException(
          "no labelled examples to train the logistic-regression fusion on");
    }
    List<String> classes = classes(examples);
    int n = examples.size();
    int d = 2 * labels.size();
    double[][] raw = new double[n][];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      Example e = examples.get(i);
      if (e.audio().length != labels.size() || e.video().length != labels.size()) {
        throw new IllegalArgumentException(
            "example " + i + " is not aligned to the " + labels.size() + " labels");
      }
      raw[i] = LogisticRegressionModel.concat(e.audio(), e.video());
      y[i] = classes.indexOf(e.label());
    }
    double[] min = new double[d];
    double[] max = new double[d];
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (double[] x : raw) {
      for (int j = 0; j < d; j++) {
        min[j] = Math.min(min[j], x[j]);
        max[j] = Math.max(max[j], x[j]);
      }
    }
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = LogisticRegressionModel.scale(raw[i], min, max);
    }
    int k = classes.size();
    double[][] w = new double[k][d];
    double[] b = new double[k];
    if (k > 1) {
      minimise(x, y, w, b);
    }
    return new LogisticRegressionModel(labels, classes, min, max, w, b, info);
  }

  private List<String> classes(List<Example> examples) {
    TreeSet<Integer> seen = new TreeSet<>();
    for (Example e : examples) {
      int index = labels.indexOf(e.label());
      if (index < 0) {
        throw new IllegalArgumentException("label '" + e.label() + "' is not one of " + labels);
      }
      seen.add(index);
    }
    List<String> out = new ArrayList<>();
    seen.forEach(i -> out.add(labels.get(i)));
    return out;
  }

  /** The objective at (w, b); fills gw and gb with its gradient. */
  double objective(double[][] x, int[] y, double[][] w, double[] b, double[][] gw, double[] gb) {
    int k = b.length;
    double loss = 0;
    for (double[] row : gw) {
      Arrays.fill(row, 0);
    }
    Arrays.fill(gb, 0);
    for (int i = 0; i < x.length; i++) {
      double[] z = LogisticRegressionModel.scores(w, b, x[i]);
      double[] p = Softmax.of(z);
      loss -= Math.log(Math.max(p[y[i]], 1e-300));
      for (int m = 0; m < k; m++) {
        double r = c * (p[m] - (m == y[i] ? 1 : 0));
        gb[m] += r;
        for (int j = 0; j < x[i].length; j++) {
          gw[m][j] += r * x[i][j];
        }
      }
    }
    double penalty = 0;
    for (int m = 0; m < k; m++) {
      for (int j = 0; j < w[m].length; j++) {
        penalty += w[m][j] * w[m][j];
        gw[m][j] += w[m][j];
      }
    }
    return 0.5 * penalty + c * loss;
  }

  private void minimise(double[][] x, int[] y, double[][] w, double[] b) {
    int k = b.length;
    int d = w[0].length;
    double[][] gw = new double[k][d];
    double[] gb = new double[k];
    double[][] tw = new double[k][d];
    double[] tb = new double[k];
    double[][] tgw = new double[k][d];
    double[] tgb = new double[k];
    double f = objective(x, y, w, b, gw, gb);
    double step = 1.0;
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      double gradMax = 0;
      double gradSq = 0;
      for (int m = 0; m < k; m++) {
        gradMax = Math.max(gradMax, Math.abs(gb[m]));
        gradSq += gb[m] * gb[m];
        for (int j = 0; j < d; j++) {
          gradMax = Math.max(gradMax, Math.abs(gw[m][j]));
          gradSq += gw[m][j] * gw[m][j];
        }
      }
      if (gradMax < TOLERANCE) {
        return;
      }
      step = Math.min(step * 2, 1e3);
      while (true) {
        for (int m = 0; m < k; m++) {
          tb[m] = b[m] - step * gb[m];
          for (int j = 0; j < d; j++) {
            tw[m][j] = w[m][j] - step * gw[m][j];
          }
        }
        double ft = objective(x, y, tw, tb, tgw, tgb);
        if (ft <= f - 0.5 * step * gradSq || step < 1e-12) {
          f = ft;
          for (int m = 0; m < k; m++) {
            b[m] = tb[m];
            gb[m] = tgb[m];
            System.arraycopy(tw[m], 0, w[m], 0, d);
            System.arraycopy(tgw[m], 0, gw[m], 0, d);
          }
          break;
        }
        step /= 2;
      }
    }
  }
}
