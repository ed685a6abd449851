package io.emostream.cli;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fused results as a table for people (JSON for machines: {@link
 * io.emostream.schemas.FusedSegmentJson}). Pure.
 */
public final class ResultFormat {

  private static final String[] HEADER = {
    "source",
    "segment",
    "time",
    "label",
    "confidence",
    "modalities",
    "rule",
    "status",
    "audio",
    "video"
  };

  private ResultFormat() {}

  public static String table(List<FusedEmotion> results) {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    results.forEach(r -> rows.add(cells(r)));
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      widen(widths, row);
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      out.append(line(row, widths));
    }
    return out.toString();
  }

  /**
   * A table printed a row at a time as segments arrive ({@code analyze URL}), so its widths are set
   * before any row: wide enough for the header, the source's name and any value of the other
   * columns up to 9999 s of media (a wider value pushes the rest of its line, nothing is cut).
   */
  static final class Streaming {
    private final int[] widths = new int[HEADER.length];

    Streaming(String sourceName) {
      widen(widths, HEADER);
      String prediction = widest(PredictionStatus.values(), "surprised 0.00");
      widen(
          widths,
          new String[] {
            Terminal.printable(sourceName),
            "99999",
            "9999.9-9999.9 s",
            "surprised",
            "0.00",
            "audio+video",
            widest(FusionRule.values(), ""),
            widest(FusionStatus.values(), ""),
            prediction,
            prediction
          });
    }

    String header() {
      return line(HEADER, widths);
    }

    String row(FusedEmotion result) {
      return line(cells(result), widths);
    }
  }

  private static String widest(Enum<?>[] values, String atLeast) {
    String widest = atLeast;
    for (Enum<?> value : values) {
      if (value.name().length() > widest.length()) {
        widest = value.name();
      }
    }
    return widest;
  }

  private static void widen(int[] widths, String[] row) {
    for (int i = 0; i < row.length; i++) {
      widths[i] = Math.max(widths[i], Terminal.width(row[i]));
    }
  }

  private static String line(String[] row, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < row.length; i++) {
      line.append(i == 0 ? "" : "  ").append(Terminal.padRight(row[i], widths[i]));
    }
    return line.toString().stripTrailing() + System.lineSeparator();
  }

  private static String[] cells(FusedEmotion r) {
    return new String[] {
      Terminal.printable(String.valueOf(r.getSourceName())) // an upload's name may hold anything
          + (r.getSpeakerRole() == null ? "" : " [" + r.getSpeakerRole() + "]"),
      Integer.toString(r.getSegmentIndex()),
      seconds(r.getStartMs()) + "-" + seconds(r.getEndMs()) + " s",
      r.getLabel() == null ? "-" : r.getLabel(),
      r.getLabel() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.getConfidence()),
      r.getModalities().isEmpty()
          ? "-"
          : String.join(
              "+", r.getModalities().stream().map(m -> m.name().toLowerCase(Locale.ROOT)).toList()),
      r.getRule().name(),
      r.getStatus().name(),
      modality(r, "AUDIO"),
      modality(r, "VIDEO")
    };
  }

  /**
   * The per-modality view: "happy 0.91" for a usable prediction, else its status (e.g. NO_FACE).
   */
  static String modality(FusedEmotion r, String modality) {
    for (ModalityPrediction p : r.getPredictions()) {
      if (p.getModality().name().equals(modality)) {
        if (p.getStatus() != PredictionStatus.OK) {
          return p.getStatus().name();
        }
        int best = 0;
        for (int i = 1; i < p.getProbabilities().size(); i++) {
          if (p.getProbabilities().get(i) > p.getProbabilities().get(best)) {
            best = i;
          }
        }
        return p.getLabels().get(best)
            + String.format(Locale.ROOT, " %.2f", p.getProbabilities().get(best));
      }
    }
    return "-";
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f", ms / 1000.0);
  }
}
