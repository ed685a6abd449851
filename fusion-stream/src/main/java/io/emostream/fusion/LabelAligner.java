package io.emostream.fusion;

import io.emostream.schemas.ModalityPrediction;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps one model's probabilities onto the canonical label set, so models with different label
 * names, orders and sizes (a 7-label face model, an 8-label speech model) can be fused. Pure. In:
 * the model's label names and probabilities. Out: a vector over the canonical labels, in canonical
 * order.
 *
 * <p>Policy:
 *
 * <ul>
 *   <li>Names match case-insensitively through synonyms ({@code anger}/{@code angry} → angry,
 *       {@code fear} → fearful, {@code happiness}/{@code joy} → happy, {@code sadness} → sad,
 *       {@code surprise} → surprised, {@code disgusted} → disgust); any other name matches only
 *       itself ({@code contempt} matches only a canonical {@code contempt}).
 *   <li>A canonical label the model lacks gets 0 mass from that model.
 *   <li>A model label that maps to no canonical label is an error, never a silent drop: its mass
 *       would vanish.
 *   <li>Two model labels mapping to one canonical label (e.g. {@code happy} and {@code joy}) add
 *       up; the same name twice is an error.
 *   <li>Probabilities must be finite, non-negative, one per label, and sum to 1 within {@link
 *       #SUM_TOLERANCE} (float rounding of a softmax passes; logits do not).
 * </ul>
 */
public final class LabelAligner {

  /** How far the probabilities of one prediction may sum from 1. */
  public static final double SUM_TOLERANCE = 0.01;

  private static final Map<String, String> SYNONYMS =
      Map.ofEntries(
          Map.entry("anger", "angry"),
          Map.entry("angry", "angry"),
          Map.entry("fear", "fearful"),
          Map.entry("fearful", "fearful"),
          Map.entry("happiness", "happy"),
          Map.entry("happy", "happy"),
          Map.entry("joy", "happy"),
          Map.entry("sadness", "sad"),
          Map.entry("sad", "sad"),
          Map.entry("surprise", "surprised"),
          Map.entry("surprised", "surprised"),
          Map.entry("disgust", "disgust"),
          Map.entry("disgusted", "disgust"),
          Map.entry("neutral", "neutral"),
          Map.entry("calm", "calm"));

  private final List<String> canonical;
  private final Map<String, Integer> indexByConcept;

  /**
   * @param canonical the canonical labels in output order; two labels meaning the same emotion are
   *     rejected
   */
  public LabelAligner(List<String> canonical) {
    if (canonical == null || canonical.isEmpty()) {
      throw new IllegalArgumentException("the canonical label set must not be empty");
    }
    this.canonical = List.copyOf(canonical);
    this.indexByConcept = new HashMap<>();
    for (int i = 0; i < canonical.size(); i++) {
      if (indexByConcept.putIfAbsent(concept(canonical.get(i)), i) != null) {
        throw new IllegalArgumentException(
            "canonical labels "
                + canonical
                + " name the same emotion twice ('"
                + canonical.get(i)
                + "')");
      }
    }
  }

  public List<String> canonicalLabels() {
    return canonical;
  }

  /** Aligns a prediction's labels and probabilities; see the class policy. */
  public double[] align(ModalityPrediction prediction) {
    return align(prediction.getLabels(), prediction.getProbabilities());
  }

  /**
   * @return one value per canonical label, in canonical order
   * @throws IllegalArgumentException on a wrong length, NaN, infinite or negative value, a sum far
   *     from 1, a repeated label, or a label that maps to no canonical label
   */
  public double[] align(List<String> modelLabels, List<? extends Number> probabilities) {
    checkShape(modelLabels, probabilities);
    double[] aligned = new double[canonical.size()];
    Set<String> seen = new HashSet<>();
    double sum = 0;
    for (int i = 0; i < modelLabels.size(); i++) {
      String label = modelLabels.get(i);
      if (label == null || !seen.add(label.trim().toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "model labels must be distinct and non-null, got " + modelLabels);
      }
      double p = checkedProbability(label, probabilities.get(i));
      aligned[indexOf(label)] += p;
      sum += p;
    }
    checkSum(sum, probabilities);
    return aligned;
  }

  private static void checkShape(List<String> modelLabels, List<? extends Number> probabilities) {
    if (modelLabels == null || probabilities == null) {
      throw new IllegalArgumentException("labels and probabilities are required");
    }
    if (modelLabels.size() != probabilities.size()) {
      throw new IllegalArgumentException(
          "got "
              + modelLabels.size()
              + " labels but "
              + probabilities.size()
              + " probabilities; expected one probability per label");
    }
    if (modelLabels.isEmpty()) {
      throw new IllegalArgumentException("a usable prediction needs at least one label");
    }
  }

  private static double checkedProbability(String label, Number value) {
    if (value == null) {
      throw new IllegalArgumentException("probability of '" + label + "' is missing");
    }
    double p = value.doubleValue();
    if (!Double.isFinite(p) || p < 0) {
      throw new IllegalArgumentException(
          "probability of '" + label + "' is " + p + "; expected a finite number >= 0");
    }
    return p;
  }

  private static void checkSum(double sum, List<? extends Number> probabilities) {
    if (Math.abs(sum - 1.0) > SUM_TOLERANCE) {
      throw new IllegalArgumentException(
          "probabilities " + probabilities + " sum to " + sum + "; expected 1 ± " + SUM_TOLERANCE);
    }
  }

  /**
   * The labels of {@code modelLabels} that map to no canonical label (none: every prediction of
   * that model can be aligned; any: every one of them would be refused).
   */
  public List<String> unmapped(List<String> modelLabels) {
    return modelLabels.stream()
        .filter(l -> l == null || !indexByConcept.containsKey(concept(l)))
        .toList();
  }

  private int indexOf(String modelLabel) {
    Integer index = indexByConcept.get(concept(modelLabel));
    if (index == null) {
      throw new IllegalArgumentException(
          "model label '"
              + modelLabel
              + "' maps to no canonical label; canonical labels are "
              + canonical);
    }
    return index;
  }

  private static String concept(String label) {
    String l = label.trim().toLowerCase(Locale.ROOT);
    return SYNONYMS.getOrDefault(l, l);
  }
}
