package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.emostream.schemas.FusionRule;

class AverageFusionTest {

  private static final List<String> LABELS = FusionConfig.DEFAULT_LABELS;
  private final LabelAligner aligner = new LabelAligner(LABELS);
  private final FusionFunction average = FusionRules.forRule(FusionRule.AVERAGE);

  @Test
  void averagesAnEightLabelSpeechModelAndASevenLabelFaceModel() {
    double[] speech = aligner.align(Clips.SPEECH_LABELS, List.of(0.1, 0.0, 0.5, 0.1, 0.1, 0.1, 0.05, 0.05));
    double[] face = aligner.align(Clips.FACE_LABELS, List.of(0.1, 0.0, 0.0, 0.3, 0.4, 0.0, 0.2));

    FusedDistribution fused = average.fuse(LABELS, List.of(speech, face));

    // neutral (0.1+0.2)/2, calm 0, happy (0.5+0.3)/2, sad (0.1+0.4)/2, angry (0.1+0.1)/2, fearful 0.1/2,
    // disgust 0.05/2, surprised 0.05/2
    assertThat(fused.probabilities()).containsExactly(Clips.AVERAGE_OF_BOTH, within(1e-12));
    assertThat(fused.label()).isEqualTo("happy");
    assertThat(fused.confidence()).isCloseTo(0.4, within(1e-12));
  }

  @Test
  void aTieGoesToTheFirstCanonicalLabel() {
    double[] sad = oneHot("sad");
    double[] angry = oneHot("angry");

    FusedDistribution fused = average.fuse(LABELS, List.of(angry, sad));

    assertThat(fused.probability("sad")).isEqualTo(0.5);
    assertThat(fused.probability("angry")).isEqualTo(0.5);
    assertThat(fused.label()).isEqualTo("sad"); // sad comes before angry in the canonical order
    assertThat(fused.confidence()).isEqualTo(0.5);
  }

  @Test
  void oneOneHotPredictionIsItsOwnResult() {
    FusedDistribution fused = average.fuse(LABELS, List.of(oneHot("fearful")));

    assertThat(fused.label()).isEqualTo("fearful");
    assertThat(fused.confidence()).isEqualTo(1.0);
    assertThat(fused.probabilities()).containsOnly(0.0, 1.0);
  }

  @Test
  void aUniformDistributionPicksTheFirstLabel() {
    double[] uniform = new double[LABELS.size()];
    java.util.Arrays.fill(uniform, 1.0 / LABELS.size());

    FusedDistribution fused = average.fuse(LABELS, List.of(uniform, uniform));

    assertThat(fused.label()).isEqualTo("neutral");
    assertThat(fused.confidence()).isCloseTo(0.125, within(1e-12));
  }

  @Test
  void aSinglePredictionIsRenormalised() {
    double[] almost = aligner.align(List.of("happy", "sad"), List.of(0.6, 0.399));

    FusedDistribution fused = average.fuse(LABELS, List.of(almost));

    assertThat(fused.probability("happy")).isCloseTo(0.6 / 0.999, within(1e-12));
    assertThat(java.util.Arrays.stream(fused.probabilities()).sum()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void rejectsNoInputAVectorOfTheWrongLengthAndNaN() {
    assertThatThrownBy(() -> average.fuse(LABELS, List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> average.fuse(LABELS, List.of(new double[] {1.0})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 8");
    double[] nan = oneHot("happy");
    nan[0] = Double.NaN;
    assertThatThrownBy(() -> average.fuse(LABELS, List.of(nan))).isInstanceOf(IllegalArgumentException.class);
  }

  private static double[] oneHot(String label) {
    double[] v = new double[LABELS.size()];
    v[LABELS.indexOf(label)] = 1.0;
    return v;
  }
}
