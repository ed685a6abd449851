package io.emostream.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.fusion.FusedDistribution;
import io.emostream.fusion.LabelAligner;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.fusion.LogisticRegressionTrainer;
import io.emostream.fusion.LogisticRegressionTrainer.Example;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;

/**
 * Trains the LOGISTIC_REGRESSION fusion from labelled clips as the second paper does: subject-wise k-fold
 * cross-validation (no speaker in both the training and the test part of a fold; k = min(5, speakers)), then a
 * final fit on every clip. Pure: clip outcomes in, model and fold accuracies out. Only clips with both modalities
 * usable are examples.
 */
final class FusionTraining {

  static final int MAX_FOLDS = 5;

  /** A training example with its speaker. */
  record SubjectExample(String subject, Example example) {
  }

  /** The fitted model and the cross-validation it was judged by. */
  record Result(LogisticRegressionModel model, int examples, int subjects, List<Double> foldAccuracies) {

    double meanAccuracy() {
      return foldAccuracies.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
  }

  private final List<String> labels;
  private final double c;

  FusionTraining(List<String> labels, double c) {
    this.labels = List.copyOf(labels);
    this.c = c;
  }

  List<SubjectExample> examples(List<ClipOutcome> outcomes) {
    LabelAligner aligner = new LabelAligner(labels);
    List<SubjectExample> out = new ArrayList<>();
    for (ClipOutcome o : outcomes) {
      ModalityPrediction audio = usable(o, Modality.AUDIO);
      ModalityPrediction video = usable(o, Modality.VIDEO);
      if (audio != null && video != null && labels.contains(o.file().label())) {
        out.add(new SubjectExample(o.file().subject(),
            new Example(aligner.align(audio), aligner.align(video), o.file().label())));
      }
    }
    return out;
  }

  private static ModalityPrediction usable(ClipOutcome o, Modality modality) {
    return o.fused().getPredictions().stream()
        .filter(p -> p.getModality() == modality && p.getStatus() == PredictionStatus.OK).findFirst().orElse(null);
  }

  Result train(List<SubjectExample> data) {
    if (data.isEmpty()) {
      throw new IllegalArgumentException("no labelled clip had both an audio and a video prediction; "
          + "the logistic-regression fusion needs both");
    }
    List<String> subjects = new ArrayList<>(new TreeSet<>(data.stream().map(SubjectExample::subject).toList()));
    int folds = Math.min(MAX_FOLDS, subjects.size());
    List<Double> accuracies = new ArrayList<>();
    LogisticRegressionTrainer trainer = new LogisticRegressionTrainer(labels, c);
    for (int fold = 0; folds >= 2 && fold < folds; fold++) {
      List<Example> train = new ArrayList<>();
      List<Example> test = new ArrayList<>();
      for (SubjectExample e : data) {
        (subjects.indexOf(e.subject()) % folds == fold ? test : train).add(e.example());
      }
      LogisticRegressionModel model = trainer.fit(train, Map.of());
      long correct = test.stream().filter(e -> labels.get(FusedDistribution.argmaxFirst(
          model.predict(e.audio(), e.video()))).equals(e.label())).count();
      accuracies.add((double) correct / test.size());
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("C", c);
    info.put("examples", data.size());
    info.put("subjects", subjects);
    info.put("cvFolds", folds >= 2 ? folds : 0);
    info.put("cvFoldAccuracies", accuracies);
    if (!accuracies.isEmpty()) {
      info.put("cvMeanAccuracy", accuracies.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
    }
    info.put("trainedAt", java.time.Instant.now().toString());
    LogisticRegressionModel model = trainer.fit(data.stream().map(SubjectExample::example).toList(), info);
    return new Result(model, data.size(), subjects.size(), accuracies);
  }
}
