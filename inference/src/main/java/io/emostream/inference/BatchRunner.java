package io.emostream.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one way a predictor sends items (frames, clips, faces, audio windows) through a model: in
 * runs of at most {@link #runSize()} items, each run giving one output row per item, in order. When
 * a run fails (an exception, a wrong row count, or a row that is not a distribution), each of its
 * items is run again alone, so one bad item fails only itself, never the items that shared its run.
 *
 * <p>What an item is and how a chunk becomes a tensor stays with the predictor ({@link ModelRun});
 * the chunking, the retry, the row-count check and the share of model time each item gets live
 * here. Every predictor that runs an emotion model uses it: {@code VideoPredictor}, {@code
 * FacePredictor} and {@code AudioPredictor}. Not thread-safe beyond what its {@link ModelRun} is.
 *
 * @param <T> an item as the predictor holds it (a pre-processed tensor, a cropped face)
 */
public final class BatchRunner<T> {

  /** One model run over a chunk of items: one row per item, in order. */
  @FunctionalInterface
  public interface ModelRun<T> {
    float[][] run(List<T> chunk) throws Exception;
  }

  /** One item's outcome: its row and its share of the model time, or why it failed. */
  public record Row(float[] probabilities, double inferenceMs, Exception failure) {

    static Row of(float[] probabilities, double inferenceMs) {
      return new Row(probabilities, inferenceMs, null);
    }

    static Row failed(Exception failure) {
      return new Row(null, 0, failure);
    }

    public boolean failed() {
      return failure != null;
    }
  }

  /**
   * One clip's rows together: every row's probabilities, in order, and their total model time; or,
   * when a row failed, the first failure, which fails the clip.
   */
  public record ClipRows(List<float[]> probabilities, double inferenceMs, Exception failure) {

    /** Gathers a clip's rows, in order: the first failed row fails the clip. */
    public static ClipRows of(List<Row> rows) {
      List<float[]> probabilities = new ArrayList<>(rows.size());
      double inferenceMs = 0;
      for (Row row : rows) {
        if (row.failed()) {
          return new ClipRows(List.of(), 0, row.failure());
        }
        probabilities.add(row.probabilities());
        inferenceMs += row.inferenceMs();
      }
      return new ClipRows(probabilities, inferenceMs, null);
    }

    public boolean failed() {
      return failure != null;
    }
  }

  private final String what;
  private final int runSize;
  private final ModelRun<T> run;
  private final AtomicLong runs = new AtomicLong();

  /**
   * @param what names the model in errors (e.g. "model fer-mini-xception")
   * @param runSize most items per model run: the model's batch ({@code maxBatch}) when its batch
   *     dimension is dynamic, else 1
   * @throws IllegalArgumentException if {@code runSize < 1}
   */
  public BatchRunner(String what, int runSize, ModelRun<T> run) {
    if (runSize < 1) {
      throw new IllegalArgumentException("run size must be at least 1, got " + runSize);
    }
    this.what = what;
    this.runSize = runSize;
    this.run = run;
  }

  /** Items per model run. */
  public int runSize() {
    return runSize;
  }

  /** Model runs made so far, retries included (for tests of the batching). */
  public long runs() {
    return runs.get();
  }

  /** Runs every item; one {@link Row} per item, in order. */
  public List<Row> run(List<T> items) {
    List<Row> rows = new ArrayList<>(items.size());
    for (int from = 0; from < items.size(); from += runSize) {
      rows.addAll(runChunk(items.subList(from, Math.min(items.size(), from + runSize))));
    }
    return rows;
  }

  /**
   * Runs {@code items} and throws the first item's failure, if any: for a caller that wants every
   * row or none.
   */
  public float[][] runAll(List<T> items) throws Exception {
    ClipRows rows = ClipRows.of(run(items));
    if (rows.failed()) {
      throw rows.failure();
    }
    return rows.probabilities().toArray(new float[0][]);
  }

  private List<Row> runChunk(List<T> chunk) {
    long start = System.nanoTime();
    float[][] out;
    try {
      runs.incrementAndGet();
      out = run.run(chunk);
      if (out.length != chunk.size()) {
        throw new IllegalStateException(
            what + " returned " + out.length + " rows for a batch of " + chunk.size());
      }
    } catch (Exception e) {
      if (chunk.size() == 1) {
        return List.of(Row.failed(e));
      }
      List<Row> alone = new ArrayList<>(chunk.size());
      for (T item : chunk) {
        alone.addAll(runChunk(List.of(item)));
      }
      return alone;
    }
    double perItemMs = (System.nanoTime() - start) / 1e6 / chunk.size();
    List<Row> rows = new ArrayList<>(chunk.size());
    for (float[] row : out) {
      rows.add(Row.of(row, perItemMs));
    }
    return rows;
  }
}
