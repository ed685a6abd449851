package io.emostream.ingest;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;

/**
 * Ingests one source: demux into clips and publish each clip (manifest, audio, frames) in its own
 * transaction as soon as it is cut. Shared by the HTTP endpoint and the command line.
 */
public final class IngestService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

  /** What was published for a source: its id and one entry per clip. */
  public record Result(String sourceId, String sourceName, List<Clip> clips) {
  }

  public record Clip(String clipId, int segmentIndex, long startMs, long endMs, List<Modality> modalities,
      String speakerRole) {
  }

  private final IngestConfig config;
  private final VideoDemuxer demuxer;
  private final ClipPublisher publisher;
  private final Clock clock;

  public IngestService(IngestConfig config, Clock clock) {
    this.config = config;
    this.demuxer = new VideoDemuxer(config);
    this.publisher = new ClipPublisher(config, config.transactionalIdPrefix() + "-" + UUID.randomUUID());
    this.clock = clock;
  }

  public static String clipId(String sourceId, int segmentIndex) {
    return clipId(sourceId, null, segmentIndex);
  }

  /** {@code <sourceId>-<index>}, or {@code <sourceId>-<role>-<index>} for one speaker's channel of a call. */
  public static String clipId(String sourceId, String speakerRole, int segmentIndex) {
    return sourceId + (speakerRole == null ? "" : "-" + speakerRole) + "-" + String.format("%05d", segmentIndex);
  }

  /**
   * Demuxes and publishes {@code file}. {@code sourceName} is for display only (never used as a path);
   * {@code rule} may be null for the fusion default.
   */
  public Result ingest(Path file, String sourceName, FusionRule rule) {
    return ingest(file, sourceName, rule, config.channels());
  }

  /** As {@link #ingest(Path, String, FusionRule)} with the audio channels chosen by {@code channels}. */
  public Result ingest(Path file, String sourceName, FusionRule rule, ChannelSelection channels) {
    String sourceId = UUID.randomUUID().toString();
    List<Clip> clips = new ArrayList<>();
    demuxer.demux(file, channels, clip -> {
      if ("agent".equals(clip.speakerRole()) && clip.index() == 0) {
        LOG.warn("source {}: analysing the agent's channel; emotion inference on employees at work is prohibited "
            + "in the EU (AI Act Art. 5(1)(f))", sourceId);
      }
      String clipId = clipId(sourceId, clip.speakerRole(), clip.index());
      var records = ClipPublisher.records(config.topics(), clipId, sourceId, sourceName, clip, rule, clock.instant());
      publisher.publish(records);
      List<Modality> modalities = new ArrayList<>();
      if (clip.hasAudio()) {
        modalities.add(Modality.AUDIO);
      }
      if (clip.hasVideo()) {
        modalities.add(Modality.VIDEO);
      }
      clips.add(new Clip(clipId, clip.index(), clip.startMs(), clip.endMs(), modalities, clip.speakerRole()));
      LOG.info("published clip {} ({}-{} ms, {} frames, {} audio samples)", clipId, clip.startMs(), clip.endMs(),
          clip.frames().size(), clip.pcm16le().length / 2);
    });
    return new Result(sourceId, sourceName, List.copyOf(clips));
  }

  @Override
  public void close() {
    publisher.close();
  }
}
