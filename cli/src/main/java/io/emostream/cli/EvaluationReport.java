package io.emostream.cli;

import static io.emostream.cli.ReportPage.esc;

import io.emostream.cli.Evaluation.ClassMetrics;
import io.emostream.cli.Evaluation.Score;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An {@link Evaluation} as text for people, as JSON-ready maps for machines, and as a
 * self-contained HTML page in the analyze report's style ({@link ReportPage}: accuracy tables with
 * bars, the confusion matrix as a shaded table; no script, no external resource). Pure.
 *
 * <p>Over 300 lines: three renderings (text, JSON, HTML) of one {@link Evaluation}, which change
 * together when a score is added.
 */
public final class EvaluationReport {

  private EvaluationReport() {}

  public static String text(Evaluation e, String source) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "evaluated %d segment(s) of %d speaker(s) from %s (labels from file names or labels.csv)%n",
            e.clips(),
            e.subjects().size(),
            source));
    out.append(
        String.format(
            Locale.ROOT, "%d segment(s) had both modalities usable%n", e.completeClips()));
    e.inSample()
        .forEach(o -> out.append("CAUTION: ").append(o.describe()).append(System.lineSeparator()));
    out.append(leftOutLine(e));
    out.append(System.lineSeparator());
    out.append(
        String.format(
            Locale.ROOT, "%-22s %7s %8s %9s%n", "modality", "clips", "correct", "accuracy"));
    e.modalities().values().forEach(s -> out.append(row(s)));
    e.statuses()
        .forEach(
            (m, counts) ->
                out.append(
                    String.format(
                        Locale.ROOT,
                        "  %s predictions by status: %s%n",
                        m.toLowerCase(Locale.ROOT),
                        counts)));
    out.append(
        String.format(
            Locale.ROOT,
            "  NO_SPEECH (too little voice activity: no emotion) per modality: %s of %d"
                + " segment(s)%n",
            noSpeechText(e),
            e.clips()));
    if (!e.rules().isEmpty()) {
      out.append(
          String.format(
              Locale.ROOT, "%n%-22s %7s %8s %9s%n", "rule", "clips", "correct", "accuracy"));
      e.rules().values().forEach(s -> out.append(row(s)));
    }
    e.rulesWithoutResults()
        .forEach(r -> out.append(String.format(Locale.ROOT, "%-22s %7s%n", r, "no result")));
    e.ruleProtocols().forEach((r, p) -> out.append(String.format(Locale.ROOT, "  %s: %s%n", r, p)));
    if (e.corpora().size() > 1) {
      e.corpora()
          .forEach(
              (corpus, scores) -> {
                out.append(
                    String.format(
                        Locale.ROOT,
                        "%n%-22s %7s %8s %9s%n",
                        corpus,
                        "clips",
                        "correct",
                        "accuracy"));
                scores.values().forEach(sc -> out.append(row(sc)));
              });
    }
    e.best()
        .ifPresent(
            best -> {
              out.append(
                  String.format(
                      Locale.ROOT,
                      "%nbest: %s (%s)%s%nconfusion matrix (rows: true label, columns: predicted)%n",
                      best.name(),
                      percent(best.accuracy()),
                      tie(e)));
              out.append(String.format(Locale.ROOT, "%-10s", ""));
              e.columns()
                  .forEach(c -> out.append(String.format(Locale.ROOT, " %9s", abbreviate(c))));
              out.append(System.lineSeparator());
              for (int t = 0; t < e.labels().size(); t++) {
                out.append(String.format(Locale.ROOT, "%-10s", abbreviate(e.labels().get(t))));
                for (int c = 0; c < e.columns().size(); c++) {
                  out.append(String.format(Locale.ROOT, " %9d", best.confusion()[t][c]));
                }
                out.append(System.lineSeparator());
              }
              out.append(
                  String.format(
                      Locale.ROOT,
                      "%n%-10s %9s %9s %8s%n",
                      "label",
                      "precision",
                      "recall",
                      "support"));
              for (ClassMetrics m : e.perClass(best)) {
                out.append(
                    String.format(
                        Locale.ROOT,
                        "%-10s %9s %9s %8d%n",
                        m.label(),
                        percentOrDash(m.precision()),
                        percentOrDash(m.recall()),
                        m.support()));
              }
            });
    return out.toString();
  }

  private static String noSpeechText(Evaluation e) {
    List<String> parts = new ArrayList<>();
    e.noSpeech().forEach((m, n) -> parts.add(m.toLowerCase(Locale.ROOT) + " " + n));
    return String.join(", ", parts);
  }

  /**
   * "left out N file(s): ..." with the count per reason and the names of files no convention
   * matched; or "".
   */
  static String leftOutLine(Evaluation e) {
    if (e.leftOut().isEmpty()) {
      return "";
    }
    List<String> reasons = new ArrayList<>();
    e.leftOutByReason().forEach((reason, n) -> reasons.add(n + " " + reason));
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "left out %d file(s): %s%n",
                e.leftOut().size(),
                String.join("; ", reasons)));
    List<String> unknown = unlabelled(e);
    if (!unknown.isEmpty()) {
      line.append("  not labelled: ")
          .append(String.join(", ", unknown.subList(0, Math.min(10, unknown.size()))))
          .append(unknown.size() > 10 ? ", ... (" + (unknown.size() - 10) + " more)" : "")
          .append(System.lineSeparator());
    }
    return line.toString();
  }

  private static List<String> unlabelled(Evaluation e) {
    return e.leftOut().stream()
        .filter(l -> l.corpus() == null)
        .map(l -> Terminal.printable(l.path().toString()))
        .toList();
  }

  private static String tie(Evaluation e) {
    List<String> tied = e.tiedWithBest();
    return tied.isEmpty()
        ? ""
        : "; tied with " + String.join(", ", tied) + " (the first in the schema's order is shown)";
  }

  private static String row(Score s) {
    return String.format(
        Locale.ROOT,
        "%-22s %7d %8d %9s%n",
        s.name(),
        s.clips(),
        s.correct(),
        percent(s.accuracy()));
  }

  public static Map<String, Object> json(Evaluation e, String source) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("source", source);
    out.put("segments", e.clips());
    out.put("segmentsWithBothModalities", e.completeClips());
    out.put("speakers", List.copyOf(e.subjects()));
    out.put("labels", e.labels());
    out.put("modalities", scores(e.modalities()));
    out.put("predictionStatus", e.statuses());
    out.put("noSpeech", e.noSpeech());
    Map<String, Object> corpora = new LinkedHashMap<>();
    e.corpora().forEach((corpus, sc) -> corpora.put(corpus, scores(sc)));
    out.put("corpora", corpora);
    Map<String, Object> leftOut = new LinkedHashMap<>();
    leftOut.put("files", e.leftOut().size());
    leftOut.put("byReason", e.leftOutByReason());
    leftOut.put("notLabelled", unlabelled(e));
    out.put("leftOut", leftOut);
    out.put("rules", scores(e.rules()));
    out.put("rulesWithoutResults", e.rulesWithoutResults());
    out.put("ruleProtocols", e.ruleProtocols());
    out.put(
        "inSample",
        e.inSample().stream()
            .map(
                o -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("scorer", o.scorer());
                  m.put("model", o.model());
                  m.put("speakers", o.speakers());
                  m.put("note", o.describe());
                  return m;
                })
            .toList());
    e.best()
        .ifPresent(
            best -> {
              Map<String, Object> b = new LinkedHashMap<>();
              b.put("name", best.name());
              b.put("accuracy", best.accuracy());
              b.put("tiedWith", e.tiedWithBest());
              b.put("confusionColumns", e.columns());
              b.put("confusion", best.confusion());
              List<Map<String, Object>> perClass = new ArrayList<>();
              for (ClassMetrics m : e.perClass(best)) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("label", m.label());
                c.put("precision", m.precision());
                c.put("recall", m.recall());
                c.put("support", m.support());
                c.put("predicted", m.predicted());
                perClass.add(c);
              }
              b.put("perClass", perClass);
              out.put("best", b);
            });
    return out;
  }

  private static Map<String, Object> scores(Map<String, Score> scores) {
    Map<String, Object> out = new LinkedHashMap<>();
    scores.forEach(
        (name, s) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("clips", s.clips());
          m.put("correct", s.correct());
          m.put("accuracy", s.clips() == 0 ? null : s.accuracy());
          out.put(name, m);
        });
    return out;
  }

  /**
   * A self-contained page in the style of the analyze report ({@link ReportPage}): the models,
   * notes, accuracy per modality and rule (and per corpus when there are several) as tables with
   * bars, and the best scorer's confusion matrix (counts, shaded by the share of their row) with
   * its per-class precision and recall.
   */
  public static String html(Evaluation e, String source) {
    StringBuilder main = new StringBuilder();
    main.append("<section class=\"card\"><h2>What was evaluated</h2>")
        .append(ReportPage.facts(facts(e, source)));
    e.inSample()
        .forEach(
            o ->
                main.append("<p class=\"caution\"><strong>Caution:</strong> ")
                    .append(esc(o.describe()))
                    .append("</p>\n"));
    String leftOut = leftOutLine(e);
    if (!leftOut.isEmpty()) {
      main.append("<p class=\"left-out\">")
          .append(esc(leftOut.strip()).replace("\n", "<br>"))
          .append("</p>\n");
    }
    main.append("<p class=\"no-speech\">")
        .append(
            esc(
                String.format(
                    Locale.ROOT,
                    "NO_SPEECH (too little voice activity: no emotion) per modality: %s of %d segment(s).",
                    noSpeechText(e),
                    e.clips())))
        .append("</p>\n");
    e.ruleProtocols()
        .forEach(
            (r, p) ->
                main.append("<p class=\"protocol\">").append(esc(r + ": " + p)).append("</p>\n"));
    if (!e.rulesWithoutResults().isEmpty()) {
      main.append("<p>No result: ")
          .append(esc(String.join(", ", e.rulesWithoutResults())))
          .append("</p>\n");
    }
    main.append(
            "</section>\n<section class=\"card\"><h2>Accuracy by modality and fusion rule</h2>\n")
        .append(scoreTable(e))
        .append("</section>\n");
    if (e.corpora().size() > 1) {
      main.append("<section class=\"card\"><h2>Accuracy per corpus</h2>\n")
          .append(corpusTable(e))
          .append("</section>\n");
    }
    e.best()
        .ifPresent(
            best ->
                main.append("<section class=\"card\"><h2>Best: ")
                    .append(esc(best.name()))
                    .append(" (")
                    .append(percent(best.accuracy()))
                    .append(")")
                    .append(esc(tie(e)))
                    .append("</h2>\n")
                    .append("<h3>Confusion matrix</h3>")
                    .append(confusionTable(e, best))
                    .append("<h3>Per class</h3>")
                    .append(perClassTable(e, best))
                    .append("</section>\n"));
    String subtitle =
        String.format(
            Locale.ROOT,
            "%d segment(s) of %d speaker(s) from %s; %d with both modalities usable. Labels from file names or labels.csv.",
            e.clips(),
            e.subjects().size(),
            source,
            e.completeClips());
    return ReportPage.page("emostream evaluation", subtitle, "", main);
  }

  private static Map<String, String> facts(Evaluation e, String source) {
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("source", source);
    e.models()
        .forEach(
            (modality, names) ->
                facts.put(
                    modality.toLowerCase(Locale.ROOT) + " model",
                    names.isEmpty() ? "none answered" : String.join(", ", names)));
    facts.put("rules", e.rules().isEmpty() ? "none" : String.join(", ", e.rules().keySet()));
    facts.put("labels", String.join(", ", e.labels()));
    return facts;
  }

  /** One row per modality, then per rule: clips, correct and the accuracy with a bar. */
  static String scoreTable(Evaluation e) {
    StringBuilder t =
        new StringBuilder(
            "<div class=\"scroll\"><table class=\"scores\"><thead><tr><th></th>"
                + "<th>clips</th><th>correct</th><th>accuracy</th></tr></thead><tbody>\n");
    t.append("<tr class=\"group\"><th colspan=\"4\">modality</th></tr>\n");
    e.modalities().values().forEach(s -> t.append(scoreRow(s, "modality", "")));
    if (!e.rules().isEmpty()) {
      t.append("<tr class=\"group\"><th colspan=\"4\">fusion rule</th></tr>\n");
      e.rules()
          .values()
          .forEach(
              s ->
                  t.append(
                      scoreRow(
                          s,
                          "rule",
                          e.ruleProtocols().containsKey(s.name()) ? " (see note)" : "")));
    }
    return t.append("</tbody></table></div>\n").toString();
  }

  private static String scoreRow(Score s, String kind, String note) {
    return "<tr><th scope=\"row\">"
        + breakable(s.name() + note)
        + "</th><td>"
        + s.clips()
        + "</td><td>"
        + s.correct()
        + "</td><td class=\"acc\">"
        + (s.clips() == 0 ? "n/a" : percent(s.accuracy()))
        + ReportPage.meter(s.accuracy(), kind)
        + "</td></tr>\n";
  }

  /**
   * Escaped, with a line break allowed after each underscore (LOGISTIC_REGRESSION fits a phone's
   * column).
   */
  private static String breakable(String name) {
    return esc(name).replace("_", "_<wbr>");
  }

  /** Rows: the modalities and rules; columns: the corpora; cells: accuracy (clips). */
  private static String corpusTable(Evaluation e) {
    List<String> scorers = new ArrayList<>(e.corpora().values().iterator().next().keySet());
    StringBuilder t =
        new StringBuilder(
            "<div class=\"scroll\"><table class=\"scores corpora\"><thead><tr>"
                + "<th>accuracy (clips)</th>");
    e.corpora().keySet().forEach(corpus -> t.append("<th>").append(esc(corpus)).append("</th>"));
    t.append("</tr></thead><tbody>\n");
    for (String sc : scorers) {
      t.append("<tr><th scope=\"row\">").append(breakable(sc)).append("</th>");
      e.corpora()
          .values()
          .forEach(
              scores -> {
                Score score = scores.get(sc);
                t.append("<td>")
                    .append(score.clips() == 0 ? "n/a" : percent(score.accuracy()))
                    .append(" (")
                    .append(score.clips())
                    .append(")</td>");
              });
      t.append("</tr>\n");
    }
    return t.append("</tbody></table></div>\n").toString();
  }

  /**
   * Counts with labels on both axes (column labels written upwards so that nine columns fit a
   * phone); a cell is shaded by its share of the row (the recall of that true label), the diagonal
   * outlined.
   */
  private static String confusionTable(Evaluation e, Score best) {
    StringBuilder t =
        new StringBuilder(
            "<div class=\"scroll\"><table class=\"confusion\"><caption>rows: true label"
                + " · columns: predicted · shade: share of the row</caption><thead><tr><th class=\"axis\">true ↓ "
                + "predicted →</th>");
    e.columns()
        .forEach(c -> t.append("<th scope=\"col\"><span>").append(esc(c)).append("</span></th>"));
    t.append("</tr></thead><tbody>\n");
    for (int r = 0; r < e.labels().size(); r++) {
      int[] row = best.confusion()[r];
      int total = 0;
      for (int v : row) {
        total += v;
      }
      t.append("<tr><th scope=\"row\">").append(esc(e.labels().get(r))).append("</th>");
      for (int c = 0; c < row.length; c++) {
        double share = total == 0 ? 0 : (double) row[c] / total;
        t.append("<td class=\"")
            .append(c == r ? "diag" : "")
            .append(share > 0.5 ? " dark" : "")
            .append("\" style=\"background:rgba(37,99,235,")
            .append(String.format(Locale.ROOT, "%.2f", 0.06 + 0.84 * share))
            .append(")\" title=\"")
            .append(esc(e.labels().get(r)))
            .append(" → ")
            .append(esc(e.columns().get(c)))
            .append(": ")
            .append(row[c])
            .append(" of ")
            .append(total)
            .append("\">")
            .append(row[c])
            .append("</td>");
      }
      t.append("</tr>\n");
    }
    return t.append("</tbody></table></div>\n").toString();
  }

  private static String perClassTable(Evaluation e, Score best) {
    StringBuilder t =
        new StringBuilder(
            "<div class=\"scroll\"><table class=\"scores\"><thead><tr><th>label</th>"
                + "<th>precision</th><th>recall</th><th>support</th></tr></thead><tbody>\n");
    for (ClassMetrics m : e.perClass(best)) {
      t.append("<tr><th scope=\"row\">")
          .append(esc(m.label()))
          .append("</th><td>")
          .append(percentOrDash(m.precision()))
          .append("</td><td>")
          .append(percentOrDash(m.recall()))
          .append("</td><td>")
          .append(m.support())
          .append("</td></tr>\n");
    }
    return t.append("</tbody></table></div>\n").toString();
  }

  private static String percent(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
  }

  private static String percentOrDash(Double v) {
    return v == null ? "-" : percent(v);
  }

  private static String abbreviate(String label) {
    return label.length() <= 9 ? label : label.substring(0, 9);
  }
}
