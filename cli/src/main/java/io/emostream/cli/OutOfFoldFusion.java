package io.emostream.cli;

import io.emostream.cli.FusionTraining.Folds;
import io.emostream.cli.FusionTraining.SubjectExample;
import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.fusion.FusedDistribution;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The LOGISTIC_REGRESSION results {@code evaluate} scores, and how they were obtained. Pure: clip
 * outcomes in, clip outcomes with their LOGISTIC_REGRESSION result set, plus a one-line protocol,
 * out.
 *
 * <ul>
 *   <li>With a model configured ({@code EMOSTREAM_FUSION_LR_MODEL}) the pipeline's results are kept
 *       as they are; protocol "model FILE".
 *   <li>Without one, as the second paper evaluates its stacking (sections 3.4 and 4.1.2): every
 *       segment with both modalities usable gets the out-of-fold prediction of a model (C = 1, as
 *       {@code train-fusion}) fitted on the other folds' segments of the same directory. The folds
 *       are {@code train-fusion}'s subject-wise ones ({@link FusionTraining#subjectWise}); with a
 *       single speaker, one fold per file ({@link FusionTraining#leaveOneFileOut}), which the
 *       protocol says is not speaker-independent. A segment whose training folds are empty gets no
 *       result.
 *   <li>A segment with one usable modality, or none, gets what every rule gives it (that modality's
 *       distribution, or no label): the pipeline's own LOGISTIC_REGRESSION result when there is
 *       one, else its fused result relabelled, since for such a segment the rule makes no
 *       difference.
 * </ul>
 */
final class OutOfFoldFusion {

  /**
   * The outcomes to score and how their LOGISTIC_REGRESSION results came about (null: nothing to
   * say).
   */
  record Result(List<ClipOutcome> outcomes, String protocol) {}

  private OutOfFoldFusion() {}

  /**
   * @param modelFile the configured model, null when none is
   */
  static Result apply(List<String> labels, List<ClipOutcome> outcomes, String modelFile) {
    if (modelFile != null) {
      return new Result(outcomes, "model " + modelFile);
    }
    FusionTraining training = new FusionTraining(labels, FusionTraining.DEFAULT_C);
    List<SubjectExample> data = new ArrayList<>();
    List<Integer> exampleOf = new ArrayList<>();
    for (ClipOutcome o : outcomes) {
      Optional<SubjectExample> e = training.example(o);
      exampleOf.add(e.isPresent() ? data.size() : -1);
      e.ifPresent(data::add);
    }
    Folds folds =
        FusionTraining.subjectWise(data).orElseGet(() -> FusionTraining.leaveOneFileOut(data));
    List<double[]> predicted = training.outOfFold(data, folds);
    List<ClipOutcome> out = new ArrayList<>();
    for (int i = 0; i < outcomes.size(); i++) {
      ClipOutcome o = outcomes.get(i);
      int e = exampleOf.get(i);
      FusedEmotion lr;
      if (e >= 0) {
        lr =
            predicted.get(e) == null
                ? null
                : relabel(o.fused(), new FusedDistribution(labels, predicted.get(e)));
      } else if (o.fused().getStatus() == FusionStatus.COMPLETE) {
        lr = null; // both modalities but a label outside the labels: not scored, not fitted
      } else {
        lr =
            o.byRule()
                .getOrDefault(
                    FusionRule.LOGISTIC_REGRESSION,
                    FusedEmotion.newBuilder(o.fused())
                        .setRule(FusionRule.LOGISTIC_REGRESSION)
                        .build());
      }
      Map<FusionRule, FusedEmotion> byRule = new EnumMap<>(FusionRule.class);
      byRule.putAll(o.byRule());
      byRule.remove(FusionRule.LOGISTIC_REGRESSION);
      if (lr != null) {
        byRule.put(FusionRule.LOGISTIC_REGRESSION, lr);
      }
      out.add(new ClipOutcome(o.file(), o.clipId(), o.fused(), byRule));
    }
    return new Result(out, protocol(data, folds, predicted));
  }

  private static FusedEmotion relabel(FusedEmotion fused, FusedDistribution d) {
    return FusedEmotion.newBuilder(fused)
        .setRule(FusionRule.LOGISTIC_REGRESSION)
        .setLabel(d.label())
        .setConfidence((float) d.confidence())
        .setDistribution(d.asFloats())
        .build();
  }

  private static String protocol(List<SubjectExample> data, Folds folds, List<double[]> predicted) {
    if (data.isEmpty()) {
      return "no model configured and no segment with both modalities usable: nothing to fit; segments with one "
          + "modality scored as by every rule";
    }
    long speakers = data.stream().map(SubjectExample::subject).distinct().count();
    String how =
        folds.subjectWise()
            ? String.format(
                Locale.ROOT,
                "subject-wise %d-fold (%d speakers; no speaker in its own training folds)",
                folds.count(),
                speakers)
            : String.format(
                Locale.ROOT,
                "leave-one-file-out over %d file(s) (1 speaker: not speaker-independent)",
                folds.count());
    long unpredicted = predicted.stream().filter(p -> p == null).count();
    return String.format(
        Locale.ROOT,
        "cross-validated on the evaluated clips (no model configured): %s, "
            + "out-of-fold predictions of %d segment(s) with both modalities, C=%s%s",
        how,
        data.size() - unpredicted,
        FusionTraining.DEFAULT_C_TEXT,
        unpredicted == 0
            ? ""
            : String.format(
                Locale.ROOT, "; %d segment(s) without training data, no result", unpredicted));
  }
}
