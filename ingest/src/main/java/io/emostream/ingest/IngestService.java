package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceKind;
import io.emostream.tracing.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingests one source: demux into clips and publish each clip (manifest, audio, frames) in its own
 * transaction as soon as it is cut. Shared by the HTTP endpoint and the command line.
 *
 * <p>Meters: {@code emostream.ingest.sources} (tag {@code outcome}: ok, rejected for unreadable
 * media, failed for Kafka errors), {@code emostream.ingest.clips} (clips published) and {@code
 * emostream.ingest.duration} (per source).
 *
 * <p>Traces ({@link Tracing}, when on): each clip is published inside its own {@code
 * ingest.publish} span, which starts the clip's trace; its context (and the source id, as baggage)
 * goes in the headers of the clip's records.
 *
 * <p>Over 300 lines: the {@link Ingestor} entry points for a file, a stream and a live URL (with
 * their overloads) and the one path each takes to publish clips and source events, kept together.
 */
public final class IngestService implements AutoCloseable, Ingestor {

  private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

  /** What was published for a source: its id and one entry per clip. */
  public record Result(String sourceId, String sourceName, List<Clip> clips) {}

  public record Clip(
      String clipId,
      int segmentIndex,
      long startMs,
      long endMs,
      List<Modality> modalities,
      String speakerRole) {}

  private final IngestConfig config;
  private final VideoDemuxer demuxer;
  private final ClipPublisher publisher;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Counter clipsPublished;
  private final Timer duration;
  private final Tracing tracing;
  private volatile boolean stopping;

  /** Without meters anyone reads (one-off ingest of files). */
  public IngestService(IngestConfig config, Clock clock) {
    this(config, clock, new SimpleMeterRegistry());
  }

  public IngestService(IngestConfig config, Clock clock, MeterRegistry meters) {
    this.config = config;
    this.demuxer = new VideoDemuxer(config);
    demuxer.prepare();
    this.publisher =
        new ClipPublisher(config, config.transactionalIdPrefix() + "-" + UUID.randomUUID(), meters);
    this.clock = clock;
    this.meters = meters;
    this.clipsPublished =
        Counter.builder("emostream.ingest.clips").description("clips published").register(meters);
    this.duration =
        Timer.builder("emostream.ingest.duration")
            .description("demux and publish time per source")
            .publishPercentileHistogram()
            .register(meters);
    this.tracing = Tracing.global();
  }

  private void countSource(String outcome) {
    Counter.builder("emostream.ingest.sources")
        .tag("outcome", outcome)
        .description("sources ingested")
        .register(meters)
        .increment();
  }

  /** A source id a user may choose: what it is, and what is accepted. */
  public static final Pattern SOURCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /**
   * {@code raw} when it is an acceptable source id ({@link #SOURCE_ID}: 1 to 64 letters, digits,
   * '.', '_' or '-', starting with a letter or digit, so it is safe in a clip id, a Kafka key, a
   * URL and a file name).
   *
   * @throws IllegalArgumentException naming the value and what is accepted
   */
  public static String checkSourceId(String raw) {
    if (raw == null || !SOURCE_ID.matcher(raw).matches()) {
      throw new IllegalArgumentException(
          "source id '"
              + raw
              + "' is not accepted; use 1 to 64 letters, digits, '.', "
              + "'_' or '-', starting with a letter or digit (e.g. call-2024-06-01.42)");
    }
    return raw;
  }

  /** The source id of the records and the prefix of the clip ids. */
  record Ids(String sourceId, String clipPrefix) {}

  /**
   * Without a chosen id, one UUID is both (clip ids {@code <sourceId>-<index>}); with one, the clip
   * ids take a fresh UUID instead, since fusion drops a clip id it has already fused (for
   * EMOSTREAM_FUSION_DONE_RETENTION).
   */
  static Ids ids(String chosen) {
    return ids(chosen, null);
  }

  /**
   * As {@link #ids(String)}, but for an upload retried under {@code retryKey} (its scoped
   * Idempotency-Key; not null) the UUID is derived from the key and the chosen id, not drawn: a
   * retry after a crash, when this instance's memory of the key is gone, names its clips as the
   * first attempt did, and fusion drops the clips it publishes again (within
   * EMOSTREAM_FUSION_DONE_RETENTION) instead of fusing them twice. Not from the request's other
   * parameters: after a crash nothing remembers them to refuse a retry that changed them (422 on a
   * live instance), and such a retry must still not fuse a segment twice.
   */
  static Ids ids(String chosen, String retryKey) {
    String uuid =
        retryKey == null
            ? UUID.randomUUID().toString()
            : UUID.nameUUIDFromBytes(
                    ("emostream-retry\n" + retryKey + "\n" + (chosen == null ? "" : chosen))
                        .getBytes(StandardCharsets.UTF_8))
                .toString();
    return chosen == null ? new Ids(uuid, uuid) : new Ids(checkSourceId(chosen), uuid);
  }

  public static String clipId(String sourceId, int segmentIndex) {
    return clipId(sourceId, null, segmentIndex);
  }

  /**
   * {@code <sourceId>-<index>}, or {@code <sourceId>-<role>-<index>} for one speaker's channel of a
   * call.
   */
  public static String clipId(String sourceId, String speakerRole, int segmentIndex) {
    return sourceId
        + (speakerRole == null ? "" : "-" + speakerRole)
        + "-"
        + String.format("%05d", segmentIndex);
  }

  /**
   * Demuxes and publishes {@code file}. {@code sourceName} is for display only (never used as a
   * path); {@code rule} may be null for the fusion default.
   */
  public Result ingest(Path file, String sourceName, FusionRule rule) {
    return ingest(file, sourceName, rule, config.channels());
  }

  /**
   * As {@link #ingest(Path, String, FusionRule)} with the audio channels chosen by {@code
   * channels}.
   */
  @Override
  public Result ingest(Path file, String sourceName, FusionRule rule, ChannelSelection channels) {
    return ingest(file, sourceName, rule, channels, null);
  }

  /**
   * As above with the audio stream {@code audioStream} (null: EMOSTREAM_AUDIO_STREAM, else the
   * default stream).
   */
  @Override
  public Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream) {
    return ingest(file, sourceName, rule, channels, audioStream, null);
  }

  /**
   * As above with the source id {@code sourceId} (null: a generated one). A chosen id is checked
   * with {@link #checkSourceId}; it is the records' {@code sourceId}, while the clip ids take a
   * fresh UUID ({@link #ids}), so analysing the same source again never collides with the clips
   * fused before.
   */
  @Override
  public Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId) {
    return ingest(file, sourceName, rule, channels, audioStream, sourceId, SourceKind.FILE, null);
  }

  /**
   * As above, the source's {@link SourceEvent}s saying it is of {@code kind} (an upload, a file):
   * STARTED before its first clip, ENDED after its last (reason completed, or {@code error: ...}
   * with the clips published before the error counted); an upload retried under {@code retryKey}
   * names its clips as before ({@link #ids(String, String)}).
   */
  @Override
  public Result ingest(
      Path file,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId,
      SourceKind kind,
      String retryKey) {
    return ingest(
        sink -> demuxer.demux(file, channels, audioStream, sink),
        sourceName,
        rule,
        ids(sourceId, retryKey),
        kind,
        // an upload's spool file is named by the upload's name, never by its server path
        message -> RequestChecks.withoutServerPaths(message, file, sourceName));
  }

  /**
   * As {@link #ingest(Path, String, FusionRule, ChannelSelection, Integer, String, SourceKind,
   * String)} on a stream read while it arrives ({@link VideoDemuxer#demux(MediaStream, String,
   * ChannelSelection, Integer, Consumer)}): each clip is published as soon as it is complete,
   * before the stream has ended. A failure after clips were published is a {@link
   * PartlyIngestedException} naming them; they stay published (and the ENDED event counts them).
   */
  @Override
  public Result ingest(
      MediaStream stream,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId,
      SourceKind kind,
      String retryKey) {
    return ingest(
        sink -> demuxer.demux(stream, sourceName, channels, audioStream, sink),
        sourceName,
        rule,
        ids(sourceId, retryKey),
        kind,
        message -> message);
  }

  /** Cuts a source into clips for the sink. */
  @FunctionalInterface
  private interface Demux {
    void run(Consumer<DemuxedClip> sink);
  }

  private Result ingest(
      Demux demux,
      String sourceName,
      FusionRule rule,
      Ids ids,
      SourceKind kind,
      UnaryOperator<String> shown) {
    Timer.Sample sample = Timer.start(meters);
    try {
      Result result = ingestTimed(demux, sourceName, rule, ids, kind, shown);
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

  private Result ingestTimed(
      Demux demux,
      String sourceName,
      FusionRule rule,
      Ids ids,
      SourceKind kind,
      UnaryOperator<String> shown) {
    String sourceId = ids.sourceId();
    List<Clip> clips = new ArrayList<>();
    publishEvent(
        SourceEvents.started(
            config.topics(), sourceId, sourceName, kind, null, rule, clock.instant()));
    try {
      demux.run(
          clip -> {
            if (stopping) {
              throw new ShuttingDownException(clips.size());
            }
            clips.add(publishClip(clip, ids, sourceName, rule));
          });
    } catch (RuntimeException e) {
      try {
        publishEnded(
            sourceId,
            sourceName,
            kind,
            null,
            rule,
            clips,
            e instanceof ShuttingDownException
                ? SourceEvents.SHUTDOWN
                : SourceEvents.error(shown.apply(String.valueOf(e.getMessage()))));
      } catch (RuntimeException endFailure) {
        e.addSuppressed(endFailure); // the broker is gone: the first error is what matters
      }
      if (e instanceof IngestException ie
          && !clips.isEmpty()
          && !(e instanceof PartlyIngestedException)) {
        throw new PartlyIngestedException(ie, new Result(sourceId, sourceName, List.copyOf(clips)));
      }
      throw e;
    }
    publishEnded(sourceId, sourceName, kind, null, rule, clips, SourceEvents.COMPLETED);
    return new Result(sourceId, sourceName, List.copyOf(clips));
  }

  /**
   * Uploads and files being ingested stop before their next clip ({@link ShuttingDownException});
   * live sources go on until {@link LiveSources#close} ends them.
   */
  @Override
  public void stopIngesting() {
    stopping = true;
  }

  private void publishEnded(
      String sourceId,
      String sourceName,
      SourceKind kind,
      String url,
      FusionRule rule,
      List<Clip> clips,
      String reason) {
    publishEvent(
        SourceEvents.ended(
            config.topics(),
            sourceId,
            sourceName,
            kind,
            url,
            rule,
            clock.instant(),
            clips.size(),
            clips.stream().mapToLong(Clip::endMs).max().orElse(0),
            reason));
  }

  /** How a live source ended: its result so far and why. */
  public record LiveResult(Result result, String endReason, long mediaTimeMs) {}

  /** Hears each clip of a live source as it is published, from its pulling thread. */
  @FunctionalInterface
  public interface ClipListener {
    void published(Clip clip);
  }

  /**
   * Pulls the live source at {@code url} ({@link VideoDemuxer#demuxLive}) and publishes each clip
   * in its own transaction as soon as it is complete, between a STARTED event and an ENDED one
   * (kind LIVE, the URL redacted) that says why it ended. Runs until the source ends, is lost for
   * EMOSTREAM_LIVE_RECONNECT_FOR, or {@code control} stops it; an error (a limit, Kafka) ends it
   * with {@code error: ...}, and is not thrown.
   *
   * @param ids from {@link #ids}: the source id (checked) and the clip ids' prefix
   */
  public LiveResult ingestLive(
      String url,
      String sourceName,
      FusionRule rule,
      ChannelSelection channels,
      Ids ids,
      LiveControl control,
      VideoDemuxer.LiveListener listener,
      ClipListener clipListener) {
    String sourceId = ids.sourceId();
    List<Clip> clips = new CopyOnWriteArrayList<>();
    String reason;
    try {
      publishEvent(
          SourceEvents.started(
              config.topics(), sourceId, sourceName, SourceKind.LIVE, url, rule, clock.instant()));
      reason =
          demuxer.demuxLive(
              url,
              channels,
              control,
              listener,
              clip -> {
                Clip published =
                    untilKafkaTakesIt(
                        sourceId,
                        "clip " + clip.index(),
                        control,
                        () -> publishClip(clip, ids, sourceName, rule));
                clips.add(published);
                clipListener.published(published);
              });
      countSource("ok");
    } catch (IngestException e) {
      countSource("rejected");
      reason = SourceEvents.error(e.getMessage(), url);
    } catch (RuntimeException e) {
      countSource("failed");
      LOG.error("live source {} failed", sourceId, e);
      reason = SourceEvents.error(e.getMessage(), url);
    }
    long mediaTimeMs = clips.stream().mapToLong(Clip::endMs).max().orElse(0);
    String endReason = reason;
    try {
      untilKafkaTakesIt(
          sourceId,
          "its ENDED event",
          control,
          () -> {
            publishEnded(sourceId, sourceName, SourceKind.LIVE, url, rule, clips, endReason);
            return null;
          });
    } catch (RuntimeException e) {
      LOG.error("live source {}: its ENDED event could not be published", sourceId, e);
    }
    return new LiveResult(
        new Result(sourceId, sourceName, List.copyOf(clips)), reason, mediaTimeMs);
  }

  /**
   * How long a live source waits for Kafka to take a clip (or its ENDED event) before it ends with
   * {@code error: Kafka did not take the clip}: a broker restarted or a blip of a minute or two
   * leaves the call going. An upload is answered 503 at the first failure instead: its client can
   * send it again; a live call has no one to send it again.
   */
  static final Duration LIVE_PUBLISH_PATIENCE = Duration.ofMinutes(2);

  /**
   * {@code publish} tried again with backoff (1 s doubling to 10 s) while Kafka does not take it,
   * for up to {@link #LIVE_PUBLISH_PATIENCE}, unless the source is being stopped; the stream is not
   * read meanwhile (its server holds it, or drops the connection and the source reconnects).
   * Before, the first failure (the producer's 20 s wait for metadata) ended the source for good:
   * the rest of the call was never analysed (found by helper-48 with the broker down 25 s).
   */
  private <T> T untilKafkaTakesIt(
      String sourceId, String what, LiveControl control, Supplier<T> publish) {
    long deadline = System.nanoTime() + LIVE_PUBLISH_PATIENCE.toNanos();
    Duration backoff = Duration.ofSeconds(1);
    while (true) {
      try {
        return publish.get();
      } catch (PublishException e) {
        if (control.stopReason() != null || System.nanoTime() - deadline >= 0) {
          throw e;
        }
        LOG.warn(
            "live source {}: Kafka did not take {} ({}); trying again in {} s, for up to {} in all",
            sourceId,
            what,
            e.getCause() == null ? e.getMessage() : e.getCause().getMessage(),
            backoff.toSeconds(),
            LIVE_PUBLISH_PATIENCE);
        if (control.awaitStop(backoff)) {
          throw e;
        }
        backoff = IngestConfig.LiveLimits.doubled(backoff, MAX_PUBLISH_BACKOFF);
      }
    }
  }

  private static final Duration MAX_PUBLISH_BACKOFF = Duration.ofSeconds(10);

  /** Publishes a source event in its own transaction. */
  void publishEvent(ProducerRecord<String, byte[]> event) {
    publisher.publish(List.of(event));
  }

  /** Publishes one clip in its own transaction; what was published. */
  Clip publishClip(DemuxedClip clip, Ids ids, String sourceName, FusionRule rule) {
    String sourceId = ids.sourceId();
    if ("agent".equals(clip.speakerRole()) && clip.index() == 0) {
      LOG.warn(
          "source {}: analysing the agent's channel; emotion inference on employees at work is prohibited "
              + "in the EU (AI Act Art. 5(1)(f))",
          sourceId);
    }
    String clipId = clipId(ids.clipPrefix(), clip.speakerRole(), clip.index());
    var records =
        ClipPublisher.records(
            config.topics(), clipId, sourceId, sourceName, clip, rule, clock.instant());
    publishTraced(clipId, sourceId, records);
    clipsPublished.increment();
    List<Modality> modalities = clip.modalities();
    LOG.info(
        "published clip {} ({}-{} ms, {} frames, {} audio samples)",
        clipId,
        clip.startMs(),
        clip.endMs(),
        clip.frames().size(),
        clip.pcm16le().length / 2);
    return new Clip(
        clipId, clip.index(), clip.startMs(), clip.endMs(), modalities, clip.speakerRole());
  }

  /**
   * Publishes one clip's records inside its {@code ingest.publish} span, whose context the records
   * carry.
   */
  private void publishTraced(
      String clipId, String sourceId, List<ProducerRecord<String, byte[]>> records) {
    try (Tracing.ClipSpan span =
        tracing.start(
            "ingest.publish", SpanKind.PRODUCER, Context.current(), clipId, sourceId, List.of())) {
      span.inject(records.stream().map(ProducerRecord::headers).toList());
      try {
        publisher.publish(records);
      } catch (RuntimeException e) {
        span.fail(e);
        throw e;
      }
    }
  }

  @Override
  public void close() {
    publisher.close();
    demuxer.close();
  }
}
