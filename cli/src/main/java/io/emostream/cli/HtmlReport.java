package io.emostream.cli;

import static io.emostream.cli.ReportPage.chip;
import static io.emostream.cli.ReportPage.colour;
import static io.emostream.cli.ReportPage.esc;
import static io.emostream.cli.ReportPage.fmt;
import static io.emostream.cli.ReportPage.pct;

import io.emostream.fusion.LabelAligner;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The fused results as one self-contained HTML page ({@link ReportPage}: inline CSS and SVG, no
 * script, opens offline). Per source: the fusion rule and the audio and video models as text, the
 * share of time per emotion, a timeline with an audio, a video and a fused lane on one time axis
 * (per speaker role of a split call; segments with no speech, no face, an error or nothing received
 * drawn apart, see the legend) and, per segment, small bar charts of the audio, video and fused
 * distributions over the canonical labels. Pure.
 *
 * <p>Over 300 lines: the page's per-source sections (summary, timeline lanes, bar charts) as HTML
 * strings; the shared page frame and CSS are {@link ReportPage}'s.
 */
final class HtmlReport {

  /**
   * A timeline block shows its words when it is at least this wide; narrower, only its colour (and
   * its tooltip).
   */
  private static final double MIN_LABELLED_BLOCK_PX = 64;

  /** Track widths at which the stylesheet's container queries start showing the words of blocks. */
  private static final int[] LABEL_WIDTHS = {300, 450, 600, 800, 1000, 1400};

  private HtmlReport() {}

  static String render(List<FusedEmotion> results) {
    Map<String, List<FusedEmotion>> bySource = new LinkedHashMap<>();
    for (FusedEmotion r : results) {
      bySource
          .computeIfAbsent(
              r.getSourceId() == null ? r.getClipId() : r.getSourceId(), k -> new ArrayList<>())
          .add(r);
    }
    List<String> labels = results.isEmpty() ? List.of() : results.get(0).getLabels();
    StringBuilder main = new StringBuilder(16_384);
    if (results.isEmpty()) {
      main.append("<section class=\"card\"><p>No fused results.</p></section>\n");
    }
    for (List<FusedEmotion> source : bySource.values()) {
      source.sort(
          Comparator.comparing((FusedEmotion r) -> String.valueOf(r.getSpeakerRole()))
              .thenComparingInt(FusedEmotion::getSegmentIndex));
      main.append(sourceSection(source));
    }
    String subtitle =
        count(bySource.size(), "source")
            + ", "
            + count(results.size(), "segment")
            + " · fused emotion of speech and face per segment";
    return ReportPage.page("emostream report", subtitle, ReportPage.legend(labels), main);
  }

  private static String sourceSection(List<FusedEmotion> segments) {
    FusedEmotion first = segments.get(0);
    long end = segments.stream().mapToLong(FusedEmotion::getEndMs).max().orElse(0);
    Map<FusionStatus, Integer> statuses = new LinkedHashMap<>();
    segments.forEach(s -> statuses.merge(s.getStatus(), 1, Integer::sum));
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"card\"><div class=\"head\"><h2>")
        .append(esc(name(first)))
        .append("</h2>")
        .append("<span class=\"chips\">");
    statuses.forEach((status, n) -> b.append(chip(status.name(), status.name() + " × " + n)));
    b.append("</span></div>\n");
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("rule", distinct(segments, s -> List.of(s.getRule().name())));
    facts.put("audio model", models(segments, Modality.AUDIO));
    facts.put("video model", models(segments, Modality.VIDEO));
    facts.put("length", ReportPage.fmt(end / 1000.0) + " s · " + count(segments.size(), "segment"));
    facts.put("source id", String.valueOf(first.getSourceId()));
    b.append(ReportPage.facts(facts));
    b.append("\n<h3>Share of time per emotion</h3>").append(shareBar(segments));
    b.append("\n<h3>Timeline: audio, video and fused</h3>").append(timeline(segments, end));
    b.append("\n<h3>Per segment: audio, video and fused distributions</h3><div class=\"grid\">");
    for (FusedEmotion s : segments) {
      b.append(segmentCard(s));
    }
    b.append("</div></section>\n");
    return b.toString();
  }

  private static String name(FusedEmotion r) {
    return r.getSourceName() != null
        ? r.getSourceName()
        : r.getSourceId() != null ? r.getSourceId() : r.getClipId();
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String distinct(
      List<FusedEmotion> segments, Function<FusedEmotion, List<String>> f) {
    Set<String> values = new LinkedHashSet<>();
    segments.forEach(s -> values.addAll(f.apply(s)));
    return values.isEmpty() ? "none received" : String.join(", ", values);
  }

  /** The models of {@code modality} that answered for the source, as "name version". */
  private static String models(List<FusedEmotion> segments, Modality modality) {
    return distinct(
        segments,
        s ->
            s.getPredictions().stream()
                .filter(p -> p.getModality() == modality)
                .map(p -> p.getModelName() + " " + p.getModelVersion())
                .toList());
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
    StringBuilder bar = new StringBuilder("<div class=\"share\">");
    StringBuilder list = new StringBuilder("<div class=\"share-list\">");
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(share.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> e : sorted) {
      double pct = total == 0 ? 0 : 100.0 * e.getValue() / total;
      boolean none = e.getKey().isEmpty();
      String label = none ? "no prediction" : e.getKey();
      String swatch =
          (none ? " class=\"st-none\"" : "")
              + " style=\""
              + (none ? "" : "background:" + colour(label) + ";");
      bar.append("<div").append(swatch).append("width:").append(fmt(pct)).append("%\"></div>");
      list.append("<span><i")
          .append(swatch)
          .append("\"></i>")
          .append(esc(label))
          .append(' ')
          .append(Math.round(pct))
          .append("%</span>");
    }
    return bar.append("</div>").append(list).append("</div>").toString();
  }

  /**
   * Per speaker role, three lanes (audio, video, fused) of absolutely placed blocks, and a shared
   * time axis.
   */
  private static String timeline(List<FusedEmotion> segments, long endMs) {
    Map<String, List<FusedEmotion>> roles = new LinkedHashMap<>();
    for (FusedEmotion s : segments) {
      roles
          .computeIfAbsent(
              s.getSpeakerRole() == null ? "" : s.getSpeakerRole(), k -> new ArrayList<>())
          .add(s);
    }
    double span = Math.max(1, endMs);
    long shortest =
        segments.stream()
            .mapToLong(s -> Math.max(1, s.getEndMs() - s.getStartMs()))
            .min()
            .orElse(1);
    String need = labelClass(MIN_LABELLED_BLOCK_PX * span / shortest);
    StringBuilder b = new StringBuilder("<div class=\"timeline\">");
    for (Map.Entry<String, List<FusedEmotion>> role : roles.entrySet()) {
      if (!role.getKey().isEmpty()) {
        b.append("<div class=\"role\">").append(esc(role.getKey())).append("</div>");
      }
      for (Modality modality : Modality.values()) {
        b.append(
            lane(
                modality.name().toLowerCase(Locale.ROOT),
                need,
                role.getValue(),
                s -> modalityBlock(s, modality),
                span));
      }
      b.append(lane("fused", need, role.getValue(), HtmlReport::fusedBlock, span));
    }
    return b.append(axis(span)).append("</div>").toString();
  }

  /** The class telling the stylesheet from which track width the blocks' words fit. */
  private static String labelClass(double trackPx) {
    for (int w : LABEL_WIDTHS) {
      if (trackPx <= w) {
        return "need-" + w;
      }
    }
    return "need-more";
  }

  /** What one block of a lane shows: its CSS class and inline style, its words and its tooltip. */
  private record Block(String css, String style, String words, String tooltip) {}

  private static String lane(
      String name,
      String need,
      List<FusedEmotion> segments,
      Function<FusedEmotion, Block> block,
      double spanMs) {
    StringBuilder b =
        new StringBuilder("<div class=\"lane\"><span class=\"lane-name\">")
            .append(name)
            .append("</span><div class=\"track\"><div class=\"")
            .append(need)
            .append("\">");
    for (FusedEmotion s : segments) {
      Block k = block.apply(s);
      double left = 100 * s.getStartMs() / spanMs;
      double width = 100 * Math.max(0, s.getEndMs() - s.getStartMs()) / spanMs;
      b.append("<div class=\"blk ")
          .append(k.css())
          .append("\" style=\"left:")
          .append(fmt(left))
          .append("%;width:max(1px,calc(")
          .append(fmt(width))
          .append("% - 2px))")
          .append(k.style())
          .append("\" title=\"")
          .append(esc(k.tooltip()))
          .append("\"><b>")
          .append(esc(k.words()))
          .append("</b></div>");
    }
    return b.append("</div></div></div>").toString();
  }

  /** A block's title starts with the segment: {@code #3 12.0-16.0 s}. */
  private static String segment(FusedEmotion s) {
    return "#"
        + s.getSegmentIndex()
        + " "
        + seconds(s.getStartMs())
        + "-"
        + seconds(s.getEndMs())
        + " s";
  }

  private static Block fusedBlock(FusedEmotion s) {
    String when = segment(s) + ": ";
    String tail = " (" + s.getStatus() + ", " + s.getRule() + ")";
    if (s.getLabel() == null) {
      return new Block("st-none", "", "none", when + "no prediction" + tail);
    }
    String words = s.getLabel() + " " + pct(s.getConfidence());
    return new Block("emo", ";background:" + colour(s.getLabel()), words, when + words + tail);
  }

  private static Block modalityBlock(FusedEmotion s, Modality modality) {
    String when = segment(s) + " " + modality.name().toLowerCase(Locale.ROOT) + ": ";
    ModalityPrediction p = prediction(s, modality);
    if (p == null) {
      return new Block("st-missing", "", "missing", when + "not received");
    }
    String model = " (" + p.getModelName() + " " + p.getModelVersion() + ")";
    if (p.getStatus() != PredictionStatus.OK) {
      String state = p.getStatus().name().toLowerCase(Locale.ROOT);
      String words = state.replace('_', ' ');
      return new Block("st-" + state, "", words, when + words + model);
    }
    Top top = top(s, p);
    if (top == null) {
      return new Block("st-error", "", "labels?", when + "labels not comparable" + model);
    }
    String words = top.label() + " " + pct(top.p());
    return new Block("emo", ";background:" + colour(top.label()), words, when + words + model);
  }

  /**
   * The best canonical label of a usable prediction and its probability; null when its labels
   * cannot be aligned.
   */
  private record Top(String label, double p, double[] aligned) {}

  private static Top top(FusedEmotion s, ModalityPrediction p) {
    double[] aligned;
    try {
      aligned = new LabelAligner(s.getLabels()).align(p);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int best = 0;
    for (int i = 1; i < aligned.length; i++) {
      if (aligned[i] > aligned[best]) {
        best = i;
      }
    }
    return new Top(s.getLabels().get(best), aligned[best], aligned);
  }

  private static String axis(double spanMs) {
    double[] steps = {
      1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000
    };
    double step = steps[steps.length - 1];
    for (double candidate : steps) {
      if (spanMs / candidate <= 8) {
        step = candidate;
        break;
      }
    }
    StringBuilder b =
        new StringBuilder(
            "<div class=\"lane\"><span class=\"lane-name\">time</span>"
                + "<div class=\"track ticks\">");
    int i = 0;
    for (double t = 0; t <= spanMs + 1; t += step, i++) {
      double x = 100 * t / spanMs;
      String place = x < 4 ? " first" : x > 96 ? " last" : "";
      b.append("<span class=\"tick")
          .append(place)
          .append(i % 2 == 1 ? " odd" : "")
          .append("\" style=\"left:")
          .append(fmt(x))
          .append("%\">")
          .append(clock(t))
          .append("</span>");
    }
    return b.append("</div></div>").toString();
  }

  private static String segmentCard(FusedEmotion s) {
    StringBuilder b =
        new StringBuilder("<div class=\"seg-card\"><div class=\"seg-head\"><b>#")
            .append(s.getSegmentIndex())
            .append("</b> ")
            .append(seconds(s.getStartMs()))
            .append("–")
            .append(seconds(s.getEndMs()))
            .append(" s");
    if (s.getSpeakerRole() != null) {
      b.append(" · ").append(esc(s.getSpeakerRole()));
    }
    b.append(chip(s.getStatus().name(), s.getStatus().name()))
        .append("</div><div class=\"charts\">");
    b.append(chart("audio", s, prediction(s, Modality.AUDIO)));
    b.append(chart("video", s, prediction(s, Modality.VIDEO)));
    double[] fused = s.getDistribution().stream().mapToDouble(Float::doubleValue).toArray();
    b.append(
        s.getLabel() == null
            ? bars("fused", null, s.getLabels(), "no prediction", "st-none")
            : bars("fused", fused, s.getLabels(), s.getLabel() + " " + pct(s.getConfidence()), ""));
    return b.append("</div></div>").toString();
  }

  private static ModalityPrediction prediction(FusedEmotion s, Modality modality) {
    return s.getPredictions().stream()
        .filter(p -> p.getModality() == modality)
        .findFirst()
        .orElse(null);
  }

  private static String chart(String title, FusedEmotion s, ModalityPrediction p) {
    if (p == null) {
      return bars(title, null, s.getLabels(), "not received", "st-missing");
    }
    if (p.getStatus() != PredictionStatus.OK) {
      String state = p.getStatus().name().toLowerCase(Locale.ROOT);
      return bars(title, null, s.getLabels(), state.replace('_', ' '), "st-" + state);
    }
    Top top = top(s, p);
    if (top == null) {
      return bars(title, null, s.getLabels(), "labels not comparable", "st-error");
    }
    return bars(title, top.aligned(), s.getLabels(), top.label() + " " + pct(top.p()), "");
  }

  /**
   * A small column chart with no text in it: one bar per canonical label, coloured by label
   * (tooltips name them); {@code values} null draws it empty in the swatch {@code state} of the
   * legend.
   */
  private static String bars(
      String title, double[] values, List<String> labels, String caption, String state) {
    int w = 112;
    int h = 64;
    int n = Math.max(1, labels.size());
    double slot = (double) w / n;
    StringBuilder b =
        new StringBuilder("<figure><figcaption>")
            .append(title)
            .append("</figcaption>")
            .append("<svg viewBox=\"0 0 ")
            .append(w)
            .append(' ')
            .append(h + 2)
            .append("\" class=\"bars")
            .append(state.isEmpty() ? "" : " " + state)
            .append("\"><line class=\"base\" x1=\"0\" x2=\"")
            .append(w)
            .append("\" y1=\"")
            .append(h)
            .append("\" y2=\"")
            .append(h)
            .append("\"/>");
    for (int i = 0; values != null && i < labels.size(); i++) {
      double v = Math.max(0, Math.min(1, values[i]));
      double bh = Math.max(1, v * (h - 2));
      b.append("<rect x=\"")
          .append(fmt(i * slot + 1.5))
          .append("\" y=\"")
          .append(fmt(h - bh))
          .append("\" width=\"")
          .append(fmt(slot - 3))
          .append("\" height=\"")
          .append(fmt(bh))
          .append("\" rx=\"1.5\" fill=\"")
          .append(colour(labels.get(i)))
          .append("\"><title>")
          .append(esc(labels.get(i)))
          .append(' ')
          .append(pct(v))
          .append("</title></rect>");
    }
    return b.append("</svg><div class=\"cap")
        .append(values == null ? " muted" : "")
        .append("\">")
        .append(esc(caption))
        .append("</div></figure>")
        .toString();
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f", ms / 1000.0);
  }

  private static String clock(double ms) {
    long s = Math.round(ms / 1000);
    return s < 60 ? s + "s" : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
