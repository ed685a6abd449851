package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the two HTML reports share ({@link HtmlReport} of {@code analyze}, {@link EvaluationReport}
 * of {@code evaluate}): the page frame, one stylesheet, the label colours, the legend and small
 * markup helpers. Every page is self-contained (inline CSS and SVG; no script, no font, no remote
 * resource) and every user string goes through {@link #esc}.
 *
 * <p>Readable from a phone to a wide screen: all text is HTML (no text inside a scaled SVG), at
 * least 12 px, and the layout reflows; nothing is wider than the window at 360 px (wide tables
 * scroll inside their card). Pure.
 */
final class ReportPage {

  /**
   * Refuses, before any work, a --report path the page could not be written to: a folder, or a file
   * whose folder does not exist or is not writable (null: no report asked for).
   */
  static void checkTarget(Path report) {
    if (report == null) {
      return;
    }
    if (Files.isDirectory(report)) {
      throw new InputException(
          "--report "
              + report
              + " is a folder: give a file name, e.g. "
              + report.resolve("report.html"));
    }
    Path dir = report.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new InputException(
          "cannot write the report to "
              + report
              + ": its folder does not exist or is not "
              + "writable; choose another path for --report");
    }
  }

  /** Colours of the RAVDESS labels; any other label gets a hue from its name. */
  private static final Map<String, String> COLOURS =
      Map.of(
          "neutral",
          "#94a3b8",
          "calm",
          "#2bb3a3",
          "happy",
          "#f5b301",
          "sad",
          "#3f7fd9",
          "angry",
          "#e0473e",
          "fearful",
          "#8b5fd1",
          "disgust",
          "#5c9e31",
          "surprised",
          "#f07d27");

  /**
   * The swatches of what is not an emotion: CSS class (see {@link #CSS}) and the words that explain
   * it.
   */
  static final List<Map.Entry<String, String>> STATES =
      List.of(
          Map.entry("st-no_speech", "no speech"), Map.entry("st-no_face", "no face"),
          Map.entry("st-no_audio", "no audio track"), Map.entry("st-error", "error"),
          Map.entry("st-missing", "missing (not received)"), Map.entry("st-none", "no prediction"));

  private ReportPage() {}

  /**
   * A whole page: {@code title} as the heading, {@code subtitle} (escaped here) under it, then
   * {@code headerHtml} and {@code mainHtml} as they are (already escaped markup), and the
   * responsible-use footer.
   */
  static String page(String title, String subtitle, String headerHtml, CharSequence mainHtml) {
    return new StringBuilder(mainHtml.length() + CSS.length() + 1_024)
        .append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(esc(title))
        .append("</title><style>")
        .append(CSS)
        .append("</style></head><body>\n")
        .append("<header><h1>")
        .append(esc(title))
        .append("</h1><p class=\"sub\">")
        .append(esc(subtitle))
        .append("</p>")
        .append(headerHtml)
        .append("</header>\n<main>\n")
        .append(mainHtml)
        .append(
            "</main>\n<footer>Emotion recognition is a signal, not a decision about a person. "
                + "Do not analyse employees at work (EU AI Act, Art. 5(1)(f)).</footer>\n</body></html>\n")
        .toString();
  }

  /**
   * The colour swatch of each label, then those of the states a segment can be in instead of an
   * emotion.
   */
  static String legend(List<String> labels) {
    StringBuilder b = new StringBuilder("<div class=\"legend\">");
    for (String label : labels) {
      b.append("<span><i style=\"background:")
          .append(colour(label))
          .append("\"></i>")
          .append(esc(label))
          .append("</span>");
    }
    for (Map.Entry<String, String> state : STATES) {
      b.append("<span><i class=\"")
          .append(state.getKey())
          .append("\"></i>")
          .append(state.getValue())
          .append("</span>");
    }
    return b.append("</div>").toString();
  }

  /**
   * A definition list of name/value pairs shown as text ("rule AVERAGE", "audio model
   * speech-emotion-v2 2").
   */
  static String facts(Map<String, String> facts) {
    StringBuilder b = new StringBuilder("<dl class=\"facts\">");
    facts.forEach(
        (name, value) ->
            b.append("<div><dt>")
                .append(esc(name))
                .append("</dt><dd>")
                .append(esc(value))
                .append("</dd></div>"));
    return b.append("</dl>").toString();
  }

  /**
   * A status chip: {@code text} on the colours of {@code status} (an enum name such as COMPLETE).
   */
  static String chip(String status, String text) {
    return "<span class=\"chip s-"
        + status.toLowerCase(Locale.ROOT)
        + "\">"
        + esc(text)
        + "</span>";
  }

  /**
   * A horizontal bar of {@code fraction} (0..1; NaN draws none) of its cell's width, in the colour
   * class {@code kind}.
   */
  static String meter(double fraction, String kind) {
    double f = Double.isNaN(fraction) ? 0 : Math.max(0, Math.min(1, fraction));
    return "<span class=\"meter\"><i class=\"bar "
        + kind
        + "\" style=\"width:"
        + fmt(100 * f)
        + "%\"></i></span>";
  }

  static String colour(String label) {
    String known = COLOURS.get(label.toLowerCase(Locale.ROOT));
    if (known != null) {
      return known;
    }
    return "hsl(" + Math.floorMod(label.hashCode(), 360) + ",55%,55%)";
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  static String pct(double p) {
    return String.format(Locale.ROOT, "%.0f%%", 100 * p);
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static final String CSS =
      """
      :root{--ink:#1d2733;--muted:#5f6b7a;--line:#e3e7ed;--bg:#f4f6fa;--modality:#5b84c4;--rule:#e07b39}
      *{box-sizing:border-box}
      body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;overflow-wrap:break-word}
      header{padding:22px 32px 14px;background:#fff;border-bottom:1px solid var(--line)}
      h1{margin:0;font-size:22px;letter-spacing:-.01em}
      .sub{margin:2px 0 10px;color:var(--muted)}
      .legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px}
      .legend i{display:inline-block;width:14px;height:14px;border-radius:3px;margin-right:6px;vertical-align:-2px}
      .st-no_speech{background:repeating-linear-gradient(0deg,#cfd6e0 0 2px,#eef1f5 2px 6px);color:#3d4856}
      .st-no_face{background:repeating-linear-gradient(90deg,#cfd6e0 0 2px,#eef1f5 2px 6px);color:#3d4856}
      .st-no_audio{background:repeating-linear-gradient(45deg,#cfd6e0 0 2px,#eef1f5 2px 6px),repeating-linear-gradient(-45deg,#cfd6e0 0 2px,#eef1f5 2px 6px);background-blend-mode:multiply;color:#3d4856}
      .st-error{background:repeating-linear-gradient(45deg,#f3b8b3 0 3px,#fdecea 3px 8px);color:#9b1c13}
      .st-missing{background:#fff;outline:1.5px dashed #9aa5b3;outline-offset:-2px;color:#5f6b7a}
      .st-none{background:repeating-linear-gradient(45deg,#c9d0da 0 3px,#e5e9ef 3px 8px);color:#3d4856}
      main{padding:18px 32px;display:flex;flex-direction:column;gap:18px}
      .card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:16px 20px;box-shadow:0 1px 3px rgba(20,30,50,.06);min-width:0}
      .head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 14px}
      h2{margin:0;font-size:18px}
      h3{margin:16px 0 6px;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
      .chips{display:flex;flex-wrap:wrap;gap:6px;margin-left:auto}
      .chip{font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;background:#eef1f5;color:#3d4856;white-space:nowrap}
      .s-complete{background:#e3f5e9;color:#1f7a3f}.s-audio_only,.s-video_only{background:#fff2d6;color:#8a5a00}
      .s-no_prediction{background:#f1f3f6;color:#5f6b7a}
      .facts{display:flex;flex-wrap:wrap;gap:4px 22px;margin:10px 0 0}
      .facts div{display:flex;gap:6px;align-items:baseline}
      .facts dt{font-size:12px;color:var(--muted)}
      .facts dd{margin:0;font-weight:600}
      .share{display:flex;height:18px;border-radius:6px;overflow:hidden;background:#eef1f5}
      .share-list{display:flex;flex-wrap:wrap;gap:2px 14px;margin-top:6px;font-size:13px}
      .share-list i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
      .timeline{display:flex;flex-direction:column;gap:4px}
      .role{font-weight:600;font-size:13px;margin-top:6px}
      .lane{display:grid;grid-template-columns:3.6em minmax(0,1fr);gap:8px;align-items:center}
      .lane-name{font-size:12px;color:var(--muted);text-align:right}
      .track{position:relative;height:30px;background:#f6f7f9;border-radius:6px;container-type:inline-size}
      .blk{position:absolute;top:0;bottom:0;display:flex;align-items:center;justify-content:center;border-radius:5px;overflow:hidden;white-space:nowrap;font-size:12px;font-weight:600}
      .blk.emo{color:#fff;text-shadow:0 1px 1px rgba(0,0,0,.35)}
      .blk b{font-weight:inherit;overflow:hidden;text-overflow:ellipsis;padding:0 4px}
      .ticks{height:18px;background:none;border-top:1px solid #b8c1cc;border-radius:0}
      .tick{position:absolute;top:2px;font-size:12px;color:var(--muted);white-space:nowrap;transform:translateX(-50%)}
      .tick.first{transform:none}.tick.last{transform:translateX(-100%)}
      @container (max-width:299px){.need-300 b,.need-450 b,.need-600 b,.need-800 b,.need-1000 b,.need-1400 b{display:none}}
      @container (max-width:449px){.need-450 b,.need-600 b,.need-800 b,.need-1000 b,.need-1400 b,.tick.odd{display:none}}
      @container (max-width:599px){.need-600 b,.need-800 b,.need-1000 b,.need-1400 b{display:none}}
      @container (max-width:799px){.need-800 b,.need-1000 b,.need-1400 b{display:none}}
      @container (max-width:999px){.need-1000 b,.need-1400 b{display:none}}
      @container (max-width:1399px){.need-1400 b{display:none}}
      .need-more b{display:none}
      .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,330px),1fr));gap:10px}
      .seg-card{border:1px solid var(--line);border-radius:9px;padding:8px 10px;min-width:0}
      .seg-head{display:flex;flex-wrap:wrap;align-items:center;gap:4px 6px;font-size:13px;margin-bottom:4px}
      .seg-head .chip{margin-left:auto}
      .charts{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:8px}
      figure{margin:0;min-width:0}
      figcaption{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
      svg.bars{width:100%;height:auto;display:block;border-radius:4px}
      svg.bars:not([class*="st-"]){background:#fafbfc}
      svg.bars line.base{stroke:#c9d0da;stroke-width:1}
      .cap{font-size:12px;font-weight:600;margin-top:2px}.cap.muted{color:var(--muted);font-weight:500}
      .card p{margin:6px 0}.caution{color:#8a3b00}
      .scroll{overflow-x:auto;max-width:100%}
      table{border-collapse:collapse;font-variant-numeric:tabular-nums}
      table.scores{width:100%;max-width:820px}
      .scores th,.scores td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
      .scores th:first-child{text-align:left;white-space:normal}
      .scores thead th{font-size:12px;color:var(--muted);font-weight:600}
      .scores tbody th{font-weight:600}
      .scores tr.group th{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);padding-top:12px}
      .scores td.acc{width:45%;min-width:6em}
      .meter{display:block;height:8px;margin-top:3px;background:#eef1f5;border-radius:4px;overflow:hidden}
      .meter .bar{display:block;height:100%;border-radius:4px}
      .bar.modality{background:var(--modality)}.bar.rule{background:var(--rule)}
      table.confusion{margin:4px 0}
      .confusion caption{text-align:left;font-size:12px;color:var(--muted);padding-bottom:4px}
      .confusion th,.confusion td{padding:5px 4px;text-align:center;font-size:14px}
      .confusion td{min-width:2.6em;border:1px solid #fff}
      .confusion td.diag{outline:2px solid var(--ink);outline-offset:-2px}
      .confusion td.dark{color:#fff}
      .confusion thead th{vertical-align:bottom;font-weight:600}
      .confusion thead th span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
      .confusion tbody th{text-align:right;font-weight:600;padding-right:6px}
      .confusion .axis{font-size:12px;color:var(--muted);font-weight:500;vertical-align:bottom;text-align:right}
      footer{padding:4px 32px 24px;color:var(--muted);font-size:12px}
      @media (max-width:600px){header{padding:14px 12px 10px}main{padding:10px 8px;gap:10px}
      .card{padding:12px 10px;border-radius:10px}footer{padding:4px 12px 18px}.chips{margin-left:0}
      .confusion th,.confusion td{padding:4px 2px;font-size:12px}.confusion td{min-width:2.1em}}
      """;
}
