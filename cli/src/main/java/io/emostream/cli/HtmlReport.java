package io.emostream.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.emostream.fusion.LabelAligner;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;

/**
 * The fused results as one self-contained HTML page (inline CSS and SVG: no script, no font, no CDN,
 * so it opens offline and can be mailed). Per source: the share of time per emotion, a timeline of the
 * fused emotion of every segment (one row per speaker role of a split call) and, per segment, small bar
 * charts of the audio, video and fused distributions over the canonical labels. Pure.
 */
final class HtmlReport {

  /** Colours of the RAVDESS labels; any other label gets a hue from its name. */
  private static final Map<String, String> COLOURS = Map.of(
      "neutral", "#94a3b8", "calm", "#2bb3a3", "happy", "#f5b301", "sad", "#3f7fd9",
      "angry", "#e0473e", "fearful", "#8b5fd1", "disgust", "#5c9e31", "surprised", "#f07d27");

  private static final int TIMELINE_WIDTH = 1000;
  private static final int ROW_LABEL_WIDTH = 96;
  private static final int ROW_HEIGHT = 44;

  private HtmlReport() {
  }

  static String render(List<FusedEmotion> results) {
    Map<String, List<FusedEmotion>> bySource = new LinkedHashMap<>();
    for (FusedEmotion r : results) {
      bySource.computeIfAbsent(r.getSourceId() == null ? r.getClipId() : r.getSourceId(), k -> new ArrayList<>()).add(r);
    }
    List<String> labels = results.isEmpty() ? List.of() : results.get(0).getLabels();
    StringBuilder html = new StringBuilder(16_384);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>emostream report</title><style>").append(CSS).append("</style></head><body>\n")
        .append("<header><h1>emostream report</h1><p class=\"sub\">")
        .append(bySource.size()).append(bySource.size() == 1 ? " source, " : " sources, ")
        .append(results.size()).append(results.size() == 1 ? " segment" : " segments")
        .append(" &middot; fused emotion of speech and face per segment</p>")
        .append(legend(labels)).append("</header>\n<main>\n");
    if (results.isEmpty()) {
      html.append("<section class=\"card\"><p>No fused results.</p></section>\n");
    }
    for (List<FusedEmotion> source : bySource.values()) {
      source.sort(Comparator.comparing((FusedEmotion r) -> String.valueOf(r.getSpeakerRole()))
          .thenComparingInt(FusedEmotion::getSegmentIndex));
      html.append(sourceSection(source));
    }
    html.append("</main>\n<footer>Emotion recognition is a signal, not a decision about a person. "
        + "Do not analyse employees at work (EU AI Act, Art. 5(1)(f)).</footer>\n</body></html>\n");
    return html.toString();
  }

  private static String sourceSection(List<FusedEmotion> segments) {
    FusedEmotion first = segments.get(0);
    long end = segments.stream().mapToLong(FusedEmotion::getEndMs).max().orElse(0);
    Map<FusionStatus, Integer> statuses = new LinkedHashMap<>();
    segments.forEach(s -> statuses.merge(s.getStatus(), 1, Integer::sum));
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"card\"><div class=\"head\"><h2>").append(esc(name(first))).append("</h2>")
        .append("<span class=\"meta\">").append(seconds(end)).append(" s &middot; ").append(segments.size())
        .append(segments.size() == 1 ? " segment" : " segments").append(" &middot; source ")
        .append(esc(String.valueOf(first.getSourceId()))).append("</span><span class=\"chips\">");
    statuses.forEach((status, n) -> b.append("<span class=\"chip s-").append(status.name().toLowerCase(Locale.ROOT))
        .append("\">").append(status.name()).append(" &times; ").append(n).append("</span>"));
    b.append("</span></div>\n");
    b.append("<h3>Share of time per emotion</h3>").append(shareBar(segments));
    b.append("<h3>Timeline</h3>").append(timeline(segments, end));
    b.append("<h3>Per segment: audio, video and fused distributions</h3><div class=\"grid\">");
    for (FusedEmotion s : segments) {
      b.append(segmentCard(s));
    }
    b.append("</div></section>\n");
    return b.toString();
  }

  private static String name(FusedEmotion r) {
    return r.getSourceName() != null ? r.getSourceName() : r.getSourceId() != null ? r.getSourceId() : r.getClipId();
  }

  private static String legend(List<String> labels) {
    StringBuilder b = new StringBuilder("<div class=\"legend\">");
    for (String label : labels) {
      b.append("<span><i style=\"background:").append(colour(label)).append("\"></i>").append(esc(label))
          .append("</span>");
    }
    return b.append("<span><i class=\"none\"></i>no prediction</span></div>").toString();
  }

  /** Time-weighted share of each fused label over the source, as one stacked bar. */
  private static String shareBar(List<FusedEmotion> segments) {
    Map<String, Long> share = new LinkedHashMap<>();
    long total = 0;
    for (FusedEmotion s : segments) {
      long ms = Math.max(0, s.getEndMs() - s.getStartMs());
      share.merge(s.getLabel() == null ? "" : s.getLabel(), ms, Long::sum);
      total += ms;
    }
    StringBuilder b = new StringBuilder("<div class=\"share\">");
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(share.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> e : sorted) {
      double pct = total == 0 ? 0 : 100.0 * e.getValue() / total;
      String label = e.getKey().isEmpty() ? "no prediction" : e.getKey();
      b.append("<div style=\"width:").append(fmt(pct)).append("%;background:")
          .append(e.getKey().isEmpty() ? "#d5dae1;color:#4b5563;text-shadow:none" : colour(e.getKey()))
          .append("\" title=\"").append(esc(label))
          .append(' ').append(fmt(pct)).append("%\">").append(pct >= 9 ? esc(label) + " " + Math.round(pct) + "%" : "")
          .append("</div>");
    }
    return b.append("</div>").toString();
  }

  private static String timeline(List<FusedEmotion> segments, long endMs) {
    Map<String, List<FusedEmotion>> rows = new LinkedHashMap<>();
    for (FusedEmotion s : segments) {
      rows.computeIfAbsent(s.getSpeakerRole() == null ? "" : s.getSpeakerRole(), k -> new ArrayList<>()).add(s);
    }
    int height = rows.size() * ROW_HEIGHT + 26;
    double span = Math.max(1, endMs);
    double scale = (TIMELINE_WIDTH - ROW_LABEL_WIDTH - 8) / span;
    StringBuilder b = new StringBuilder();
    b.append("<svg class=\"timeline\" viewBox=\"0 0 ").append(TIMELINE_WIDTH).append(' ').append(height)
        .append("\" role=\"img\" aria-label=\"timeline of fused emotions\">");
    int y = 4;
    for (Map.Entry<String, List<FusedEmotion>> row : rows.entrySet()) {
      String rowName = row.getKey().isEmpty() ? "fused" : row.getKey();
      b.append("<text class=\"row\" x=\"0\" y=\"").append(y + ROW_HEIGHT / 2 + 1).append("\">").append(esc(rowName))
          .append("</text>");
      for (FusedEmotion s : row.getValue()) {
        double x = ROW_LABEL_WIDTH + s.getStartMs() * scale;
        double w = Math.max(2, (s.getEndMs() - s.getStartMs()) * scale - 2);
        boolean none = s.getLabel() == null;
        double opacity = none ? 1 : 0.35 + 0.65 * Math.max(0, Math.min(1, s.getConfidence()));
        b.append("<g><title>").append(esc(tooltip(s))).append("</title><rect x=\"").append(fmt(x)).append("\" y=\"")
            .append(y).append("\" width=\"").append(fmt(w)).append("\" height=\"").append(ROW_HEIGHT - 8)
            .append("\" rx=\"5\" fill=\"").append(none ? "url(#hatch)" : colour(s.getLabel()))
            .append("\" fill-opacity=\"").append(fmt(opacity)).append("\"/>");
        if (w >= 46) {
          double cx = x + w / 2;
          b.append("<text class=\"seg\" x=\"").append(fmt(cx)).append("\" y=\"").append(y + 16).append("\">")
              .append(esc(none ? "none" : s.getLabel())).append("</text>");
          if (!none) {
            b.append("<text class=\"conf\" x=\"").append(fmt(cx)).append("\" y=\"").append(y + 30).append("\">")
                .append(String.format(Locale.ROOT, "%.0f%%", 100 * s.getConfidence())).append("</text>");
          }
        }
        b.append("</g>");
      }
      y += ROW_HEIGHT;
    }
    b.append(axis(y, span, scale));
    b.append("<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
        + "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#e5e9ef\"/>"
        + "<rect width=\"3\" height=\"8\" fill=\"#c9d0da\"/></pattern></defs></svg>");
    return b.toString();
  }

  private static String axis(int y, double spanMs, double scale) {
    double[] steps = {1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000};
    double step = steps[steps.length - 1];
    for (double candidate : steps) {
      if (spanMs / candidate <= 10) {
        step = candidate;
        break;
      }
    }
    StringBuilder b = new StringBuilder();
    b.append("<line class=\"axis\" x1=\"").append(ROW_LABEL_WIDTH).append("\" x2=\"").append(TIMELINE_WIDTH - 8)
        .append("\" y1=\"").append(y).append("\" y2=\"").append(y).append("\"/>");
    for (double t = 0; t <= spanMs + 1; t += step) {
      double x = ROW_LABEL_WIDTH + t * scale;
      b.append("<line class=\"axis\" x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"")
          .append(y).append("\" y2=\"").append(y + 5).append("\"/><text class=\"tick\" x=\"").append(fmt(x))
          .append("\" y=\"").append(y + 18).append("\">").append(clock(t)).append("</text>");
    }
    return b.toString();
  }

  private static String segmentCard(FusedEmotion s) {
    StringBuilder b = new StringBuilder("<div class=\"seg-card\"><div class=\"seg-head\"><b>#")
        .append(s.getSegmentIndex()).append("</b> ").append(seconds(s.getStartMs())).append("&ndash;")
        .append(seconds(s.getEndMs())).append(" s");
    if (s.getSpeakerRole() != null) {
      b.append(" &middot; ").append(esc(s.getSpeakerRole()));
    }
    b.append("<span class=\"chip s-").append(s.getStatus().name().toLowerCase(Locale.ROOT)).append("\">")
        .append(s.getStatus().name()).append("</span></div><div class=\"charts\">");
    LabelAligner aligner = new LabelAligner(s.getLabels());
    b.append(chart("audio", prediction(s, Modality.AUDIO), aligner, s.getLabels()));
    b.append(chart("video", prediction(s, Modality.VIDEO), aligner, s.getLabels()));
    double[] fused = s.getDistribution().stream().mapToDouble(Float::doubleValue).toArray();
    b.append(bars("fused", s.getLabel() == null ? null : fused, s.getLabels(),
        s.getLabel() == null ? "no prediction" : s.getLabel() + " " + pct(s.getConfidence())));
    return b.append("</div></div>").toString();
  }

  private static ModalityPrediction prediction(FusedEmotion s, Modality modality) {
    return s.getPredictions().stream().filter(p -> p.getModality() == modality).findFirst().orElse(null);
  }

  private static String chart(String title, ModalityPrediction p, LabelAligner aligner, List<String> labels) {
    if (p == null) {
      return bars(title, null, labels, "not received");
    }
    if (p.getStatus() != PredictionStatus.OK) {
      return bars(title, null, labels, p.getStatus().name().replace('_', ' ').toLowerCase(Locale.ROOT));
    }
    double[] aligned;
    try {
      aligned = aligner.align(p);
    } catch (IllegalArgumentException e) {
      return bars(title, null, labels, "labels not comparable");
    }
    int best = 0;
    for (int i = 1; i < aligned.length; i++) {
      if (aligned[i] > aligned[best]) {
        best = i;
      }
    }
    return bars(title, aligned, labels, labels.get(best) + " " + pct(aligned[best]));
  }

  /** A small column chart: one bar per canonical label, coloured by label; {@code values} null draws it empty. */
  private static String bars(String title, double[] values, List<String> labels, String caption) {
    int w = 112;
    int h = 64;
    int n = Math.max(1, labels.size());
    double slot = (double) w / n;
    StringBuilder b = new StringBuilder("<figure><figcaption>").append(title).append("</figcaption>")
        .append("<svg viewBox=\"0 0 ").append(w).append(' ').append(h + 2).append("\" class=\"bars\">")
        .append("<line class=\"base\" x1=\"0\" x2=\"").append(w).append("\" y1=\"").append(h).append("\" y2=\"")
        .append(h).append("\"/>");
    for (int i = 0; i < labels.size(); i++) {
      double v = values == null ? 0 : Math.max(0, Math.min(1, values[i]));
      double bh = values == null ? 0 : Math.max(1, v * (h - 2));
      b.append("<rect x=\"").append(fmt(i * slot + 1.5)).append("\" y=\"").append(fmt(h - bh)).append("\" width=\"")
          .append(fmt(slot - 3)).append("\" height=\"").append(fmt(bh)).append("\" rx=\"1.5\" fill=\"")
          .append(colour(labels.get(i))).append("\"><title>").append(esc(labels.get(i))).append(' ')
          .append(values == null ? "-" : pct(v)).append("</title></rect>");
    }
    if (values == null) {
      b.append("<text class=\"empty\" x=\"").append(w / 2).append("\" y=\"").append(h / 2 + 4).append("\">&ndash;</text>");
    }
    return b.append("</svg><div class=\"cap").append(values == null ? " muted" : "").append("\">").append(esc(caption))
        .append("</div></figure>").toString();
  }

  private static String tooltip(FusedEmotion s) {
    return "#" + s.getSegmentIndex() + " " + seconds(s.getStartMs()) + "-" + seconds(s.getEndMs()) + " s: "
        + (s.getLabel() == null ? "no prediction" : s.getLabel() + " " + pct(s.getConfidence())) + " (" + s.getStatus()
        + ", " + s.getRule() + ")";
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

  private static String pct(double p) {
    return String.format(Locale.ROOT, "%.0f%%", 100 * p);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f", ms / 1000.0);
  }

  private static String clock(double ms) {
    long s = Math.round(ms / 1000);
    return s < 60 ? s + "s" : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private static final String CSS = """
      :root{--ink:#1d2733;--muted:#6b7785;--line:#e3e7ed;--bg:#f4f6fa}
      *{box-sizing:border-box}
      body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
      header{padding:22px 32px 14px;background:#fff;border-bottom:1px solid var(--line)}
      h1{margin:0;font-size:22px;letter-spacing:-.01em}
      .sub{margin:2px 0 10px;color:var(--muted)}
      .legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px}
      .legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
      .legend i.none{background:repeating-linear-gradient(45deg,#c9d0da 0 3px,#e5e9ef 3px 8px)}
      main{padding:18px 32px;display:flex;flex-direction:column;gap:18px}
      .card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:16px 20px;box-shadow:0 1px 3px rgba(20,30,50,.06)}
      .head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 14px}
      h2{margin:0;font-size:18px}
      h3{margin:16px 0 6px;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
      .meta{color:var(--muted);font-size:13px}
      .chips{display:flex;gap:6px;margin-left:auto}
      .chip{font-size:11px;font-weight:600;padding:2px 8px;border-radius:999px;background:#eef1f5;color:#3d4856;letter-spacing:.02em}
      .s-complete{background:#e3f5e9;color:#1f7a3f}.s-audio_only,.s-video_only{background:#fff2d6;color:#8a5a00}
      .s-no_prediction{background:#f1f3f6;color:#6b7785}
      .share{display:flex;height:26px;border-radius:7px;overflow:hidden;background:#eef1f5}
      .share div{display:flex;align-items:center;justify-content:center;color:#fff;font-size:12px;font-weight:600;white-space:nowrap;overflow:hidden;text-shadow:0 1px 1px rgba(0,0,0,.25)}
      svg.timeline{width:100%;height:auto;display:block}
      .timeline text.row{font-size:13px;font-weight:600;fill:var(--muted);dominant-baseline:middle}
      .timeline text.seg{font-size:13px;font-weight:650;fill:var(--ink);text-anchor:middle}
      .timeline text.conf{font-size:11px;fill:#334155;text-anchor:middle}
      .timeline text.tick{font-size:11px;fill:var(--muted);text-anchor:middle}
      .timeline line.axis{stroke:#b8c1cc;stroke-width:1}
      .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:10px}
      .seg-card{border:1px solid var(--line);border-radius:9px;padding:8px 10px}
      .seg-head{display:flex;align-items:center;gap:6px;font-size:13px;margin-bottom:4px}
      .seg-head .chip{margin-left:auto}
      .charts{display:flex;gap:8px}
      figure{margin:0;flex:1}
      figcaption{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
      svg.bars{width:100%;height:auto;display:block;background:#fafbfc;border-radius:4px}
      svg.bars line.base{stroke:#c9d0da;stroke-width:1}
      svg.bars text.empty{font-size:14px;fill:#b8c1cc;text-anchor:middle}
      .cap{font-size:12px;font-weight:600;margin-top:2px}.cap.muted{color:var(--muted);font-weight:500}
      footer{padding:4px 32px 24px;color:var(--muted);font-size:12px}
      """;
}
