package io.emostream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's pure figures: percentiles of timed rounds, one side of a comparison (the subject or
 * its natural limit), the ratio of the two, and the JSON written for tracking ({@code bench --json
 * FILE}). No clock and no I/O here, so all of it is tested by {@code BenchFiguresTest}.
 */
final class BenchFigures {

  static final ObjectMapper JSON = new ObjectMapper();

  private BenchFigures() {}

  /**
   * The {@code p}-th percentile (0-100) of {@code samples}, linear between the two closest ranks
   * (as numpy's default); the median is {@code percentile(x, 50)}.
   *
   * @throws IllegalArgumentException on no samples or {@code p} outside [0, 100]
   */
  static double percentile(double[] samples, double p) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples to take a percentile of");
    }
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
    }
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    double rank = p / 100 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
  }

  /** {@code subject / limit}; NaN when the limit is zero or either is not a number. */
  static double ratio(double subject, double limit) {
    return limit > 0 && !Double.isNaN(subject) ? subject / limit : Double.NaN;
  }

  /**
   * One side of a comparison: timed rounds of the same work, each with its wall and CPU time, and
   * how many items (clips, frames) one round handles.
   *
   * @param name what ran, e.g. {@code "AudioPredictor"} or {@code "bare ORT"}
   * @param wallMs wall time of each timed round
   * @param cpuMs process CPU time of each round (all threads, native ones too); NaN where unknown
   * @param itemsPerRound items one round handles
   */
  record Side(String name, double[] wallMs, double[] cpuMs, int itemsPerRound) {

    Side {
      if (wallMs.length == 0 || wallMs.length != cpuMs.length) {
        throw new IllegalArgumentException(
            name + ": wall and CPU samples must be as many and at least one");
      }
      if (itemsPerRound < 1) {
        throw new IllegalArgumentException(name + ": items per round must be 1 or more");
      }
    }

    double medianWallMs() {
      return percentile(wallMs, 50);
    }

    double p90WallMs() {
      return percentile(wallMs, 90);
    }

    /**
     * Mean CPU time of a round: the process CPU clock ticks coarsely (10 ms on Linux), so the mean
     * over all rounds says more than the median of one.
     */
    double meanCpuMs() {
      return Arrays.stream(cpuMs).average().orElse(Double.NaN);
    }

    /** Items per second of wall time, from the median round. */
    double itemsPerSecond() {
      return itemsPerRound * 1000.0 / medianWallMs();
    }

    ObjectNode toJson() {
      ObjectNode node = JSON.createObjectNode();
      node.put("name", name);
      node.put("rounds", wallMs.length);
      node.put("itemsPerRound", itemsPerRound);
      putNumber(node, "medianWallMs", medianWallMs());
      putNumber(node, "p90WallMs", p90WallMs());
      putNumber(node, "meanCpuMs", meanCpuMs());
      putNumber(node, "itemsPerSecond", itemsPerSecond());
      return node;
    }
  }

  /**
   * A stage's subject against its natural limit, measured alternately in the same window.
   *
   * @param stage the stage's name on the command line
   * @param item what one item is ("clip", "frame", "file")
   */
  record Comparison(String stage, String item, Side subject, Side limit) {

    double wallRatio() {
      return ratio(
          subject.medianWallMs() / subject.itemsPerRound(),
          limit.medianWallMs() / limit.itemsPerRound());
    }

    double cpuRatio() {
      return ratio(
          subject.meanCpuMs() / subject.itemsPerRound(), limit.meanCpuMs() / limit.itemsPerRound());
    }

    /** Two table lines: the subject and the limit, then the ratios. */
    List<String> lines() {
      return List.of(
          line(subject),
          line(limit),
          String.format(
              Locale.ROOT,
              "  %-28s wall %.2fx  cpu %.2fx",
              "ratio " + subject.name() + " / " + limit.name(),
              wallRatio(),
              cpuRatio()));
    }

    private String line(Side side) {
      return String.format(
          Locale.ROOT,
          "  %-28s %9.2f ms/%s (p90 %.2f)  %8.2f cpu ms/%s  %9.1f %ss/s  (%d rounds of %d)",
          side.name(),
          side.medianWallMs() / side.itemsPerRound(),
          item,
          side.p90WallMs() / side.itemsPerRound(),
          side.meanCpuMs() / side.itemsPerRound(),
          item,
          side.itemsPerSecond(),
          item,
          side.wallMs().length,
          side.itemsPerRound());
    }

    ObjectNode toJson() {
      ObjectNode node = JSON.createObjectNode();
      node.put("item", item);
      node.set("subject", subject.toJson());
      node.set("limit", limit.toJson());
      putNumber(node, "wallRatio", wallRatio());
      putNumber(node, "cpuRatio", cpuRatio());
      return node;
    }
  }

  /**
   * The whole run as JSON: {@code {"machine": {...}, "stages": {name: {comparisons: [...], figures:
   * {...}, skipped: why}}}}.
   */
  static final class Report {
    private final Map<String, ObjectNode> stages = new LinkedHashMap<>();
    private final ObjectNode machine = JSON.createObjectNode();

    ObjectNode machine() {
      return machine;
    }

    private ObjectNode stage(String stage) {
      return stages.computeIfAbsent(stage, s -> JSON.createObjectNode());
    }

    void add(Comparison comparison) {
      ObjectNode stage = stage(comparison.stage());
      ArrayNode list =
          stage.has("comparisons")
              ? (ArrayNode) stage.get("comparisons")
              : stage.putArray("comparisons");
      list.add(comparison.toJson());
    }

    void figure(String stage, String name, double value) {
      ObjectNode node = stage(stage);
      ObjectNode figures =
          node.has("figures") ? (ObjectNode) node.get("figures") : node.putObject("figures");
      putNumber(figures, name, value);
    }

    void skipped(String stage, String why) {
      stage(stage).put("skipped", why);
    }

    ObjectNode toJson() {
      ObjectNode root = JSON.createObjectNode();
      root.set("machine", machine);
      ObjectNode all = root.putObject("stages");
      stages.forEach(all::set);
      return root;
    }
  }

  /** JSON has no NaN: an unknown figure is null. */
  static void putNumber(ObjectNode node, String name, double value) {
    if (Double.isFinite(value)) {
      node.put(name, value);
    } else {
      node.putNull(name);
    }
  }
}
