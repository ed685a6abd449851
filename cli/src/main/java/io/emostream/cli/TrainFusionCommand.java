package io.emostream.cli;

import io.emostream.fusion.FusionConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code emostream train-fusion}: runs the labelled clips of a directory through the platform and
 * trains the LOGISTIC_REGRESSION fusion on them ({@link FusionTraining}), with a subject-wise
 * cross-validation first.
 */
@Command(
    name = "train-fusion",
    abbreviateSynopsis = true,
    header = "train the LOGISTIC_REGRESSION fusion rule on a directory of labelled files",
    description = {
      "Train the LOGISTIC_REGRESSION fusion on the labelled clips in DIR (labelled as for evaluate; "
          + "segments with both a face and speech are the examples; subject-wise cross-validation, then a fit on all) "
          + "and write it to FILE; use it with EMOSTREAM_FUSION_LR_MODEL=FILE."
    })
final class TrainFusionCommand extends CliCommand {

  @Option(
      names = "--out",
      paramLabel = "FILE",
      defaultValue = "fusion-lr.json",
      description = "where to write the model (default: ${DEFAULT-VALUE})")
  private Path outFile;

  @Mixin private LabelledRunOptions labelled;

  @Override
  int execute() throws Exception {
    List<String> labels = FusionConfig.fromEnv(env).labels();
    List<DatasetLabels.LabelledFile> files =
        LabelledFiles.select(labelled.directory(), labels, "train-fusion", err).files();
    List<PipelineRun.ClipOutcome> outcomes =
        PipelineRun.run(env, home, files, null, labelled.timeout, new ArrayList<>(), err);
    FusionTraining training = new FusionTraining(labels, FusionTraining.DEFAULT_C);
    FusionTraining.Result result = training.train(training.examples(outcomes));
    result.model().write(outFile);
    out.printf(
        Locale.ROOT,
        "trained LOGISTIC_REGRESSION (C=%s) on %d segment(s) of %d speaker(s) with both "
            + "modalities; classes %s%n",
        FusionTraining.DEFAULT_C_TEXT,
        result.examples(),
        result.subjects(),
        result.model().classes());
    if (result.foldAccuracies().isEmpty()) {
      out.println(
          "cross-validation: not possible, it needs clips of at least 2 speakers (subject-wise folds)");
    } else {
      out.printf(
          Locale.ROOT,
          "subject-wise %d-fold CV accuracy: %.1f %% (folds: %s)%n",
          result.foldAccuracies().size(),
          100 * result.meanAccuracy(),
          result.foldAccuracies().stream()
              .map(a -> String.format(Locale.ROOT, "%.1f %%", 100 * a))
              .toList());
    }
    out.printf(
        "written to %s; use it with %s=%s%n",
        outFile, FusionConfig.LR_MODEL_ENV, outFile.toAbsolutePath());
    return 0;
  }
}
