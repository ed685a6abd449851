package io.emostream.ingest;

/**
 * Kafka did not take a clip or a source event (unreachable past the producer's timeouts, or it
 * refused the transaction): nothing of that clip is visible to {@code read_committed} consumers,
 * the clips published before it stay published, and the sender can try again later (uploads are
 * answered 503 with Retry-After and the clips published so far).
 */
public final class PublishException extends IngestException {

  /**
   * The message names the Kafka error's class only (an answer to a client; the cause, with broker
   * addresses and transactional ids, is in the server's log).
   */
  public PublishException(Throwable cause) {
    super(
        "Kafka did not take the clip ("
            + cause.getClass().getSimpleName()
            + "); it can be sent again later",
        cause);
  }

  /**
   * Whether the answer to {@code e} is "the service is unavailable, try again": a shutdown ({@link
   * ShuttingDownException}) or Kafka not taking a clip, themselves or wrapped (a {@link
   * PartlyIngestedException}).
   */
  static boolean isUnavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ShuttingDownException || t instanceof PublishException) {
        return true;
      }
    }
    return false;
  }
}
