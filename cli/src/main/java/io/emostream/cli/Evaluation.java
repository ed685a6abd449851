package io.emostream.cli;

import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.fusion.LabelAligner;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Accuracy of each modality and each fusion rule over labelled clips, with the confusion matrix and
 * per-class precision and recall. Pure: built from the clip outcomes, no I/O.
 *
 * <ul>
 *   <li>A modality is scored on the clips where its prediction was usable (status OK), its label
 *       the argmax of its distribution aligned onto the canonical labels; {@link Score#clips()}
 *       says on how many.
 *   <li>A rule is scored on every clip it has a result for; a NO_PREDICTION result counts as wrong
 *       (predicted {@value #NONE}). A clip with one usable modality is scored too: every rule then
 *       gives that modality's distribution.
 *   <li>The best is the rule with the highest accuracy (ties: first in the schema's order); when no
 *       clip had both modalities usable (e.g. audio-only files), rules cannot differ and the best
 *       is the modality with the most clips right: each modality is judged on every clip, a clip it
 *       gave no prediction for counting as a miss, so one right out of one does not beat thirteen
 *       right out of fourteen (ties: the higher accuracy, then the schema's order).
 *   <li>The same modality and rule scores per corpus ({@link #corpora()}: RAVDESS, CREMA-D, EmoDB),
 *       for DIRs that mix them; and the files left out before the run (unknown names, labels with
 *       no canonical counterpart).
 * </ul>
 *
 * <p>Over 300 lines: the scoring (accuracy, confusion matrix, precision and recall) of modalities
 * and rules is one computation over the same clips; its renderings are {@link EvaluationReport}'s.
 */
public final class Evaluation {

  public static final String NONE = "(none)";

  /**
   * Counts of one scorer (a modality or a rule); {@code confusion[true][predicted]} over labels +
   * {@value #NONE}.
   */
  public record Score(String name, int clips, int correct, int[][] confusion) {

    public double accuracy() {
      return clips == 0 ? Double.NaN : (double) correct / clips;
    }
  }

  /**
   * Precision and recall of one label (null when undefined: nothing predicted, or no true example).
   */
  public record ClassMetrics(
      String label, Double precision, Double recall, int support, int predicted) {}

  private final List<String> labels;
  private final List<String> columns;
  private final int clips;
  private final int completeClips;
  private final Set<String> subjects;
  private final Map<String, Score> modalities = new LinkedHashMap<>();
  private final Map<String, Score> rules = new LinkedHashMap<>();
  private final List<String> rulesWithoutResults = new ArrayList<>();
  private final Map<String, Map<String, Integer>> statuses = new LinkedHashMap<>();
  private final Map<String, String> ruleProtocols = new LinkedHashMap<>();
  private final List<InSample.Overlap> inSample;
  private final Map<String, Map<String, Score>> corpora = new LinkedHashMap<>();
  private final List<DatasetLabels.LeftOut> leftOut;
  private final Map<String, Set<String>> models = new LinkedHashMap<>();

  public Evaluation(
      List<String> labels, List<ClipOutcome> outcomes, List<FusionRule> rulesToScore) {
    this(labels, outcomes, rulesToScore, Map.of());
  }

  /**
   * @param protocols how a rule's results were obtained, where that needs saying (e.g.
   *     LOGISTIC_REGRESSION cross-validated on the clips themselves, {@link OutOfFoldFusion}); kept
   *     for the rules scored
   */
  public Evaluation(
      List<String> labels,
      List<ClipOutcome> outcomes,
      List<FusionRule> rulesToScore,
      Map<FusionRule, String> protocols) {
    this(labels, outcomes, rulesToScore, protocols, List.of());
  }

  /**
   * @param inSample the models that were trained on some of the evaluated speakers ({@link
   *     InSample#find})
   */
  public Evaluation(
      List<String> labels,
      List<ClipOutcome> outcomes,
      List<FusionRule> rulesToScore,
      Map<FusionRule, String> protocols,
      List<InSample.Overlap> inSample) {
    this(labels, outcomes, rulesToScore, protocols, inSample, List.of());
  }

  /**
   * @param leftOut the files of the evaluated directory that were not run, with why ({@link
   *     DatasetLabels#classify})
   */
  public Evaluation(
      List<String> labels,
      List<ClipOutcome> outcomes,
      List<FusionRule> rulesToScore,
      Map<FusionRule, String> protocols,
      List<InSample.Overlap> inSample,
      List<DatasetLabels.LeftOut> leftOut) {
    this.inSample = List.copyOf(inSample);
    this.leftOut = List.copyOf(leftOut);
    this.labels = List.copyOf(labels);
    List<String> cols = new ArrayList<>(labels);
    cols.add(NONE);
    this.columns = List.copyOf(cols);
    this.clips = outcomes.size();
    this.completeClips =
        (int) outcomes.stream().filter(o -> o.fused().getStatus() == FusionStatus.COMPLETE).count();
    this.subjects = new LinkedHashSet<>();
    outcomes.forEach(o -> subjects.add(o.file().subject()));
    LabelAligner aligner = new LabelAligner(labels);
    for (Modality modality : Modality.values()) {
      Map<String, Integer> counts = new TreeMap<>();
      for (ClipOutcome o : outcomes) {
        String status =
            o.fused().getPredictions().stream()
                .filter(p -> p.getModality() == modality)
                .map(p -> p.getStatus().name())
                .findFirst()
                .orElse("NONE");
        counts.merge(status, 1, Integer::sum);
      }
      statuses.put(modality.name(), counts);
      Set<String> names = new LinkedHashSet<>();
      outcomes.forEach(
          o ->
              o.fused().getPredictions().stream()
                  .filter(p -> p.getModality() == modality)
                  .forEach(p -> names.add(p.getModelName() + " " + p.getModelVersion())));
      models.put(modality.name(), names);
      modalities.put(
          modality.name(),
          score(
              modality.name(),
              outcomes,
              o -> usable(o.fused(), modality).map(p -> argmax(aligner.align(p)))));
    }
    for (FusionRule rule : rulesToScore) {
      Score s =
          score(
              rule.name(),
              outcomes,
              o ->
                  resultOf(o, rule, rulesToScore.size() == 1)
                      .map(f -> f.getLabel() == null ? NONE : f.getLabel()));
      if (s.clips() > 0) {
        rules.put(rule.name(), s);
      } else {
        rulesWithoutResults.add(rule.name());
      }
      if (protocols.get(rule) != null) {
        ruleProtocols.put(rule.name(), protocols.get(rule));
      }
    }
    Set<String> corpusNames = new LinkedHashSet<>();
    outcomes.forEach(o -> corpusNames.add(o.file().corpus()));
    for (String corpus : corpusNames) {
      List<ClipOutcome> of =
          outcomes.stream().filter(o -> corpus.equals(o.file().corpus())).toList();
      Map<String, Score> scores = new LinkedHashMap<>();
      for (Modality modality : Modality.values()) {
        scores.put(
            modality.name(),
            score(
                modality.name(),
                of,
                o -> usable(o.fused(), modality).map(p -> argmax(aligner.align(p)))));
      }
      for (String rule : rules.keySet()) {
        FusionRule r = FusionRule.valueOf(rule);
        scores.put(
            rule,
            score(
                rule,
                of,
                o ->
                    resultOf(o, r, rulesToScore.size() == 1)
                        .map(f -> f.getLabel() == null ? NONE : f.getLabel())));
      }
      corpora.put(corpus, scores);
    }
  }

  private static Optional<FusedEmotion> resultOf(ClipOutcome o, FusionRule rule, boolean single) {
    FusedEmotion r = o.byRule().get(rule);
    if (r == null && single && o.fused().getRule() == rule) {
      r = o.fused();
    }
    return Optional.ofNullable(r);
  }

  private static Optional<ModalityPrediction> usable(FusedEmotion fused, Modality modality) {
    return fused.getPredictions().stream()
        .filter(p -> p.getModality() == modality && p.getStatus() == PredictionStatus.OK)
        .findFirst();
  }

  private String argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return labels.get(best);
  }

  private Score score(
      String name, List<ClipOutcome> outcomes, Function<ClipOutcome, Optional<String>> predictor) {
    int[][] confusion = new int[labels.size()][columns.size()];
    int n = 0;
    int correct = 0;
    for (ClipOutcome o : outcomes) {
      Optional<String> predicted = predictor.apply(o);
      int truth = labels.indexOf(o.file().label());
      if (predicted.isEmpty() || truth < 0) {
        continue;
      }
      int column = columns.indexOf(predicted.get());
      confusion[truth][column < 0 ? columns.size() - 1 : column]++;
      n++;
      if (predicted.get().equals(o.file().label())) {
        correct++;
      }
    }
    return new Score(name, n, correct, confusion);
  }

  public List<String> labels() {
    return labels;
  }

  /** The confusion matrix's columns: the labels, then {@value #NONE}. */
  public List<String> columns() {
    return columns;
  }

  /**
   * Per modality, the models ("name version") whose predictions were evaluated; empty when none
   * answered.
   */
  public Map<String, Set<String>> models() {
    return models;
  }

  public int clips() {
    return clips;
  }

  public int completeClips() {
    return completeClips;
  }

  public Set<String> subjects() {
    return subjects;
  }

  public Map<String, Score> modalities() {
    return modalities;
  }

  public Map<String, Score> rules() {
    return rules;
  }

  /**
   * Per modality, how many segments had a prediction of each status ({@code OK}, {@code NO_FACE},
   * ...; {@code NONE} when none arrived, e.g. an audio-only file has no video prediction).
   */
  public Map<String, Map<String, Integer>> statuses() {
    return statuses;
  }

  /**
   * Rules asked for that produced no result on any clip (e.g. LOGISTIC_REGRESSION without a model,
   * when no clip could be given an out-of-fold prediction).
   */
  public List<String> rulesWithoutResults() {
    return rulesWithoutResults;
  }

  /**
   * Per corpus (in the order first met), the modality scores then the rule scores, as over all
   * clips; a modality with no usable prediction in a corpus has 0 clips there.
   */
  public Map<String, Map<String, Score>> corpora() {
    return corpora;
  }

  /**
   * Per modality, how many segments had a NO_SPEECH prediction (too little voice activity; audio
   * only in practice).
   */
  public Map<String, Integer> noSpeech() {
    Map<String, Integer> out = new LinkedHashMap<>();
    statuses.forEach(
        (modality, counts) ->
            out.put(modality, counts.getOrDefault(PredictionStatus.NO_SPEECH.name(), 0)));
    return out;
  }

  /** The files of the directory that were not run, with why. */
  public List<DatasetLabels.LeftOut> leftOut() {
    return leftOut;
  }

  /**
   * How many files were left out for each reason, e.g. "EmoDB boredom (L) has no canonical label" →
   * 79.
   */
  public Map<String, Integer> leftOutByReason() {
    Map<String, Integer> out = new LinkedHashMap<>();
    leftOut.forEach(l -> out.merge(l.reason(), 1, Integer::sum));
    return out;
  }

  /** Models scored on speakers they were trained on: their figures are in-sample. */
  public List<InSample.Overlap> inSample() {
    return inSample;
  }

  /**
   * How a rule's results were obtained, for the scored rules where that was given (rule name to one
   * line).
   */
  public Map<String, String> ruleProtocols() {
    return ruleProtocols;
  }

  /**
   * The rules when some clip had both modalities (they can differ), else the modalities (see the
   * class comment).
   */
  private Map<String, Score> candidates() {
    return completeClips > 0 && !rules.isEmpty() ? rules : modalities;
  }

  /** The best scorer (see the class comment); empty when nothing was scored. */
  public Optional<Score> best() {
    Score best = null;
    for (Score s : candidates().values()) {
      if (s.clips() > 0 && (best == null || rank(s, best) > 0)) {
        best = s;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Positive when {@code a} ranks above {@code b}, zero on a tie: rules by accuracy (they are
   * scored on the same clips); modalities by clips right, then accuracy (they may cover different
   * clips).
   */
  private int rank(Score a, Score b) {
    if (candidates() == modalities && a.correct() != b.correct()) {
      return Integer.compare(a.correct(), b.correct());
    }
    return Double.compare(a.accuracy(), b.accuracy());
  }

  /**
   * The other scorers with the best one's accuracy (the best is the first of them in the schema's
   * order).
   */
  public List<String> tiedWithBest() {
    return best()
        .map(
            b ->
                candidates().values().stream()
                    .filter(s -> s != b && s.clips() > 0 && rank(s, b) == 0)
                    .map(Score::name)
                    .toList())
        .orElse(List.of());
  }

  /**
   * Per-class precision and recall of a score, for the labels that occur as truth or prediction.
   */
  public List<ClassMetrics> perClass(Score score) {
    List<ClassMetrics> out = new ArrayList<>();
    for (int k = 0; k < labels.size(); k++) {
      int support = 0;
      int predicted = 0;
      for (int c = 0; c < columns.size(); c++) {
        support += score.confusion()[k][c];
      }
      for (int t = 0; t < labels.size(); t++) {
        predicted += score.confusion()[t][k];
      }
      if (support == 0 && predicted == 0) {
        continue;
      }
      int hit = score.confusion()[k][k];
      out.add(
          new ClassMetrics(
              labels.get(k),
              predicted == 0 ? null : (double) hit / predicted,
              support == 0 ? null : (double) hit / support,
              support,
              predicted));
    }
    return out;
  }
}
