package io.emostream.cli;

import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.fusion.FusedDistribution;
import io.emostream.fusion.LabelAligner;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.fusion.LogisticRegressionTrainer;
import io.emostream.fusion.LogisticRegressionTrainer.Example;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Trains the LOGISTIC_REGRESSION fusion from labelled clips as the second paper does: subject-wise
 * k-fold cross-validation (no speaker in both the training and the test part of a fold; k = min(5,
 * speakers)), then a final fit on every clip. Pure: clip outcomes in, model and fold accuracies
 * out. Only clips with both modalities usable are examples.
 *
 * <p>The fold assignment ({@link #subjectWise}, or {@link #leaveOneFileOut} where there is a single
 * speaker) and the out-of-fold predictions ({@link #outOfFold}) are shared with {@code evaluate},
 * which scores the rule by them when no model is configured ({@link OutOfFoldFusion}).
 */
final class FusionTraining {

  static final int MAX_FOLDS = 5;

  /** A training example with its speaker and the file (source) its segment comes from. */
  record SubjectExample(String subject, String file, Example example) {}

  /**
   * Which fold each example is in: {@code foldOf[i]} in [0, count). An example's model is fitted on
   * the examples of every other fold.
   *
   * @param subjectWise whether no speaker is in two folds (else the folds are files of one speaker)
   */
  record Folds(int count, int[] foldOf, boolean subjectWise) {}

  /** The fitted model and the cross-validation it was judged by. */
  record Result(
      LogisticRegressionModel model, int examples, int subjects, List<Double> foldAccuracies) {

    double meanAccuracy() {
      return foldAccuracies.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
  }

  /** The second paper's regularisation: scikit-learn's default C = 1. */
  static final double DEFAULT_C = 1.0;

  /** {@link #DEFAULT_C} as the messages print it ("1"). */
  static final String DEFAULT_C_TEXT =
      BigDecimal.valueOf(DEFAULT_C).stripTrailingZeros().toPlainString();

  private final List<String> labels;
  private final double c;
  private final LabelAligner aligner;

  FusionTraining(List<String> labels, double c) {
    this.labels = List.copyOf(labels);
    this.aligner = new LabelAligner(this.labels);
    this.c = c;
  }

  List<SubjectExample> examples(List<ClipOutcome> outcomes) {
    List<SubjectExample> out = new ArrayList<>();
    outcomes.forEach(o -> example(o).ifPresent(out::add));
    return out;
  }

  /**
   * The clip as an example: present when both modalities are usable and its label is one of the
   * labels.
   */
  Optional<SubjectExample> example(ClipOutcome o) {
    ModalityPrediction audio = usable(o, Modality.AUDIO);
    ModalityPrediction video = usable(o, Modality.VIDEO);
    if (audio == null || video == null || !labels.contains(o.file().label())) {
      return Optional.empty();
    }
    return Optional.of(
        new SubjectExample(
            o.file().subject(),
            o.file().path().toString(),
            new Example(aligner.align(audio), aligner.align(video), o.file().label())));
  }

  private static ModalityPrediction usable(ClipOutcome o, Modality modality) {
    return o.fused().getPredictions().stream()
        .filter(p -> p.getModality() == modality && p.getStatus() == PredictionStatus.OK)
        .findFirst()
        .orElse(null);
  }

  /**
   * Subject-wise folds: the speakers sorted by name, speaker {@code i} in fold {@code i mod k}, k =
   * min(5, speakers). Empty with fewer than 2 speakers (no fold could keep a speaker out of its own
   * training data).
   */
  static Optional<Folds> subjectWise(List<SubjectExample> data) {
    List<String> subjects = distinct(data.stream().map(SubjectExample::subject).toList());
    int count = Math.min(MAX_FOLDS, subjects.size());
    if (count < 2) {
      return Optional.empty();
    }
    int[] foldOf = data.stream().mapToInt(e -> subjects.indexOf(e.subject()) % count).toArray();
    return Optional.of(new Folds(count, foldOf, true));
  }

  /**
   * One fold per file (its segments together), files sorted by name: the fallback of {@code
   * evaluate} for a single speaker. Not speaker-independent: the model of a file was fitted on the
   * same speaker's other files.
   */
  static Folds leaveOneFileOut(List<SubjectExample> data) {
    List<String> files = distinct(data.stream().map(SubjectExample::file).toList());
    return new Folds(
        files.size(), data.stream().mapToInt(e -> files.indexOf(e.file())).toArray(), false);
  }

  private static List<String> distinct(List<String> values) {
    return new ArrayList<>(new TreeSet<>(values));
  }

  /**
   * The out-of-fold prediction of every example: the class probabilities over the labels from a
   * model (C as given) fitted on the examples of the other folds; null where those are empty.
   */
  List<double[]> outOfFold(List<SubjectExample> data, Folds folds) {
    LogisticRegressionTrainer trainer = new LogisticRegressionTrainer(labels, c);
    List<double[]> out = new ArrayList<>(Collections.nCopies(data.size(), (double[]) null));
    for (int fold = 0; fold < folds.count(); fold++) {
      List<Example> train = new ArrayList<>();
      for (int i = 0; i < data.size(); i++) {
        if (folds.foldOf()[i] != fold) {
          train.add(data.get(i).example());
        }
      }
      if (train.isEmpty()) {
        continue;
      }
      LogisticRegressionModel model = trainer.fit(train, Map.of());
      for (int i = 0; i < data.size(); i++) {
        if (folds.foldOf()[i] == fold) {
          Example e = data.get(i).example();
          out.set(i, model.predict(e.audio(), e.video()));
        }
      }
    }
    return out;
  }

  Result train(List<SubjectExample> data) {
    if (data.isEmpty()) {
      throw new IllegalArgumentException(
          "no labelled clip had both an audio and a video prediction; "
              + "the logistic-regression fusion needs both");
    }
    List<String> subjects = distinct(data.stream().map(SubjectExample::subject).toList());
    Optional<Folds> folds = subjectWise(data);
    List<Double> accuracies = new ArrayList<>();
    folds.ifPresent(
        f -> {
          List<double[]> predicted = outOfFold(data, f);
          for (int fold = 0; fold < f.count(); fold++) {
            int tested = 0;
            int correct = 0;
            for (int i = 0; i < data.size(); i++) {
              if (f.foldOf()[i] == fold) {
                tested++;
                if (labels
                    .get(FusedDistribution.argmaxFirst(predicted.get(i)))
                    .equals(data.get(i).example().label())) {
                  correct++;
                }
              }
            }
            accuracies.add((double) correct / tested);
          }
        });
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("C", c);
    info.put("examples", data.size());
    info.put("subjects", subjects);
    info.put("cvFolds", folds.map(Folds::count).orElse(0));
    info.put("cvFoldAccuracies", accuracies);
    if (!accuracies.isEmpty()) {
      info.put(
          "cvMeanAccuracy",
          accuracies.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
    }
    info.put("trainedAt", Instant.now().toString());
    LogisticRegressionTrainer trainer = new LogisticRegressionTrainer(labels, c);
    LogisticRegressionModel model =
        trainer.fit(data.stream().map(SubjectExample::example).toList(), info);
    return new Result(model, data.size(), subjects.size(), accuracies);
  }
}
