package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceKind;
import java.nio.file.Path;

/** Ingests one media file: what the HTTP front calls ({@link IngestService} in production). */
@FunctionalInterface
public interface Ingestor {

  /**
   * @param sourceName for display only, never used as a path
   * @param rule null for the fusion default
   * @param channels which audio channel(s) to analyse, and their speaker roles
   * @throws IngestException when the media cannot be read (the user's input is at fault)
   */
  IngestService.Result ingest(
      Path file, String sourceName, FusionRule rule, ChannelSelection channels);

  /**
   * As {@link #ingest(Path, String, FusionRule, ChannelSelection)} with the audio stream named by
   * the user ({@code audioStream}, counted among the source's audio streams from 0; null for the
   * configured or default one). An ingestor that cannot choose refuses a named stream rather than
   * ignore it.
   */
  default IngestService.Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream) {
    if (audioStream != null) {
      throw new UnsupportedOperationException(
          getClass().getName() + " cannot choose an audio stream");
    }
    return ingest(file, sourceName, rule, channels);
  }

  /**
   * As {@link #ingest(Path, String, FusionRule, ChannelSelection, Integer)} with the source id
   * chosen by the user ({@code sourceId}, checked by {@link IngestService#checkSourceId}; null for
   * a generated one). An ingestor that cannot take one refuses it rather than ignore it.
   */
  default IngestService.Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId) {
    if (sourceId != null) {
      throw new UnsupportedOperationException(getClass().getName() + " cannot take a source id");
    }
    return ingest(file, sourceName, rule, channels, audioStream);
  }

  /**
   * As {@link #ingest(Path, String, FusionRule, ChannelSelection, Integer, String)} for a source of
   * {@code kind} (an upload, a file), which the source's STARTED and ENDED events carry, and for an
   * upload retried under {@code retryKey} (its scoped Idempotency-Key; null: none): an ingestor
   * that names clips names a retry's clips as the first attempt's, so that fusion drops what a
   * retry after a crash publishes again instead of fusing it twice. An ingestor that publishes no
   * source events or names no clips ignores them.
   */
  default IngestService.Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId,
      SourceKind kind,
      String retryKey) {
    return ingest(file, sourceName, rule, channels, audioStream, sourceId);
  }

  /**
   * Ingests {@code stream} while it arrives (a streamed upload, standard input): each clip is
   * published as soon as it is complete. A failure after clips were published is a {@link
   * PartlyIngestedException} naming them. An ingestor that cannot read a stream refuses it.
   *
   * @param sourceName for display only
   * @param audioStream null for the configured or default one
   * @param sourceId null for a generated one
   * @param kind what the source's STARTED and ENDED events say it is (UPLOAD for a streamed upload,
   *     LIVE for standard input)
   * @param retryKey as for a file ({@link #ingest(Path, String, FusionRule, ChannelSelection,
   *     Integer, String, SourceKind, String)}); null: none
   */
  default IngestService.Result ingest(
      MediaStream stream,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId,
      SourceKind kind,
      String retryKey) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot read a stream");
  }

  /**
   * The server is shutting down: uploads being ingested stop before their next clip (a {@link
   * ShuttingDownException}, their clips so far published) so that they can still be answered. Live
   * sources are not affected (they end on their own at shutdown). Does nothing by default.
   */
  default void stopIngesting() {}
}
