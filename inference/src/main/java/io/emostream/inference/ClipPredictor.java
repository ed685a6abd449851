package io.emostream.inference;

import io.emostream.schemas.PredictionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns one clip's input record (the Avro bytes of an AudioSegment or FrameBatch) into an outcome.
 */
@FunctionalInterface
public interface ClipPredictor {

  Outcome predict(String clipId, byte[] value) throws Exception;

  /**
   * Predicts several clips at once, so their frames or windows can share model runs; one {@link
   * Result} per input, in order, each failing on its own. The default predicts them one by one.
   */
  default List<Result> predictAll(List<Input> inputs) {
    List<Result> out = new ArrayList<>(inputs.size());
    for (Input input : inputs) {
      try {
        out.add(Result.of(predict(input.clipId(), input.value())));
      } catch (Exception e) {
        out.add(Result.failed(e));
      }
    }
    return out;
  }

  /**
   * {@link #predict} for a predictor whose real work is {@link #predictAll}: one clip through it,
   * its failure thrown.
   */
  static Outcome predictOne(ClipPredictor predictor, String clipId, byte[] value) throws Exception {
    Result result = predictor.predictAll(List.of(new Input(clipId, value))).get(0);
    if (result.failure() != null) {
      throw result.failure();
    }
    return result.outcome();
  }

  /** One clip's input record: its id and the Avro bytes. */
  record Input(String clipId, byte[] value) {}

  /** A clip's outcome, or why it could not be predicted. */
  record Result(Outcome outcome, Exception failure) {

    public static Result of(Outcome outcome) {
      return new Result(Objects.requireNonNull(outcome), null);
    }

    public static Result failed(Exception failure) {
      return new Result(null, Objects.requireNonNull(failure));
    }
  }

  /**
   * What the model said ({@link PredictionStatus}: OK, NO_FACE, NO_AUDIO for no track or too short,
   * ERROR, NO_SPEECH for audio with too little voice activity), how many windows or frames it used,
   * where the time went.
   */
  record Outcome(
      PredictionStatus status,
      float[] probabilities,
      int itemsAnalysed,
      String error,
      double decodeMs,
      double preprocessMs,
      double inferenceMs) {

    public static Outcome ok(
        float[] probabilities,
        int items,
        double decodeMs,
        double preprocessMs,
        double inferenceMs) {
      return new Outcome(
          PredictionStatus.OK,
          Probabilities.requireDistribution(probabilities),
          items,
          null,
          decodeMs,
          preprocessMs,
          inferenceMs);
    }

    public static Outcome without(
        PredictionStatus status,
        String why,
        double decodeMs,
        double preprocessMs,
        double inferenceMs) {
      return new Outcome(status, new float[0], 0, why, decodeMs, preprocessMs, inferenceMs);
    }
  }
}
