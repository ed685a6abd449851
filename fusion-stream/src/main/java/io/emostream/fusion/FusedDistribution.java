package io.emostream.fusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A fused probability distribution over the canonical labels, with its winning label. Pure value.
 *
 * <p>Tie rule: when several labels share the highest probability, the winner is the one that comes
 * first in canonical order. This makes the result deterministic and independent of which modality
 * arrived first.
 */
public final class FusedDistribution {

  private final List<String> labels;
  private final double[] probabilities;
  private final int winner;

  public FusedDistribution(List<String> labels, double[] probabilities) {
    if (labels.size() != probabilities.length || labels.isEmpty()) {
      throw new IllegalArgumentException(
          "need one probability per label: "
              + labels.size()
              + " labels, "
              + probabilities.length
              + " probabilities");
    }
    this.labels = List.copyOf(labels);
    this.probabilities = probabilities.clone();
    this.winner = argmaxFirst(this.probabilities);
  }

  /** Index of the largest value; the first one wins a tie (strict {@code >}). */
  public static int argmaxFirst(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  public List<String> labels() {
    return labels;
  }

  public double[] probabilities() {
    return probabilities.clone();
  }

  public double probability(String label) {
    return probabilities[labels.indexOf(label)];
  }

  public String label() {
    return labels.get(winner);
  }

  public double confidence() {
    return probabilities[winner];
  }

  /** The probabilities as Avro's {@code array<float>}. */
  public List<Float> asFloats() {
    List<Float> out = new ArrayList<>(probabilities.length);
    for (double p : probabilities) {
      out.add((float) p);
    }
    return out;
  }

  @Override
  public String toString() {
    return label() + "@" + confidence() + " " + labels + "=" + Arrays.toString(probabilities);
  }
}
