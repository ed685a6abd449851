package io.emostream.ingest;

/**
 * An upload's ingest stopped at a clip boundary because the server is shutting down ({@link
 * Ingestor#stopIngesting}): the clips before it stay published, the client is answered 503 with
 * Retry-After.
 */
public final class ShuttingDownException extends IngestException {

  public ShuttingDownException(int published) {
    super(
        "the server is shutting down; "
            + (published == 0
                ? "nothing was published"
                : published + " clip(s) before it were published and stay published"));
  }
}
