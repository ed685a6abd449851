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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Ingests one source: demux into clips and publish each clip (manifest, audio, frames) in its own
 * transaction as soon as it is cut. Shared by the HTTP endpoint and the command line.
 *
 * <p>Meters: {@code emostream.ingest.sources} (tag {@code outcome}: ok, rejected for unreadable media, failed for
 * Kafka errors), {@code emostream.ingest.clips} (clips published) and {@code emostream.ingest.duration} (per source).
 */
public final class IngestService implements AutoCloseable, Ingestor {

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
  private final MeterRegistry meters;
  private final Counter clipsPublished;
  private final Timer duration;

  /** Without meters anyone reads (one-off ingest of files). */
  public IngestService(IngestConfig config, Clock clock) {
    this(config, clock, new SimpleMeterRegistry());
  }

  public IngestService(IngestConfig config, Clock clock, MeterRegistry meters) {
    this.config = config;
    this.demuxer = new VideoDemuxer(config);
    this.publisher = new ClipPublisher(config, config.transactionalIdPrefix() + "-" + UUID.randomUUID(), meters);
    this.clock = clock;
    this.meters = meters;
    this.clipsPublished = Counter.builder("emostream.ingest.clips").description("clips published").register(meters);
    this.duration = Timer.builder("emostream.ingest.duration").description("demux and publish time per source")
        .publishPercentileHistogram().register(meters);
  }

  private void countSource(String outcome) {
    Counter.builder("emostream.ingest.sources").tag("outcome", outcome).description("sources ingested")
        .register(meters).increment();
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
  @Override
  public Result ingest(Path file, String sourceName, FusionRule rule, ChannelSelection channels) {
    return ingest(file, sourceName, rule, channels, null);
  }

  /** As above with the audio stream {@code audioStream} (null: EMOSTREAM_AUDIO_STREAM, else the default stream). */
  @Override
  public Result ingest(Path file, String sourceName, FusionRule rule, ChannelSelection channels,
      Integer audioStream) {
    Timer.Sample sample = Timer.start(meters);
    try {
      Result result = ingestTimed(file, sourceName, rule, channels, audioStream);
      countSource("ok");
      return result;
    } catch (IngestException e) {
      countSource("rejected");
      throw e;
    } catch (RuntimeException e) {
      countSource("failed");
      throw e;
    } finally {
      sample.stop(duration);
    }
  }

  private Result ingestTimed(Path file, String sourceName, FusionRule rule, ChannelSelection channels,
      Integer audioStream) {
    String sourceId = UUID.randomUUID().toString();
    List<Clip> clips = new ArrayList<>();
    demuxer.demux(file, channels, audioStream, clip -> {
      if ("agent".equals(clip.speakerRole()) && clip.index() == 0) {
        LOG.warn("source {}: analysing the agent's channel; emotion inference on employees at work is prohibited "
            + "in the EU (AI Act Art. 5(1)(f))", sourceId);
      }
      String clipId = clipId(sourceId, clip.speakerRole(), clip.index());
      var records = ClipPublisher.records(config.topics(), clipId, sourceId, sourceName, clip, rule, clock.instant());
      publisher.publish(records);
      clipsPublished.increment();
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
