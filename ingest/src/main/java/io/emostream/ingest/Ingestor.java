package io.emostream.ingest;

import java.nio.file.Path;

import io.emostream.schemas.FusionRule;

/** Ingests one media file: what the HTTP front calls ({@link IngestService} in production). */
@FunctionalInterface
public interface Ingestor {

  /**
   * @param sourceName for display only, never used as a path
   * @param rule       null for the fusion default
   * @param channels   which audio channel(s) to analyse, and their speaker roles
   * @throws IngestException when the media cannot be read (the user's input is at fault)
   */
  IngestService.Result ingest(Path file, String sourceName, FusionRule rule, ChannelSelection channels);
}
