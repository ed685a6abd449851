package io.emostream.fusion;

import io.emostream.schemas.Modality;
import java.util.List;
import java.util.Objects;

/**
 * RULE_BASED (first paper, "Rule-Based Logic"). Pure. When both models' top labels agree and both
 * confidences ({@code max(p) / sum(p)}) are at least 0.5, the agreed label wins and the
 * distribution is the average of the two (whose argmax is that label). Otherwise the more confident
 * model's distribution is the result; equal confidences go to the preferred modality (the same
 * setting as CONFIDENCE_THRESHOLD, default VIDEO), so disagreeing one-hots (both confidence 1.0)
 * give the preferred modality's label.
 *
 * <p>Ties: a model whose top probability is shared by several labels votes for the first of them in
 * canonical order ({@link FusedDistribution#argmaxFirst}); the result's label is its argmax, ties
 * to the first label.
 */
public final class RuleBasedFusion implements FusionFunction {

  /** The paper's "desired confidence level". */
  public static final double AGREEMENT_CONFIDENCE = 0.5;

  private final Modality preferred;

  public RuleBasedFusion(Modality preferred) {
    this.preferred = Objects.requireNonNull(preferred, "preferred");
  }

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    double[] a = audio.checked(labels);
    double[] v = video.checked(labels);
    double ca = AlignedPrediction.confidence(a);
    double cv = AlignedPrediction.confidence(v);
    boolean agree = FusedDistribution.argmaxFirst(a) == FusedDistribution.argmaxFirst(v);
    if (agree && ca >= AGREEMENT_CONFIDENCE && cv >= AGREEMENT_CONFIDENCE) {
      return new FusedDistribution(labels, FusionFunction.mix(a, 0.5, v, 0.5));
    }
    boolean audioWins = ca > cv || (ca == cv && preferred == Modality.AUDIO);
    double[] winner = audioWins ? a : v;
    return new FusedDistribution(labels, FusionFunction.mix(winner, 1, winner, 0));
  }
}
