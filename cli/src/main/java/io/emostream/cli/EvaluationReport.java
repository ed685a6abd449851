package io.emostream.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.emostream.cli.Evaluation.ClassMetrics;
import io.emostream.cli.Evaluation.Score;

/**
 * An {@link Evaluation} as text for people, as JSON-ready maps for machines, and as a self-contained HTML page
 * (inline SVG bar chart of accuracy by modality and rule, the confusion matrix as a shaded table; no script, no
 * external resource). Pure.
 */
public final class EvaluationReport {

  private EvaluationReport() {
  }

  public static String text(Evaluation e, String source) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "evaluated %d segment(s) of %d speaker(s) from %s (labels from file names or labels.csv)%n",
        e.clips(), e.subjects().size(), source));
    out.append(String.format(Locale.ROOT, "%d segment(s) had both modalities usable%n", e.completeClips()));
    e.inSample().forEach(o -> out.append("CAUTION: ").append(o.describe()).append(System.lineSeparator()));
    out.append(leftOutLine(e));
    out.append(System.lineSeparator());
    out.append(String.format(Locale.ROOT, "%-22s %7s %8s %9s%n", "modality", "clips", "correct", "accuracy"));
    e.modalities().values().forEach(s -> out.append(row(s)));
    e.statuses().forEach((m, counts) -> out.append(String.format(Locale.ROOT, "  %s predictions by status: %s%n",
        m.toLowerCase(Locale.ROOT), counts)));
    out.append(String.format(Locale.ROOT, "  NO_SPEECH (too little voice activity: no emotion) per modality: %s of %d"
        + " segment(s)%n", noSpeechText(e), e.clips()));
    if (!e.rules().isEmpty()) {
      out.append(String.format(Locale.ROOT, "%n%-22s %7s %8s %9s%n", "rule", "clips", "correct", "accuracy"));
      e.rules().values().forEach(s -> out.append(row(s)));
    }
    e.rulesWithoutResults().forEach(r -> out.append(String.format(Locale.ROOT, "%-22s %7s%n", r, "no result")));
    e.ruleProtocols().forEach((r, p) -> out.append(String.format(Locale.ROOT, "  %s: %s%n", r, p)));
    if (e.corpora().size() > 1) {
      e.corpora().forEach((corpus, scores) -> {
        out.append(String.format(Locale.ROOT, "%n%-22s %7s %8s %9s%n", corpus, "clips", "correct", "accuracy"));
        scores.values().forEach(sc -> out.append(row(sc)));
      });
    }
    e.best().ifPresent(best -> {
      out.append(String.format(Locale.ROOT, "%nbest: %s (%s)%s%nconfusion matrix (rows: true label, columns: predicted)%n",
          best.name(), percent(best.accuracy()), tie(e)));
      out.append(String.format(Locale.ROOT, "%-10s", ""));
      e.columns().forEach(c -> out.append(String.format(Locale.ROOT, " %9s", abbreviate(c))));
      out.append(System.lineSeparator());
      for (int t = 0; t < e.labels().size(); t++) {
        out.append(String.format(Locale.ROOT, "%-10s", abbreviate(e.labels().get(t))));
        for (int c = 0; c < e.columns().size(); c++) {
          out.append(String.format(Locale.ROOT, " %9d", best.confusion()[t][c]));
        }
        out.append(System.lineSeparator());
      }
      out.append(String.format(Locale.ROOT, "%n%-10s %9s %9s %8s%n", "label", "precision", "recall", "support"));
      for (ClassMetrics m : e.perClass(best)) {
        out.append(String.format(Locale.ROOT, "%-10s %9s %9s %8d%n", m.label(), percentOrDash(m.precision()),
            percentOrDash(m.recall()), m.support()));
      }
    });
    return out.toString();
  }

  private static String noSpeechText(Evaluation e) {
    List<String> parts = new ArrayList<>();
    e.noSpeech().forEach((m, n) -> parts.add(m.toLowerCase(Locale.ROOT) + " " + n));
    return String.join(", ", parts);
  }

  /** "left out N file(s): ..." with the count per reason and the names of files no convention matched; or "". */
  static String leftOutLine(Evaluation e) {
    if (e.leftOut().isEmpty()) {
      return "";
    }
    List<String> reasons = new ArrayList<>();
    e.leftOutByReason().forEach((reason, n) -> reasons.add(n + " " + reason));
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "left out %d file(s): %s%n", e.leftOut().size(),
        String.join("; ", reasons)));
    List<String> unknown = unlabelled(e);
    if (!unknown.isEmpty()) {
      line.append("  not labelled: ").append(String.join(", ", unknown.subList(0, Math.min(10, unknown.size()))))
          .append(unknown.size() > 10 ? ", ... (" + (unknown.size() - 10) + " more)" : "").append(System.lineSeparator());
    }
    return line.toString();
  }

  private static List<String> unlabelled(Evaluation e) {
    return e.leftOut().stream().filter(l -> l.corpus() == null).map(l -> l.path().toString()).toList();
  }

  private static String tie(Evaluation e) {
    List<String> tied = e.tiedWithBest();
    return tied.isEmpty() ? "" : "; tied with " + String.join(", ", tied) + " (the first in the schema's order is shown)";
  }

  private static String row(Score s) {
    return String.format(Locale.ROOT, "%-22s %7d %8d %9s%n", s.name(), s.clips(), s.correct(), percent(s.accuracy()));
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
    out.put("inSample", e.inSample().stream().map(o -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("scorer", o.scorer());
      m.put("model", o.model());
      m.put("speakers", o.speakers());
      m.put("note", o.describe());
      return m;
    }).toList());
    e.best().ifPresent(best -> {
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
    scores.forEach((name, s) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clips", s.clips());
      m.put("correct", s.correct());
      m.put("accuracy", s.clips() == 0 ? null : s.accuracy());
      out.put(name, m);
    });
    return out;
  }

  /** A self-contained page: inline CSS and SVG, no script, no external resource. */
  public static String html(Evaluation e, String source) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>emostream evaluation</title>\n")
        .append("<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}")
        .append("td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}th{background:#eee}")
        .append("caption{font-weight:bold;margin:8px}</style></head><body>\n")
        .append("<h1>emostream evaluation</h1>\n<p>").append(escape(String.format(Locale.ROOT,
            "%d segment(s) of %d speaker(s) from %s; %d with both modalities usable. "
                + "Labels from file names or labels.csv.",
            e.clips(), e.subjects().size(), source, e.completeClips()))).append("</p>\n");
    e.inSample().forEach(o -> h.append("<p class=\"caution\"><strong>Caution:</strong> ").append(escape(o.describe()))
        .append("</p>\n"));
    String leftOut = leftOutLine(e);
    if (!leftOut.isEmpty()) {
      h.append("<p class=\"left-out\">").append(escape(leftOut.strip()).replace("\n", "<br>")).append("</p>\n");
    }
    h.append("<p class=\"no-speech\">").append(escape(String.format(Locale.ROOT,
        "NO_SPEECH (too little voice activity: no emotion) per modality: %s of %d segment(s).", noSpeechText(e),
        e.clips()))).append("</p>\n");
    h.append("<h2>Accuracy by modality and fusion rule</h2>\n").append(barChart(e));
    if (e.corpora().size() > 1) {
      h.append("<h2>Accuracy per corpus</h2>\n").append(corpusTable(e));
    }
    e.ruleProtocols().forEach((r, p) -> h.append("<p class=\"protocol\">").append(escape(r + ": " + p))
        .append("</p>\n"));
    if (!e.rulesWithoutResults().isEmpty()) {
      h.append("<p>No result: ").append(escape(String.join(", ", e.rulesWithoutResults()))).append("</p>\n");
    }
    e.best().ifPresent(best -> {
      h.append("<h2>Best: ").append(escape(best.name())).append(" (").append(percent(best.accuracy()))
          .append(")").append(escape(tie(e))).append("</h2>\n").append(confusionTable(e, best)).append(perClassTable(e, best));
    });
    return h.append("</body></html>\n").toString();
  }

  static String barChart(Evaluation e) {
    List<Score> bars = new ArrayList<>(e.modalities().values());
    bars.addAll(e.rules().values());
    int rowHeight = 28;
    int labelWidth = 270;
    int barWidth = 400;
    int height = bars.size() * rowHeight + 30;
    StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
            + "aria-label=\"accuracy by modality and rule\">%n", labelWidth + barWidth + 80, height));
    for (int p = 0; p <= 100; p += 25) {
      int x = labelWidth + barWidth * p / 100;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d %%</text>%n", x, x, height - 18, x,
          height - 4, p));
    }
    for (int i = 0; i < bars.size(); i++) {
      Score s = bars.get(i);
      boolean modality = i < e.modalities().size();
      int y = i * rowHeight + 4;
      double acc = s.clips() == 0 ? 0 : s.accuracy();
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">%s</text>",
          labelWidth - 8, y + 16, escape(s.name() + (e.ruleProtocols().containsKey(s.name()) ? " (see note)" : "") + " (n=" + s.clips() + ")")));
      svg.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" "
          + "fill=\"%s\"/>", labelWidth, y, barWidth * acc, modality ? "#7a9cc6" : "#e07b39"));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%s</text>%n",
          labelWidth + barWidth * acc + 6, y + 15, s.clips() == 0 ? "n/a" : percent(acc)));
    }
    return svg.append("</svg>\n").toString();
  }

  private static String corpusTable(Evaluation e) {
    List<String> scorers = new ArrayList<>(e.corpora().values().iterator().next().keySet());
    StringBuilder t = new StringBuilder("<table class=\"corpora\"><caption>Accuracy per corpus (clips)</caption>\n"
        + "<tr><th>corpus</th>");
    scorers.forEach(sc -> t.append("<th>").append(escape(sc)).append("</th>"));
    t.append("</tr>\n");
    e.corpora().forEach((corpus, scores) -> {
      t.append("<tr><th>").append(escape(corpus)).append("</th>");
      for (String sc : scorers) {
        Score score = scores.get(sc);
        t.append("<td>").append(score.clips() == 0 ? "n/a" : percent(score.accuracy())).append(" (")
            .append(score.clips()).append(")</td>");
      }
      t.append("</tr>\n");
    });
    return t.append("</table>\n").toString();
  }

  private static String confusionTable(Evaluation e, Score best) {
    int max = 1;
    for (int[] row : best.confusion()) {
      for (int v : row) {
        max = Math.max(max, v);
      }
    }
    StringBuilder t = new StringBuilder("<table class=\"confusion\"><caption>Confusion matrix (rows: true label, "
        + "columns: predicted)</caption>\n<tr><th></th>");
    e.columns().forEach(c -> t.append("<th>").append(escape(c)).append("</th>"));
    t.append("</tr>\n");
    for (int r = 0; r < e.labels().size(); r++) {
      t.append("<tr><th>").append(escape(e.labels().get(r))).append("</th>");
      for (int c = 0; c < e.columns().size(); c++) {
        int v = best.confusion()[r][c];
        int shade = 255 - (int) Math.round(180.0 * v / max);
        t.append(String.format(Locale.ROOT, "<td style=\"background:rgb(%d,%d,255)\">%d</td>", shade, shade, v));
      }
      t.append("</tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  private static String perClassTable(Evaluation e, Score best) {
    StringBuilder t = new StringBuilder("<table><caption>Per class</caption>\n"
        + "<tr><th>label</th><th>precision</th><th>recall</th><th>support</th></tr>\n");
    for (ClassMetrics m : e.perClass(best)) {
      t.append("<tr><th>").append(escape(m.label())).append("</th><td>").append(percentOrDash(m.precision()))
          .append("</td><td>").append(percentOrDash(m.recall())).append("</td><td>").append(m.support())
          .append("</td></tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
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
