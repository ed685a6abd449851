package io.emostream.audio.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RealDftTest {

  /** The textbook sum, computed independently of RealDft's twiddle tables. */
  private static double[][] naive(double[] x) {
    int n = x.length;
    double[][] out = new double[2][n / 2 + 1];
    for (int k = 0; k <= n / 2; k++) {
      for (int j = 0; j < n; j++) {
        out[0][k] += x[j] * Math.cos(2 * Math.PI * j * k / n);
        out[1][k] -= x[j] * Math.sin(2 * Math.PI * j * k / n);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {1, 2, 8, 400, 512, 1023})
  void matchesTheDefinitionForPowersOfTwoAndOtherLengths(int n) {
    double[] x = new Random(n).doubles(n, -1, 1).toArray();
    RealDft dft = new RealDft(n);
    double[] re = new double[dft.bins()];
    double[] im = new double[dft.bins()];
    dft.transform(x, re, im);
    double[][] expected = naive(x);
    for (int k = 0; k < dft.bins(); k++) {
      assertThat(re[k]).isCloseTo(expected[0][k], within(1e-9));
      assertThat(im[k]).isCloseTo(expected[1][k], within(1e-9));
    }
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {64, 400})
  void aCosineAtABinFrequencyLandsInThatBin(int n) {
    // cos(2 pi 5 j / n) → X[5] = n / 2, every other bin 0
    double[] x = new double[n];
    for (int j = 0; j < n; j++) {
      x[j] = Math.cos(2 * Math.PI * 5 * j / n);
    }
    RealDft dft = new RealDft(n);
    double[] re = new double[dft.bins()];
    double[] im = new double[dft.bins()];
    dft.transform(x, re, im);
    for (int k = 0; k < dft.bins(); k++) {
      assertThat(Math.hypot(re[k], im[k])).isCloseTo(k == 5 ? n / 2.0 : 0, within(1e-9));
    }
  }
}
