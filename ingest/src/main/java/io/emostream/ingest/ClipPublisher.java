package io.emostream.ingest;

import io.emostream.kafka.KafkaClients;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a clip's manifest, audio and frames in one Kafka transaction: consumers reading {@code
 * read_committed} see all of a clip or none of it. Thread-safe: a pool of {@link
 * IngestConfig#publishers()} transactional producers, so that that many clips (of different
 * sources: a source publishes its clips one after the other) are in flight at once; a transaction
 * takes a few round trips to the broker, so one producer alone caps an instance at about 100 clips
 * a second. Each clip is still one transaction of its own, on one producer.
 */
public final class ClipPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClipPublisher.class);

  /**
   * How long a send or a commit waits for an unreachable Kafka before the clip fails (Kafka's
   * default is 60 s; {@code KAFKA_MAX_BLOCK_MS} sets it): an upload is then answered 503 with
   * Retry-After well within the 30 s a stopping server gives the uploads in flight, instead of
   * holding its client for a minute and, at a stop, losing its answer.
   */
  static final int MAX_BLOCK_MS = 20_000;

  private final IngestConfig config;
  private final String transactionalId;
  private final MeterRegistry meters;

  /** Slot i's producer (transactional id {@code <id>-i}), null once discarded until re-created. */
  private final List<KafkaProducer<String, byte[]>> producers = new ArrayList<>();

  private final List<KafkaClientMetrics> producerMetrics = new ArrayList<>();

  /** The slots not in a transaction now. */
  private final BlockingQueue<Integer> idle;

  /**
   * @param transactionalId the pool's transactional ids are this, {@code -0}, {@code -1}, ...
   * @param meters where the producers' own metrics (record rates, errors, latency) are bound
   */
  public ClipPublisher(IngestConfig config, String transactionalId, MeterRegistry meters) {
    this.config = config;
    this.transactionalId = transactionalId;
    this.meters = meters;
    int size = config.publishers();
    this.idle = new ArrayBlockingQueue<>(size);
    try {
      for (int i = 0; i < size; i++) {
        producers.add(null);
        producerMetrics.add(null);
        create(i);
        idle.add(i);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Slot {@code slot}'s producer, created and its transactions initialised. */
  private KafkaProducer<String, byte[]> create(int slot) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    if (!config.kafka().asMap().containsKey(ProducerConfig.MAX_BLOCK_MS_CONFIG)) {
      overrides.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
    }
    KafkaProducer<String, byte[]> producer =
        KafkaClients.transactionalProducer(config.kafka(), transactionalId + "-" + slot, overrides);
    try {
      producer.initTransactions(); // fences the slot's discarded producer, ends its transaction
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    KafkaClientMetrics metrics =
        new KafkaClientMetrics(producer, List.of(Tag.of("service", "ingest")));
    metrics.bindTo(meters);
    producers.set(slot, producer);
    producerMetrics.set(slot, metrics);
    return producer;
  }

  /**
   * Builds the records of one clip. Pure: tested without a broker; public for the bench, which
   * measures exactly these payloads.
   */
  public static List<ProducerRecord<String, byte[]>> records(
      Topics topics,
      String clipId,
      String sourceId,
      String sourceName,
      DemuxedClip clip,
      FusionRule rule,
      Instant now) {
    List<Modality> modalities = clip.modalities();
    ClipManifest manifest =
        ClipManifest.newBuilder()
            .setClipId(clipId)
            .setSourceId(sourceId)
            .setSourceName(sourceName)
            .setSegmentIndex(clip.index())
            .setStartMs(clip.startMs())
            .setEndMs(clip.endMs())
            .setModalities(modalities)
            .setFusionRule(rule)
            .setIngestTimeMs(now)
            .setSpeakerRole(clip.speakerRole())
            .build();
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    records.add(topics.manifests().record(clipId, manifest));
    if (modalities.contains(Modality.AUDIO)) { // empty when the clip has frames but no audio
      AudioSegment audio =
          new AudioSegment(
              clipId, VideoDemuxer.SAMPLE_RATE, 1, ByteBuffer.wrap(clip.pcm16le()), clip.startMs());
      records.add(topics.audio().record(clipId, audio));
    }
    if (modalities.contains(Modality.VIDEO)) {
      records.add(topics.frames().record(clipId, frameBatch(clipId, clip)));
    }
    return records;
  }

  /** The clip's sampled frames as the frames topic carries them. Pure; public for the surveys. */
  public static FrameBatch frameBatch(String clipId, DemuxedClip clip) {
    List<Frame> frames =
        clip.frames().stream()
            .map(f -> new Frame(f.timestampMs(), f.width(), f.height(), ByteBuffer.wrap(f.jpeg())))
            .toList();
    return new FrameBatch(clipId, frames);
  }

  /**
   * Sends the records in one transaction, on the first producer of the pool that is free (waiting
   * for one when all are busy). On any failure the transaction is aborted and a {@link
   * PublishException} thrown; a producer that cannot abort (a commit that timed out must be
   * retried, never aborted; a fenced or failed producer) is discarded, and the next clip on its
   * slot gets a new one with the same transactional id, which ends the old one's transaction. Kept,
   * it failed every later clip until ingest was restarted.
   */
  public void publish(List<ProducerRecord<String, byte[]>> records) {
    int slot;
    try {
      slot = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a free Kafka producer", e);
    }
    try {
      KafkaProducer<String, byte[]> producer = producers.get(slot);
      if (producer == null) {
        try {
          producer = create(slot);
          LOG.info("Kafka producer {}-{} re-created", transactionalId, slot);
        } catch (KafkaException e) {
          throw new PublishException(e);
        }
      }
      publish(producer, records);
    } catch (Unusable e) {
      discard(slot);
      LOG.warn(
          "a transaction of Kafka producer {}-{} failed and could not be aborted; producer discarded",
          transactionalId,
          slot,
          e.getCause());
      throw new PublishException(e.getCause());
    } catch (PublishException e) {
      LOG.warn("publishing on Kafka producer {}-{} failed", transactionalId, slot, e.getCause());
      throw e;
    } finally {
      idle.add(slot);
    }
  }

  /**
   * One transaction: a {@link PublishException} when it failed and was aborted, {@link Unusable}
   * when it could not be aborted.
   */
  private static void publish(
      KafkaProducer<String, byte[]> producer, List<ProducerRecord<String, byte[]>> records) {
    try {
      producer.beginTransaction();
      for (ProducerRecord<String, byte[]> record : records) {
        producer.send(record);
      }
      producer.commitTransaction();
    } catch (KafkaException | IllegalStateException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException | IllegalStateException abortFailure) {
        e.addSuppressed(abortFailure);
        throw new Unusable(e);
      }
      throw new PublishException(e);
    }
  }

  /** A failure after which the producer cannot abort: discarded by {@link #publish(List)}. */
  private static final class Unusable extends RuntimeException {
    Unusable(RuntimeException cause) {
      super(cause);
    }
  }

  private void discard(int slot) {
    KafkaProducer<String, byte[]> producer = producers.set(slot, null);
    KafkaClientMetrics metrics = producerMetrics.set(slot, null);
    if (metrics != null) {
      metrics.close();
    }
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
  }

  @Override
  public void close() {
    producerMetrics.stream().filter(m -> m != null).forEach(KafkaClientMetrics::close);
    for (KafkaProducer<String, byte[]> producer : producers) {
      if (producer != null) {
        producer.close(Duration.ofSeconds(10));
      }
    }
  }
}
