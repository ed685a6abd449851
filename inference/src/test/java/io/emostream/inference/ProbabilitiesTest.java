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

  @Test
  void softmaxRejectsNaN() {
    assertThatThrownBy(() -> Probabilities.softmax(new float[] {1f, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite");
  }

  @Test
  void meanAveragesRowsAndRejectsRaggedInput() {
    assertThat(Probabilities.mean(List.of(new float[] {1f, 0f}, new float[] {0f, 1f}))).containsExactly(0.5f, 0.5f);
    assertThatThrownBy(() -> Probabilities.mean(List.of(new float[] {1f}, new float[] {0.5f, 0.5f})))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Probabilities.mean(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void argmaxTakesTheFirstOfTiedMaxima() {
    assertThat(Probabilities.argmax(new float[] {0.2f, 0.4f, 0.4f})).isEqualTo(1);
  }

  @Test
  void requireDistributionRejectsVectorsNotSummingToOne() {
    assertThatThrownBy(() -> Probabilities.requireDistribution(new float[] {0.5f, 0.6f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum");
  }
}
