package io.emostream.cli;

import io.emostream.schemas.FusionRule;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which evaluated speakers a model has already seen in training. A model scored on its own training
 * speakers reports in-sample figures, not an accuracy; {@code evaluate} says so in every output.
 * Pure.
 */
final class InSample {

  /** One model that has seen some of the evaluated speakers. */
  record Overlap(String scorer, String model, List<String> speakers, int evaluatedSpeakers) {

    /** One line for people. */
    String describe() {
      String uses =
          scorer.equals(FusionRule.LOGISTIC_REGRESSION.name())
              ? "its figure is"
              : "its figures, and those of every rule " + "that fuses it, are";
      return String.format(
          Locale.ROOT,
          "%s model %s was trained on %d of the %d evaluated speaker(s) (%s): "
              + "%s in-sample, not an accuracy",
          scorer,
          model,
          speakers.size(),
          evaluatedSpeakers,
          String.join(", ", speakers),
          uses);
    }
  }

  /** What a model says it was trained on: its name and its training speakers. */
  record Training(String model, Collection<String> subjects) {}

  private InSample() {}

  /**
   * @param evaluated the speakers of the evaluated files
   * @param training per scorer (a modality or a rule name), what its model was trained on
   */
  static List<Overlap> find(Set<String> evaluated, Map<String, Training> training) {
    List<Overlap> out = new ArrayList<>();
    training.forEach(
        (scorer, t) -> {
          TreeSet<String> seen = new TreeSet<>(t.subjects());
          seen.retainAll(evaluated);
          if (!seen.isEmpty()) {
            out.add(new Overlap(scorer, t.model(), List.copyOf(seen), evaluated.size()));
          }
        });
    return out;
  }
}
