package io.emostream.cli;

import static io.emostream.cli.EvaluationTest.L;
import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.cli.DatasetLabels.LabelledFile;
import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.fusion.FusedDistribution;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * evaluate's LOGISTIC_REGRESSION without a model: out-of-fold predictions over the evaluated clips.
 */
class OutOfFoldFusionTest {

  private static final FusionRule LR = FusionRule.LOGISTIC_REGRESSION;

  /**
   * A clip of one file, as the pipeline leaves it without a model: AVERAGE's result (the audio top)
   * and, when both modalities are usable, no LOGISTIC_REGRESSION result; with one, every rule's
   * result is that modality's.
   */
  private static ClipOutcome clip(
      String subject, String file, String truth, String audio, String video) {
    ModalityPrediction[] preds =
        video == null
            ? new ModalityPrediction[] {EvaluationTest.prediction(Modality.AUDIO, audio)}
            : new ModalityPrediction[] {
              EvaluationTest.prediction(Modality.AUDIO, audio),
              EvaluationTest.prediction(Modality.VIDEO, video)
            };
    Map<FusionRule, FusedEmotion> byRule = new EnumMap<>(FusionRule.class);
    byRule.put(FusionRule.AVERAGE, EvaluationTest.fused(FusionRule.AVERAGE, audio, preds));
    return new ClipOutcome(
        new LabelledFile(Path.of(file), truth, subject, "RAVDESS"),
        file,
        byRule.get(FusionRule.AVERAGE),
        byRule);
  }

  private static String lrLabel(ClipOutcome o) {
    FusedEmotion lr = o.byRule().get(LR);
    return lr == null ? null : lr.getLabel();
  }

  /**
   * Speaker s1 shows happy faces and voices when sad (four clips), speaker s2 when happy (two
   * clips), and both are neutral alike. A model that saw s1 would call s1's happy-looking clips sad
   * (four sad against two happy at the same features); trained on s2 alone, as subject-wise folds
   * require, it calls them happy (and s2's, from a model of s1 alone, sad).
   */
  @Test
  void twoSpeakersArePredictedByModelsThatNeverSawThem() {
    List<ClipOutcome> clips = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clips.add(clip("s1", "s1-sad-" + i + ".mp4", "sad", "happy", "happy"));
    }
    clips.add(clip("s1", "s1-neutral.mp4", "neutral", "neutral", "neutral"));
    for (int i = 0; i < 2; i++) {
      clips.add(clip("s2", "s2-happy-" + i + ".mp4", "happy", "happy", "happy"));
    }
    clips.add(clip("s2", "s2-neutral.mp4", "neutral", "neutral", "neutral"));

    OutOfFoldFusion.Result result = OutOfFoldFusion.apply(L, clips, null);

    List<ClipOutcome> out = result.outcomes();
    for (int i = 0; i < 4; i++) {
      assertThat(lrLabel(out.get(i)))
          .as("s1 clip %d, from a model of s2 only", i)
          .isEqualTo("happy");
    }
    assertThat(lrLabel(out.get(4))).isEqualTo("neutral");
    assertThat(lrLabel(out.get(5))).as("s2 clip, from a model of s1 only").isEqualTo("sad");
    assertThat(lrLabel(out.get(6))).isEqualTo("sad");
    assertThat(lrLabel(out.get(7))).isEqualTo("neutral");
    assertThat(result.protocol())
        .contains("subject-wise 2-fold", "2 speakers", "8 segment(s)", "C=1")
        .doesNotContain("not speaker-independent");
    // the data tell a leak apart: folds that let s1's other clips into training call the first one
    // sad
    FusionTraining training = new FusionTraining(L, 1.0);
    List<FusionTraining.SubjectExample> data = training.examples(clips);
    double[] leaked = training.outOfFold(data, FusionTraining.leaveOneFileOut(data)).get(0);
    assertThat(L.get(FusedDistribution.argmaxFirst(leaked))).isEqualTo("sad");

    Evaluation e =
        new Evaluation(L, out, List.of(FusionRule.values()), Map.of(LR, result.protocol()));
    // only the two neutral clips are right: each speaker's happy-looking clips get the other
    // speaker's label
    assertThat(e.rules().get(LR.name()).clips()).isEqualTo(8);
    assertThat(e.rules().get(LR.name()).correct()).isEqualTo(2);
    assertThat(e.rulesWithoutResults()).doesNotContain(LR.name());
  }

  /**
   * One speaker: each file is predicted by a model of the other files. The sad file is the only sad
   * example, so its model has never seen sad and calls it happy.
   */
  @Test
  void oneSpeakerFallsBackToLeaveOneFileOutAndSaysItIsNotSpeakerIndependent() {
    List<ClipOutcome> clips =
        List.of(
            clip("s1", "a.mp4", "happy", "happy", "happy"),
            clip("s1", "b.mp4", "happy", "happy", "happy"),
            clip("s1", "c.mp4", "sad", "sad", "sad"));

    OutOfFoldFusion.Result result = OutOfFoldFusion.apply(L, clips, null);

    assertThat(result.outcomes())
        .extracting(OutOfFoldFusionTest::lrLabel)
        .containsExactly("happy", "happy", "happy");
    assertThat(result.protocol())
        .contains(
            "leave-one-file-out over 3 file(s)",
            "1 speaker: not speaker-independent",
            "out-of-fold predictions of 3 segment(s)");
  }

  @Test
  void aSingleClipHasNoTrainingDataSoTheRuleHasNoResult() {
    OutOfFoldFusion.Result result =
        OutOfFoldFusion.apply(L, List.of(clip("s1", "a.mp4", "happy", "happy", "happy")), null);

    assertThat(result.outcomes().get(0).byRule())
        .doesNotContainKey(LR)
        .containsKey(FusionRule.AVERAGE);
    assertThat(result.protocol()).contains("1 segment(s) without training data, no result");
    Evaluation e =
        new Evaluation(
            L, result.outcomes(), List.of(FusionRule.values()), Map.of(LR, result.protocol()));
    assertThat(e.rulesWithoutResults()).contains(LR.name());
    assertThat(e.rules()).doesNotContainKey(LR.name());
    assertThat(e.ruleProtocols()).containsEntry(LR.name(), result.protocol());
  }

  @Test
  void aClipWithOneModalityIsScoredAsEveryRuleScoresIt() {
    List<ClipOutcome> clips =
        List.of(
            clip("s1", "a.mp4", "happy", "happy", "happy"),
            clip("s1", "b.mp4", "sad", "sad", "sad"),
            clip("s1", "c.mp4", "sad", "sad", null)); // audio only: AVERAGE says sad

    OutOfFoldFusion.Result result = OutOfFoldFusion.apply(L, clips, null);

    assertThat(lrLabel(result.outcomes().get(2))).isEqualTo("sad");
    assertThat(result.protocol()).contains("out-of-fold predictions of 2 segment(s)");
    Evaluation e = new Evaluation(L, result.outcomes(), List.of(FusionRule.AVERAGE, LR));
    assertThat(e.rules().get(LR.name()).clips())
        .isEqualTo(e.rules().get("AVERAGE").clips())
        .isEqualTo(3);
  }

  @Test
  void aConfiguredModelKeepsThePipelinesResults() {
    List<ClipOutcome> clips = List.of(clip("s1", "a.mp4", "happy", "happy", "happy"));

    OutOfFoldFusion.Result result = OutOfFoldFusion.apply(L, clips, "/models/lr.json");

    assertThat(result.outcomes()).isSameAs(clips);
    assertThat(result.protocol()).isEqualTo("model /models/lr.json");
  }

  @Test
  void textJsonAndHtmlCarryTheProtocol() {
    List<ClipOutcome> clips =
        List.of(
            clip("s1", "a.mp4", "happy", "happy", "happy"),
            clip("s1", "b.mp4", "sad", "sad", "sad"));
    OutOfFoldFusion.Result result = OutOfFoldFusion.apply(L, clips, null);
    Evaluation e =
        new Evaluation(
            L, result.outcomes(), List.of(FusionRule.values()), Map.of(LR, result.protocol()));

    assertThat(EvaluationReport.text(e, "dir"))
        .contains(
            "LOGISTIC_REGRESSION: cross-validated on the evaluated "
                + "clips (no model configured): leave-one-file-out over 2 file(s) (1 speaker: not speaker-independent)");
    Map<String, Object> json = EvaluationReport.json(e, "dir");
    assertThat(json.get("ruleProtocols")).isEqualTo(Map.of(LR.name(), result.protocol()));
    assertThat(EvaluationReport.html(e, "dir"))
        .contains(
            "<p class=\"protocol\">LOGISTIC_REGRESSION: cross-validated",
            "(1 speaker: not speaker-independent)");
  }
}
