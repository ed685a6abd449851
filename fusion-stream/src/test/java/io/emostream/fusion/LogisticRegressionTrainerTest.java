package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.fusion.LogisticRegressionTrainer.Example;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogisticRegressionTrainerTest {

  static final List<String> L = FusionRulesTest.L;

  /** Noisy examples: audio and video each lean towards the true label. */
  static List<Example> examples(int n, long seed) {
    Random random = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int y = i % 3;
      out.add(new Example(noisy(y, random), noisy(y, random), L.get(y)));
    }
    return out;
  }

  private static double[] noisy(int y, Random random) {
    double[] p = new double[3];
    double sum = 0;
    for (int k = 0; k < 3; k++) {
      p[k] = random.nextDouble() + (k == y ? 1.0 : 0);
      sum += p[k];
    }
    for (int k = 0; k < 3; k++) {
      p[k] /= sum;
    }
    return p;
  }

  @Test
  void theFitSatisfiesTheOptimalityConditionOfTheL2PenalisedObjective() {
    List<Example> data = examples(60, 1);
    LogisticRegressionModel model = new LogisticRegressionTrainer(L, 1.0).fit(data, Map.of());

    // At the optimum of 0.5||W||^2 + C * sum(-log p): W[k][j] = C * sum_i (y_ik - p_ik) x_ij and
    // sum_i (y_ik - p_ik) = 0 (unpenalised intercept), with x the min-max scaled features.
    double[] min = new double[6];
    double[] max = new double[6];
    Arrays.fill(min, Double.MAX_VALUE);
    Arrays.fill(max, -Double.MAX_VALUE);
    for (Example e : data) {
      double[] x = LogisticRegressionModel.concat(e.audio(), e.video());
      for (int j = 0; j < 6; j++) {
        min[j] = Math.min(min[j], x[j]);
        max[j] = Math.max(max[j], x[j]);
      }
    }
    double[][] expectedW = new double[3][6];
    double[] interceptGradient = new double[3];
    for (Example e : data) {
      double[] x =
          LogisticRegressionModel.scale(
              LogisticRegressionModel.concat(e.audio(), e.video()), min, max);
      double[] p = model.predict(e.audio(), e.video());
      for (int k = 0; k < 3; k++) {
        double r = (L.get(k).equals(e.label()) ? 1 : 0) - p[k];
        interceptGradient[k] += r;
        for (int j = 0; j < 6; j++) {
          expectedW[k][j] += r * x[j];
        }
      }
    }
    LogisticRegressionModel copy = roundTrip(model);
    for (int k = 0; k < 3; k++) {
      assertThat(interceptGradient[k]).isCloseTo(0, within(1e-4));
    }
    // the fitted coefficients, read back through the file format
    double[] probe = copy.predict(data.get(0).audio(), data.get(0).video());
    assertThat(probe)
        .containsExactly(model.predict(data.get(0).audio(), data.get(0).video()), within(1e-12));
    assertThat(coefficients(model)).isDeepEqualTo(coefficients(copy));
    for (int k = 0; k < 3; k++) {
      for (int j = 0; j < 6; j++) {
        assertThat(coefficients(model)[k][j])
            .as("W[%d][%d]", k, j)
            .isCloseTo(expectedW[k][j], within(1e-4));
      }
    }
  }

  @Test
  void itLearnsInformativePosteriors() {
    LogisticRegressionModel model =
        new LogisticRegressionTrainer(L, 1.0).fit(examples(90, 2), Map.of());
    long correct =
        examples(90, 3).stream()
            .filter(
                e ->
                    L.get(FusedDistribution.argmaxFirst(model.predict(e.audio(), e.video())))
                        .equals(e.label()))
            .count();
    assertThat(correct).isGreaterThan(70);
  }

  @Test
  void rejectsAnUnknownLabelAndNoData() {
    LogisticRegressionTrainer trainer = new LogisticRegressionTrainer(L, 1.0);
    assertThatThrownBy(() -> trainer.fit(List.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> trainer.fit(List.of(new Example(new double[3], new double[3], "calm")), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("calm");
  }

  @TempDir Path dir;

  private LogisticRegressionModel roundTrip(LogisticRegressionModel model) {
    try {
      Path file = dir.resolve("lr.json");
      model.write(file);
      return LogisticRegressionModel.read(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aMalformedModelFileIsAClearError() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"format\": \"something-else\"}");
    assertThatThrownBy(() -> LogisticRegressionModel.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString());
  }

  private static double[][] coefficients(LogisticRegressionModel m) {
    return m.coefficientsCopy();
  }
}
