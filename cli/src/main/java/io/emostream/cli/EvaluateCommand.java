package io.emostream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.emostream.audio.AudioWorkerMain;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.FusionRules;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.inference.ModelManifest;
import io.emostream.schemas.FusionRule;
import io.emostream.video.VideoWorkerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code emostream evaluate}: runs every labelled file of a directory through the platform and
 * scores each modality and fusion rule on the same clips ({@link Evaluation}); LOGISTIC_REGRESSION
 * is cross-validated on the clips themselves when no trained model is configured ({@link
 * OutOfFoldFusion}).
 */
@Command(
    name = "evaluate",
    abbreviateSynopsis = true,
    header = "score the models and the fusion rules on a directory of labelled files",
    description = {
      "Run every labelled file in DIR (RAVDESS, CREMA-D, EmoDB, TESS or SAVEE names, or listed in DIR/labels.csv as "
          + "file,label,speaker; video, or audio-only files) through the platform and print the accuracy of each "
          + "modality and fusion rule, the confusion matrix and per-class precision and recall of the best. Without "
          + "EMOSTREAM_FUSION_LR_MODEL, LOGISTIC_REGRESSION is cross-validated on DIR's own clips (out-of-fold, "
          + "subject-wise folds; one fold per file for a single speaker)."
    })
final class EvaluateCommand extends CliCommand {

  @Option(
      names = "--rule",
      paramLabel = "all|RULE",
      converter = RuleOrAll.class,
      description = "score one fusion " + "rule, or all (the default: all six on the same clips)")
  private FusionRule rule;

  @Option(names = "--json", description = "print the evaluation as JSON")
  private boolean json;

  @Option(
      names = "--report",
      paramLabel = "FILE.html",
      description = "also write an HTML page with charts")
  private Path report;

  @Mixin private LabelledRunOptions labelled;

  @Override
  int execute() throws Exception {
    Path dir = labelled.directory();
    ReportPage.checkTarget(report);
    List<String> labels = FusionConfig.fromEnv(env).labels();
    LabelledFiles selection = LabelledFiles.select(dir, labels, "evaluate", err);
    List<DatasetLabels.LabelledFile> files = selection.files();
    String lrModel = env.optional(FusionConfig.LR_MODEL_ENV).orElse(null);
    boolean scoresLr = rule == null || rule == FusionRule.LOGISTIC_REGRESSION;
    // without a model a clip asking for LOGISTIC_REGRESSION would be dead-lettered; the all-rules
    // topic carries
    // what the cross-validation needs whatever rule the clips ask for
    FusionRule ingestRule = rule == FusionRule.LOGISTIC_REGRESSION && lrModel == null ? null : rule;
    List<DatasetLabels.LeftOut> leftOut = new ArrayList<>(selection.leftOut());
    List<PipelineRun.ClipOutcome> outcomes =
        PipelineRun.run(env, home, files, ingestRule, labelled.timeout, leftOut, err);
    List<PipelineRun.ClipOutcome> scored = outcomes;
    Map<FusionRule, String> protocols = new EnumMap<>(FusionRule.class);
    if (scoresLr) {
      OutOfFoldFusion.Result lr = OutOfFoldFusion.apply(labels, outcomes, lrModel);
      scored = lr.outcomes();
      if (lr.protocol() != null) {
        protocols.put(FusionRule.LOGISTIC_REGRESSION, lr.protocol());
      }
    }
    Set<String> speakers = new TreeSet<>(); // of the clips evaluated, not the files left out
    outcomes.forEach(o -> speakers.add(o.file().subject()));
    Evaluation evaluation =
        new Evaluation(
            labels,
            scored,
            rule == null ? List.of(FusionRule.values()) : List.of(rule),
            protocols,
            InSample.find(speakers, trainingOf(scoresLr ? lrModel : null)),
            leftOut);
    String source = dir.toString();
    if (json) {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(EvaluationReport.json(evaluation, source)));
    } else {
      out.print(EvaluationReport.text(evaluation, source));
    }
    if (rule == null) {
      warnAboutRulesThatDidNotRun(scored, lrModel);
    }
    if (report != null) {
      Files.writeString(report, EvaluationReport.html(evaluation, source));
      err.println("report written to " + report);
    }
    return outcomes.size() == 0 ? 1 : 0;
  }

  private void warnAboutRulesThatDidNotRun(List<PipelineRun.ClipOutcome> scored, String lrModel) {
    Set<FusionRule> missing = new TreeSet<>();
    scored.forEach(
        o ->
            Arrays.stream(FusionRule.values())
                .filter(r -> !o.byRule().containsKey(r))
                .forEach(missing::add));
    if (lrModel == null) {
      missing.remove(
          FusionRule.LOGISTIC_REGRESSION); // cross-validated; its protocol says what it covers
    }
    if (!missing.isEmpty()) {
      err.println("emostream: " + missing + " could not run on some segments (see the WARN lines)");
    }
  }

  /**
   * What the configured models say they were trained on, per scorer (modality, or the LR rule's
   * model file).
   */
  private Map<String, InSample.Training> trainingOf(String lrModel) {
    Map<String, InSample.Training> training = new LinkedHashMap<>();
    for (var m :
        List.of(
            Map.entry("AUDIO", AudioWorkerMain.DEFAULT_MODEL),
            Map.entry("VIDEO", VideoWorkerMain.DEFAULT_MODEL))) {
      ModelManifest manifest =
          ModelManifest.load(
              env.path("EMOSTREAM_" + m.getKey() + "_MODEL", home.resolve(m.getValue())));
      training.put(m.getKey(), new InSample.Training(manifest.name(), manifest.trainingSubjects()));
    }
    if (lrModel != null) {
      Object subjects = LogisticRegressionModel.read(Path.of(lrModel)).info().get("subjects");
      if (subjects instanceof List<?> list) {
        training.put(
            FusionRule.LOGISTIC_REGRESSION.name(),
            new InSample.Training(lrModel, list.stream().map(String::valueOf).toList()));
      }
    }
    return training;
  }

  /**
   * {@code --rule}: a fusion rule as {@code analyze} takes it, or {@code all} (null: every rule).
   */
  static final class RuleOrAll implements ITypeConverter<FusionRule> {
    @Override
    public FusionRule convert(String value) {
      if ("all".equalsIgnoreCase(value.trim())) {
        return null;
      }
      try {
        return FusionRules.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage() + ", or all (every rule, the default)");
      }
    }
  }
}
