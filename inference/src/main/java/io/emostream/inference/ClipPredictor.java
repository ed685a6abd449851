package io.emostream.inference;

/** Turns one clip's input record (the Avro bytes of an AudioSegment or FrameBatch) into an outcome. */
@FunctionalInterface
public interface ClipPredictor {

  Outcome predict(String clipId, byte[] value) throws Exception;

  /** Status names match {@code PredictionStatus}: OK, NO_FACE, NO_AUDIO, ERROR. */
  enum Status { OK, NO_FACE, NO_AUDIO, ERROR }

  /** What the model said, how many windows or frames it used, where the time went. */
  record Outcome(Status status, float[] probabilities, int itemsAnalysed, String error, double decodeMs,
      double preprocessMs, double inferenceMs) {

    public static Outcome ok(float[] probabilities, int items, double decodeMs, double preprocessMs, double inferenceMs) {
      return new Outcome(Status.OK, Probabilities.requireDistribution(probabilities), items, null, decodeMs,
          preprocessMs, inferenceMs);
    }

    public static Outcome without(Status status, String why, double decodeMs, double preprocessMs, double inferenceMs) {
      return new Outcome(status, new float[0], 0, why, decodeMs, preprocessMs, inferenceMs);
    }
  }
}
