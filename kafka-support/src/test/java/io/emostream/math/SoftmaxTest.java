package io.emostream.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SoftmaxTest {

  @Test
  void givesTheNormalisedExponentialsByHand() {
    // e^0 : e^ln2 : e^ln5 = 1 : 2 : 5
    double[] p = Softmax.of(new double[] {0, Math.log(2), Math.log(5)});

    assertThat(p[0]).isCloseTo(1 / 8.0, within(1e-12));
    assertThat(p[1]).isCloseTo(2 / 8.0, within(1e-12));
    assertThat(p[2]).isCloseTo(5 / 8.0, within(1e-12));
  }

  @Test
  void largeScoresDoNotOverflowAndShiftingThemChangesNothing() {
    double[] p = Softmax.of(new double[] {1000, 1000 + Math.log(3)});
    float[] q = Softmax.of(new float[] {-3f, -3f + (float) Math.log(3)});

    assertThat(p[0]).isCloseTo(0.25, within(1e-12));
    assertThat(p[1]).isCloseTo(0.75, within(1e-12));
    assertThat(q[0]).isCloseTo(0.25f, within(1e-6f));
    assertThat(q[1]).isCloseTo(0.75f, within(1e-6f));
  }
}
