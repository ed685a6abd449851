package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every rule on hand-computed cases over three labels; the comments show the arithmetic. */
class FusionRulesTest {

  static final List<String> L = List.of("neutral", "happy", "sad");
  static final double EPS = 1e-12;

  /**
   * Identity scaling (min 0, max 1) and W = [I | I], b = 0: score of a class = audio + video
   * probability of it.
   */
  static final LogisticRegressionModel SUM_MODEL =
      new LogisticRegressionModel(
          L,
          L,
          new double[6],
          new double[] {1, 1, 1, 1, 1, 1},
          new double[][] {{1, 0, 0, 1, 0, 0}, {0, 1, 0, 0, 1, 0}, {0, 0, 1, 0, 0, 1}},
          new double[3],
          Map.of());

  private final FusionRules rules =
      new FusionRules(
          new FusionRules.Settings(
              Map.of("speech", 2.0, "face", 6.0), 0.7, Modality.VIDEO, SUM_MODEL));

  static AlignedPrediction audio(double... p) {
    return new AlignedPrediction(Modality.AUDIO, "speech", p);
  }

  static AlignedPrediction video(double... p) {
    return new AlignedPrediction(Modality.VIDEO, "face", p);
  }

  private FusedDistribution fuse(FusionRule rule, AlignedPrediction a, AlignedPrediction v) {
    return rules.forRule(rule).fuse(L, a, v);
  }

  // AVERAGE

  @Test
  void averageIsTheMeanAndATieGoesToTheFirstLabel() {
    // ([.2 .6 .2] + [.6 .2 .2]) / 2 = [.4 .4 .2]: neutral and happy tie, neutral comes first
    FusedDistribution f = fuse(FusionRule.AVERAGE, audio(.2, .6, .2), video(.6, .2, .2));
    assertThat(f.probabilities()).containsExactly(new double[] {.4, .4, .2}, within(EPS));
    assertThat(f.label()).isEqualTo("neutral");
  }

  @Test
  void averageOfOneHotsAndOfUniforms() {
    assertThat(fuse(FusionRule.AVERAGE, audio(0, 1, 0), video(0, 1, 0)).probabilities())
        .containsExactly(0, 1, 0);
    FusedDistribution u =
        fuse(FusionRule.AVERAGE, audio(1 / 3., 1 / 3., 1 / 3.), video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.label()).isEqualTo("neutral");
    assertThat(u.confidence()).isCloseTo(1 / 3., within(EPS));
  }

  // WEIGHTED_AVERAGE

  @Test
  void weightedAverageNormalisesTheModelWeights() {
    // weights 2 and 6 -> .25 and .75: .25*[.2 .6 .2] + .75*[.6 .2 .2] = [.5 .3 .2]
    FusedDistribution f = fuse(FusionRule.WEIGHTED_AVERAGE, audio(.2, .6, .2), video(.6, .2, .2));
    assertThat(f.probabilities()).containsExactly(new double[] {.5, .3, .2}, within(EPS));
    assertThat(f.label()).isEqualTo("neutral");
  }

  @Test
  void weightedAverageWithEqualWeightsTiesLikeAverage() {
    FusionFunction equal = new WeightedAverageFusion(Map.of("speech", .5, "face", .5));
    FusedDistribution f = equal.fuse(L, audio(0, 1, 0), video(0, 0, 1));
    assertThat(f.probabilities()).containsExactly(new double[] {0, .5, .5}, within(EPS));
    assertThat(f.label()).isEqualTo("happy");
  }

  @Test
  void weightedAverageOfUniformsIsUniformAndOfOneHotsFollowsTheWeights() {
    // .25*[1/3 1/3 1/3] + .75*[1/3 1/3 1/3] = [1/3 1/3 1/3]: a three-way tie, neutral comes first
    FusedDistribution u =
        fuse(
            FusionRule.WEIGHTED_AVERAGE,
            audio(1 / 3., 1 / 3., 1 / 3.),
            video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.probabilities())
        .containsExactly(new double[] {1 / 3., 1 / 3., 1 / 3.}, within(EPS));
    assertThat(u.label()).isEqualTo("neutral");
    // uniform audio, one-hot video: .25*[1/3 1/3 1/3] + .75*[0 0 1] = [1/12 1/12 10/12] -> sad
    FusedDistribution mixed =
        fuse(FusionRule.WEIGHTED_AVERAGE, audio(1 / 3., 1 / 3., 1 / 3.), video(0, 0, 1));
    assertThat(mixed.probabilities())
        .containsExactly(new double[] {1 / 12., 1 / 12., 10 / 12.}, within(EPS));
    assertThat(mixed.label()).isEqualTo("sad");
    // disagreeing one-hots: .25*[0 1 0] + .75*[1 0 0] = [.75 .25 0] -> the heavier model's neutral
    FusedDistribution oneHots = fuse(FusionRule.WEIGHTED_AVERAGE, audio(0, 1, 0), video(1, 0, 0));
    assertThat(oneHots.probabilities()).containsExactly(new double[] {.75, .25, 0}, within(EPS));
    assertThat(oneHots.label()).isEqualTo("neutral");
  }

  @Test
  void weightedAverageRejectsAModelWithoutAWeight() {
    AlignedPrediction other =
        new AlignedPrediction(Modality.VIDEO, "vivit", new double[] {1, 0, 0});
    assertThatThrownBy(() -> fuse(FusionRule.WEIGHTED_AVERAGE, audio(0, 1, 0), other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vivit")
        .hasMessageContaining(FusionConfig.WEIGHTS_ENV);
    assertThatThrownBy(() -> new WeightedAverageFusion(Map.of("x", 0.0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // CONFIDENCE_THRESHOLD

  @Test
  void confidenceThresholdTakesAConfidentVideoPrediction() {
    // video top .8 > .7: video's distribution, whatever audio says
    FusedDistribution f = fuse(FusionRule.CONFIDENCE_THRESHOLD, audio(0, 1, 0), video(.1, .1, .8));
    assertThat(f.probabilities()).containsExactly(new double[] {.1, .1, .8}, within(EPS));
    assertThat(f.label()).isEqualTo("sad");
  }

  @Test
  void confidenceThresholdAveragesWhenTheVideoTopIsNotAboveIt() {
    // video top exactly .7 does not exceed .7: average ([0 1 0] + [.3 0 .7]) / 2 = [.15 .5 .35]
    FusedDistribution f = fuse(FusionRule.CONFIDENCE_THRESHOLD, audio(0, 1, 0), video(.3, 0, .7));
    assertThat(f.probabilities()).containsExactly(new double[] {.15, .5, .35}, within(EPS));
    assertThat(f.label()).isEqualTo("happy");
  }

  @Test
  void confidenceThresholdCanPreferAudio() {
    FusionFunction preferAudio = new ConfidenceThresholdFusion(0.7, Modality.AUDIO);
    assertThat(preferAudio.fuse(L, audio(0, 1, 0), video(.1, .1, .8)).label()).isEqualTo("happy");
    assertThatThrownBy(() -> new ConfidenceThresholdFusion(1.5, Modality.AUDIO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void confidenceThresholdOfUniformsAveragesThemAndATieGoesToTheFirstLabel() {
    // video top 1/3 is not above .7: average of two uniforms = [1/3 1/3 1/3], neutral first
    FusedDistribution u =
        fuse(
            FusionRule.CONFIDENCE_THRESHOLD,
            audio(1 / 3., 1 / 3., 1 / 3.),
            video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.probabilities())
        .containsExactly(new double[] {1 / 3., 1 / 3., 1 / 3.}, within(EPS));
    assertThat(u.label()).isEqualTo("neutral");
    // video top .5 is not above .7: ([.1 .6 .3] + [.3 .2 .5]) / 2 = [.2 .4 .4]: happy and sad tie,
    // happy first
    FusedDistribution tie =
        fuse(FusionRule.CONFIDENCE_THRESHOLD, audio(.1, .6, .3), video(.3, .2, .5));
    assertThat(tie.probabilities()).containsExactly(new double[] {.2, .4, .4}, within(EPS));
    assertThat(tie.label()).isEqualTo("happy");
  }

  @Test
  void confidenceThresholdTakesATiedPreferredPredictionAsItIsWithItsFirstTopLabel() {
    // a tie in the preferred modality can only pass a threshold below .5; with .4: video [.45 .1
    // .45] has top
    // .45 > .4, so video's distribution is the result, and of its tied neutral and sad, neutral
    // (first) wins
    FusionFunction low = new ConfidenceThresholdFusion(0.4, Modality.VIDEO);
    FusedDistribution f = low.fuse(L, audio(0, 1, 0), video(.45, .1, .45));
    assertThat(f.probabilities()).containsExactly(new double[] {.45, .1, .45}, within(EPS));
    assertThat(f.label()).isEqualTo("neutral");
    // a one-hot video (top 1 > .7) is taken as it is, whatever audio says
    assertThat(
            fuse(FusionRule.CONFIDENCE_THRESHOLD, audio(0, 1, 0), video(0, 0, 1)).probabilities())
        .containsExactly(0, 0, 1);
  }

  // DYNAMIC_CONFIDENCE

  @Test
  void dynamicConfidenceWeighsTheMoreConfidentModelMore() {
    // ca = .6, cv = .5; wa = .6/1.1 = 6/11, wv = 5/11
    // (6*[.1 .6 .3] + 5*[.5 .1 .4]) / 11 = [3.1 4.1 3.8] / 11 -> happy
    // (the 1/c reading would give (5a + 6v)/11 = [3.5 3.6 3.9]/11 -> sad: this test tells them
    // apart)
    FusedDistribution f = fuse(FusionRule.DYNAMIC_CONFIDENCE, audio(.1, .6, .3), video(.5, .1, .4));
    assertThat(f.probabilities())
        .containsExactly(new double[] {3.1 / 11, 4.1 / 11, 3.8 / 11}, within(EPS));
    assertThat(f.label()).isEqualTo("happy");
  }

  @Test
  void dynamicConfidenceOfEqualConfidencesIsTheAverage() {
    // both uniform: c = 1/3 each, equal weights, uniform result, first label wins
    FusedDistribution u =
        fuse(
            FusionRule.DYNAMIC_CONFIDENCE,
            audio(1 / 3., 1 / 3., 1 / 3.),
            video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.label()).isEqualTo("neutral");
    // one-hots that disagree: c = 1 each, [.5 .5 0]: tie to neutral
    FusedDistribution oneHots = fuse(FusionRule.DYNAMIC_CONFIDENCE, audio(0, 1, 0), video(1, 0, 0));
    assertThat(oneHots.probabilities()).containsExactly(new double[] {.5, .5, 0}, within(EPS));
    assertThat(oneHots.label()).isEqualTo("neutral");
  }

  // RULE_BASED

  @Test
  void ruleBasedReturnsTheAgreedLabelWhenBothAreConfident() {
    // both happy, .6 and .5 >= .5: the average [.15 .55 .3]
    FusedDistribution f = fuse(FusionRule.RULE_BASED, audio(.1, .6, .3), video(.2, .5, .3));
    assertThat(f.probabilities()).containsExactly(new double[] {.15, .55, .3}, within(EPS));
    assertThat(f.label()).isEqualTo("happy");
  }

  @Test
  void ruleBasedOtherwiseTakesTheMoreConfidentModel() {
    // agree on happy but video only .4: audio (.6) is more confident -> audio's distribution
    assertThat(fuse(FusionRule.RULE_BASED, audio(.1, .6, .3), video(.3, .4, .3)).probabilities())
        .containsExactly(new double[] {.1, .6, .3}, within(EPS));
    // disagree: video .7 > audio .6 -> neutral .7
    FusedDistribution f = fuse(FusionRule.RULE_BASED, audio(.1, .6, .3), video(.7, .1, .2));
    assertThat(f.label()).isEqualTo("neutral");
    assertThat(f.confidence()).isCloseTo(.7, within(EPS));
  }

  @Test
  void ruleBasedBreaksAConfidenceTieWithThePreferredModality() {
    AlignedPrediction a = audio(.1, .6, .3);
    AlignedPrediction v = video(.6, .1, .3);
    assertThat(fuse(FusionRule.RULE_BASED, a, v).label()).isEqualTo("neutral"); // video preferred
    assertThat(new RuleBasedFusion(Modality.AUDIO).fuse(L, a, v).label()).isEqualTo("happy");
  }

  @Test
  void ruleBasedOfUniformsIsThePreferredModalitysUniformDistribution() {
    // both argmaxes are neutral (first of a three-way tie), so they "agree", but 1/3 < .5: not
    // confident enough;
    // confidences equal -> preferred video's [1/3 1/3 1/3]; neutral first
    FusedDistribution u =
        fuse(FusionRule.RULE_BASED, audio(1 / 3., 1 / 3., 1 / 3.), video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.probabilities())
        .containsExactly(new double[] {1 / 3., 1 / 3., 1 / 3.}, within(EPS));
    assertThat(u.label()).isEqualTo("neutral");
  }

  @Test
  void ruleBasedOneHots() {
    // agreeing one-hots: both happy with confidence 1 >= .5 -> the average [0 1 0]
    FusedDistribution agree = fuse(FusionRule.RULE_BASED, audio(0, 1, 0), video(0, 1, 0));
    assertThat(agree.probabilities()).containsExactly(0, 1, 0);
    assertThat(agree.confidence()).isEqualTo(1.0);
    // disagreeing one-hots: confidences 1.0 and 1.0 tie -> the preferred modality (video by
    // default): neutral
    FusedDistribution disagree = fuse(FusionRule.RULE_BASED, audio(0, 1, 0), video(1, 0, 0));
    assertThat(disagree.probabilities()).containsExactly(1, 0, 0);
    assertThat(disagree.label()).isEqualTo("neutral");
    // preferring audio: its happy
    assertThat(
            new RuleBasedFusion(Modality.AUDIO)
                .fuse(L, audio(0, 1, 0), video(1, 0, 0))
                .probabilities())
        .containsExactly(0, 1, 0);
  }

  @Test
  void ruleBasedReadsATiedModelAsVotingForItsFirstTopLabel() {
    // audio [.5 0 .5] ties neutral and sad: it votes neutral (first), video [.2 .2 .6] votes sad ->
    // disagree;
    // ca .5 < cv .6 -> video's [.2 .2 .6]. (Were audio read as sad, they would agree at >= .5 and
    // give the
    // average [.35 .1 .55]: this case tells the readings apart.)
    FusedDistribution f = fuse(FusionRule.RULE_BASED, audio(.5, 0, .5), video(.2, .2, .6));
    assertThat(f.probabilities()).containsExactly(new double[] {.2, .2, .6}, within(EPS));
    assertThat(f.label()).isEqualTo("sad");
    // both [.5 .5 0]: both vote neutral with .5 >= .5 -> average [.5 .5 0]; neutral and happy tie,
    // neutral first
    FusedDistribution tie = fuse(FusionRule.RULE_BASED, audio(.5, .5, 0), video(.5, .5, 0));
    assertThat(tie.probabilities()).containsExactly(new double[] {.5, .5, 0}, within(EPS));
    assertThat(tie.label()).isEqualTo("neutral");
  }

  // LOGISTIC_REGRESSION

  @Test
  void logisticRegressionIsTheSoftmaxOfTheLinearScores() {
    // x = [0 1 0 | 0 1 0], z = W x = [0 2 0]: p(happy) = e^2 / (e^2 + 2)
    FusedDistribution f = fuse(FusionRule.LOGISTIC_REGRESSION, audio(0, 1, 0), video(0, 1, 0));
    double e2 = Math.exp(2);
    assertThat(f.probabilities())
        .containsExactly(new double[] {1 / (e2 + 2), e2 / (e2 + 2), 1 / (e2 + 2)}, within(EPS));
    // uniform inputs: equal scores, uniform output, first label wins
    FusedDistribution u =
        fuse(
            FusionRule.LOGISTIC_REGRESSION,
            audio(1 / 3., 1 / 3., 1 / 3.),
            video(1 / 3., 1 / 3., 1 / 3.));
    assertThat(u.probabilities())
        .containsExactly(new double[] {1 / 3., 1 / 3., 1 / 3.}, within(EPS));
    assertThat(u.label()).isEqualTo("neutral");
  }

  @Test
  void logisticRegressionMinMaxScalesEachColumnWithTheTrainingBounds() {
    // max 2 for every column: x = [0 .5 0 | 0 .5 0], z = [0 1 0]; classes happy and sad only:
    // neutral gets 0
    LogisticRegressionModel m =
        new LogisticRegressionModel(
            L,
            List.of("happy", "sad"),
            new double[6],
            new double[] {2, 2, 2, 2, 2, 2},
            new double[][] {{0, 1, 0, 0, 1, 0}, {0, 0, 1, 0, 0, 1}},
            new double[2],
            Map.of());
    double e = Math.E;
    assertThat(
            new LogisticRegressionFusion(m).fuse(L, audio(0, 1, 0), video(0, 1, 0)).probabilities())
        .containsExactly(new double[] {0, e / (e + 1), 1 / (e + 1)}, within(EPS));
  }

  @Test
  void logisticRegressionWithoutAModelSaysHowToGetOne() {
    assertThatThrownBy(
            () -> new LogisticRegressionFusion(null).fuse(L, audio(0, 1, 0), video(0, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(FusionConfig.LR_MODEL_ENV)
        .hasMessageContaining("train-fusion");
  }

  // Every rule

  @ParameterizedTest
  @EnumSource(FusionRule.class)
  void everyRuleRejectsNaNWrongLengthAndUnnormalisedInput(FusionRule rule) {
    // on either side, and the message names the side (LOGISTIC_REGRESSION runs with SUM_MODEL)
    assertThatThrownBy(() -> fuse(rule, audio(Double.NaN, .5, .5), video(0, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN")
        .hasMessageContaining("AUDIO");
    assertThatThrownBy(() -> fuse(rule, audio(0, 1, 0), video(.5, Double.NaN, .5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN")
        .hasMessageContaining("VIDEO");
    assertThatThrownBy(() -> fuse(rule, audio(0, 1, 0), video(.5, .5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 3")
        .hasMessageContaining("VIDEO");
    assertThatThrownBy(() -> fuse(rule, audio(.25, .25, .25, .25), video(0, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 3")
        .hasMessageContaining("AUDIO");
    assertThatThrownBy(() -> fuse(rule, audio(0, 1, 0), video(.5, .5, .5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum to");
    assertThatThrownBy(() -> fuse(rule, audio(-.5, 1, .5), video(0, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @EnumSource(FusionRule.class)
  void everyRuleGivesAProperDistributionAndAgreesOnAgreeingOneHots(FusionRule rule) {
    FusedDistribution f = fuse(rule, audio(0, 0, 1), video(0, 0, 1));
    assertThat(f.label()).isEqualTo("sad");
    assertThat(Arrays.stream(f.probabilities()).sum()).isCloseTo(1, within(1e-9));
  }

  @Test
  void oneUsableModalityIsItsOwnDistribution() {
    // renormalised: [.6 .399 .001] -> the same (sums to 1); [.6 .395 0] sums to .995 -> divided by
    // it
    FusedDistribution f = FusionRules.single(L, video(.6, .395, 0));
    assertThat(f.probabilities())
        .containsExactly(new double[] {.6 / .995, .395 / .995, 0}, within(EPS));
    assertThatThrownBy(() -> FusionRules.single(L, video(.6, .4)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyRuleNameParsesAsUsersTypeIt() {
    for (FusionRule rule : FusionRule.values()) {
      assertThat(FusionRules.parse(rule.name().toLowerCase().replace('_', '-'))).isEqualTo(rule);
    }
    assertThat(FusionRule.values()).hasSize(6);
    assertThatThrownBy(() -> FusionRules.parse("median"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LOGISTIC_REGRESSION");
  }
}
