package io.emostream.ingest;

/** A source ingest cannot take, with a message for the person who sent it. */
public class IngestException extends RuntimeException {

  public IngestException(String message) {
    super(message);
  }

  public IngestException(String message, Throwable cause) {
    super(message, cause);
  }
}
