package io.emostream.ingest;

/**
 * A source that failed after some of its clips were published: those stay published (each in its
 * own transaction, complete), and {@link #published()} says which.
 */
public final class PartlyIngestedException extends IngestException {

  private final IngestService.Result published;

  public PartlyIngestedException(IngestException cause, IngestService.Result published) {
    super(cause.getMessage(), cause);
    this.published = published;
  }

  /** The source's id and the clips published before the failure (maybe none). */
  public IngestService.Result published() {
    return published;
  }
}
