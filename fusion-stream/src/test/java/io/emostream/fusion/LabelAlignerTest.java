package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LabelAlignerTest {

  private final LabelAligner aligner = new LabelAligner(FusionConfig.DEFAULT_LABELS);

  @Test
  void mapsTheFaceModelsSevenLabelsOntoTheCanonicalEightWithZeroForCalm() {
    double[] aligned =
        aligner.align(Clips.FACE_LABELS, List.of(0.1, 0.0, 0.05, 0.3, 0.4, 0.05, 0.1));

    // canonical: neutral, calm, happy, sad, angry, fearful, disgust, surprised
    assertThat(aligned)
        .containsExactly(new double[] {0.1, 0.0, 0.3, 0.4, 0.1, 0.05, 0.0, 0.05}, within(1e-12));
  }

  @Test
  void speechLabelsInCanonicalOrderPassThrough() {
    double[] aligned =
        aligner.align(Clips.SPEECH_LABELS, List.of(0.1f, 0f, 0.5f, 0.1f, 0.1f, 0.1f, 0.05f, 0.05f));

    assertThat(aligned[2]).isCloseTo(0.5, within(1e-7));
    assertThat(aligned).hasSize(8);
  }

  @Test
  void matchesSynonymsCaseInsensitivelyAndAddsLabelsThatMeanTheSame() {
    double[] aligned =
        aligner.align(List.of("Happiness", "JOY", "Anger", "sadness"), List.of(0.2, 0.3, 0.4, 0.1));

    assertThat(aligned).containsExactly(new double[] {0, 0, 0.5, 0.1, 0.4, 0, 0, 0}, within(1e-12));
  }

  @Test
  void rejectsAModelLabelWithNoCanonicalLabelNamingBoth() {
    assertThatThrownBy(() -> aligner.align(List.of("happy", "contempt"), List.of(0.5, 0.5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'contempt'")
        .hasMessageContaining("[neutral, calm, happy, sad, angry, fearful, disgust, surprised]");
  }

  @Test
  void contemptMapsWhenTheCanonicalSetHasIt() {
    LabelAligner withContempt = new LabelAligner(List.of("happy", "contempt"));

    assertThat(withContempt.align(List.of("contempt", "joy"), List.of(0.25, 0.75)))
        .containsExactly(0.75, 0.25);
  }

  @Test
  void rejectsNaNNegativeAndInfiniteProbabilities() {
    List<String> labels = List.of("happy", "sad");
    assertThatThrownBy(() -> aligner.align(labels, List.of(Float.NaN, 1f)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'happy'")
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> aligner.align(labels, List.of(1.5, -0.5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sad'")
        .hasMessageContaining(">= 0");
    assertThatThrownBy(() -> aligner.align(labels, List.of(Double.POSITIVE_INFINITY, 0.0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsLabelsAndProbabilitiesOfDifferentLengths() {
    assertThatThrownBy(() -> aligner.align(List.of("happy", "sad"), List.of(1.0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 labels but 1 probabilities");
  }

  @Test
  void rejectsProbabilitiesThatDoNotSumToOne() {
    assertThatThrownBy(() -> aligner.align(List.of("happy", "sad"), List.of(2.3, 0.7)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum to 3.0");
  }

  @Test
  void rejectsRepeatedModelLabelsAndEmptyPredictions() {
    assertThatThrownBy(() -> aligner.align(List.of("happy", "Happy"), List.of(0.5, 0.5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("distinct");
    assertThatThrownBy(() -> aligner.align(List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsACanonicalSetNamingOneEmotionTwice() {
    assertThatThrownBy(() -> new LabelAligner(List.of("happy", "joy")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'joy'");
  }

  @Test
  void unmappedNamesTheModelLabelsWithNoCanonicalCounterpart() {
    LabelAligner aligner = new LabelAligner(List.of("happy", "sad", "angry"));
    assertThat(aligner.unmapped(List.of("Happiness", "sad", "anger", "calm", "neutral")))
        .containsExactly("calm", "neutral");
    assertThat(aligner.unmapped(List.of("happy"))).isEmpty();
  }
}
