package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.cli.FusionTraining.SubjectExample;
import io.emostream.fusion.LogisticRegressionTrainer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FusionTrainingTest {

  static final List<String> L = EvaluationTest.L;

  private static List<SubjectExample> data(int subjects, int perSubject) {
    Random random = new Random(7);
    List<SubjectExample> out = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      for (int i = 0; i < perSubject; i++) {
        int y = i % 3;
        out.add(
            new SubjectExample(
                "s" + s,
                "s" + s + "-" + i + ".mp4",
                new Example(lean(y, random), lean(y, random), L.get(y))));
      }
    }
    return out;
  }

  private static double[] lean(int y, Random random) {
    double[] p = {random.nextDouble(), random.nextDouble(), random.nextDouble()};
    p[y] += 1.5;
    double sum = p[0] + p[1] + p[2];
    return new double[] {p[0] / sum, p[1] / sum, p[2] / sum};
  }

  @Test
  void crossValidatesSubjectWiseWithAtMostFiveFolds() {
    FusionTraining.Result result = new FusionTraining(L, 1.0).train(data(7, 12));

    assertThat(result.foldAccuracies()).hasSize(5);
    assertThat(result.meanAccuracy()).isGreaterThan(0.8);
    assertThat(result.subjects()).isEqualTo(7);
    assertThat(result.model().info()).containsEntry("cvFolds", 5).containsEntry("examples", 84);
  }

  @Test
  void oneSpeakerTrainsWithoutCrossValidation() {
    FusionTraining.Result result = new FusionTraining(L, 1.0).train(data(1, 6));

    assertThat(result.foldAccuracies()).isEmpty();
    assertThat(result.model().classes()).containsExactly("neutral", "happy", "sad");
  }

  @Test
  void twoSpeakersGiveTwoFoldsThatNeverShareASpeaker() {
    assertThat(new FusionTraining(L, 1.0).train(data(2, 6)).foldAccuracies()).hasSize(2);
    assertThatThrownBy(() -> new FusionTraining(L, 1.0).train(List.of()))
        .hasMessageContaining("both an audio and a video prediction");
  }

  @Test
  void subjectWiseFoldsKeepEverySpeakerInOneFoldAndTheFallbackKeepsEveryFileInOne() {
    List<SubjectExample> data = data(7, 4);
    FusionTraining.Folds folds = FusionTraining.subjectWise(data).orElseThrow();

    assertThat(folds.count()).isEqualTo(5);
    assertThat(folds.subjectWise()).isTrue();
    for (int i = 0; i < data.size(); i++) {
      for (int j = 0; j < data.size(); j++) {
        if (data.get(i).subject().equals(data.get(j).subject())) {
          assertThat(folds.foldOf()[i]).isEqualTo(folds.foldOf()[j]);
        }
      }
    }
    assertThat(FusionTraining.subjectWise(data(1, 4))).isEmpty();
    FusionTraining.Folds perFile = FusionTraining.leaveOneFileOut(data(1, 4));
    assertThat(perFile.count()).isEqualTo(4);
    assertThat(perFile.subjectWise()).isFalse();
    assertThat(perFile.foldOf()).containsExactly(0, 1, 2, 3);
  }
}
