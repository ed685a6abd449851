package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProbabilitiesTest {

  @Test
  void softmaxMatchesHandComputedValues() {
    // e^0 / (e^0 + e^ln3) = 1/4, e^ln3 / 4 = 3/4
    float[] p = Probabilities.softmax(new float[] {0f, (float) Math.log(3)});
    assertThat(p[0]).isCloseTo(0.25f, within(1e-6f));
    assertThat(p[1]).isCloseTo(0.75f, within(1e-6f));
  }

  @Test
  void softmaxIsStableForLargeLogits() {
    float[] p = Probabilities.softmax(new float[] {1000f, 1000f});
    assertThat(p).containsExactly(0.5f, 0.5f);
  }

  /** The expression classifier's own softmax was tested with these before it used this one. */
  @Test
  void softmaxOfEqualLogitsIsUniformAndAVeryLowLogitGetsZero() {
    assertThat(Probabilities.softmax(new float[] {1, 1, 1, 1}))
        .containsExactly(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, within(1e-7f));
    assertThat(Probabilities.softmax(new float[] {1000, 1000, -1000}))
        .containsExactly(new float[] {0.5f, 0.5f, 0f}, within(1e-7f));
  }

  @Test
  void ofAppliesSoftmaxToLogitsAndChecksProbabilities() {
    assertThat(
            Probabilities.of(
                new float[] {0f, (float) Math.log(3)}, ModelManifest.OutputKind.LOGITS))
        .containsExactly(new float[] {0.25f, 0.75f}, within(1e-6f));
    assertThat(Probabilities.of(new float[] {0.25f, 0.75f}, ModelManifest.OutputKind.PROBABILITIES))
        .containsExactly(0.25f, 0.75f);
    assertThatThrownBy(
            () ->
                Probabilities.of(new float[] {0.5f, 0.75f}, ModelManifest.OutputKind.PROBABILITIES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum to");
  }

  @Test
  void softmaxRejectsNaN() {
    assertThatThrownBy(() -> Probabilities.softmax(new float[] {1f, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-finite");
  }

  @Test
  void meanAveragesRowsAndRejectsRaggedInput() {
    assertThat(Probabilities.mean(List.of(new float[] {1f, 0f}, new float[] {0f, 1f})))
        .containsExactly(0.5f, 0.5f);
    assertThatThrownBy(
            () -> Probabilities.mean(List.of(new float[] {1f}, new float[] {0.5f, 0.5f})))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Probabilities.mean(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void argmaxTakesTheFirstOfTiedMaxima() {
    assertThat(Probabilities.argmax(new float[] {0.2f, 0.4f, 0.4f})).isEqualTo(1);
  }

  @Test
  void requireDistributionRejectsVectorsNotSummingToOne() {
    assertThatThrownBy(() -> Probabilities.requireDistribution(new float[] {0.5f, 0.6f}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum");
  }

  @Test
  void confidenceWeightedMeanWeighsEachRowByItsTopProbability() {
    // weights 0.9 and 0.5: (0.9*[0.9,0.1] + 0.5*[0.5,0.5]) / 1.4 = [1.06/1.4, 0.34/1.4]
    List<float[]> rows = List.of(new float[] {0.9f, 0.1f}, new float[] {0.5f, 0.5f});

    assertThat(Probabilities.confidenceWeightedMean(rows))
        .containsExactly(new float[] {1.06f / 1.4f, 0.34f / 1.4f}, within(1e-6f));
    assertThat(Probabilities.aggregate(ModelManifest.Aggregation.CONFIDENCE_WEIGHTED, rows))
        .containsExactly(Probabilities.confidenceWeightedMean(rows));
    assertThat(Probabilities.aggregate(ModelManifest.Aggregation.MEAN, rows))
        .containsExactly(new float[] {0.7f, 0.3f}, within(1e-6f));
    assertThatThrownBy(() -> Probabilities.confidenceWeightedMean(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void confidenceWeightingTurnsAClipWhoseSureFrameDisagreesWithItsUnsureOnes() {
    // one sure frame for class 0, three unsure ones leaning to class 1:
    // mean class 0 = (1 + 3 * 0.3) / 4 = 0.475; weighted = (1 * 1 + 3 * 0.7 * 0.3) / (1 + 3 * 0.7)
    // = 1.63 / 3.1
    List<float[]> rows =
        List.of(
            new float[] {1f, 0f},
            new float[] {0.3f, 0.7f},
            new float[] {0.3f, 0.7f},
            new float[] {0.3f, 0.7f});

    assertThat(Probabilities.mean(rows)[0]).isCloseTo(0.475f, within(1e-6f));
    assertThat(Probabilities.argmax(Probabilities.mean(rows))).isEqualTo(1);
    assertThat(Probabilities.confidenceWeightedMean(rows)[0])
        .isCloseTo(1.63f / 3.1f, within(1e-6f));
    assertThat(Probabilities.argmax(Probabilities.confidenceWeightedMean(rows))).isEqualTo(0);
  }
}
