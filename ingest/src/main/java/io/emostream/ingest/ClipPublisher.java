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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Publishes a clip's manifest, audio and frames in one Kafka transaction: consumers reading {@code
 * read_committed} see all of a clip or none of it. Thread-safe: a pool of {@link
 * IngestConfig#publishers()} transactional producers, so that that many clips (of different
 * sources: a source publishes its clips one after the other) are in flight at once; a transaction
 * takes a few round trips to the broker, so one producer alone caps an instance at about 100 clips
 * a second. Each clip is still one transaction of its own, on one producer.
 */
public final class ClipPublisher implements AutoCloseable {

  private final List<KafkaProducer<String, byte[]>> producers = new ArrayList<>();
  private final List<KafkaClientMetrics> producerMetrics = new ArrayList<>();

  /** The producers not in a transaction now. */
  private final BlockingQueue<KafkaProducer<String, byte[]>> idle;

  /**
   * @param transactionalId the pool's transactional ids are this, {@code -0}, {@code -1}, ...
   * @param meters where the producers' own metrics (record rates, errors, latency) are bound
   */
  public ClipPublisher(IngestConfig config, String transactionalId, MeterRegistry meters) {
    int size = config.publishers();
    this.idle = new ArrayBlockingQueue<>(size);
    try {
      for (int i = 0; i < size; i++) {
        KafkaProducer<String, byte[]> producer =
            KafkaClients.transactionalProducer(
                config.kafka(),
                transactionalId + "-" + i,
                Map.of(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000));
        producers.add(producer);
        producer.initTransactions();
        KafkaClientMetrics metrics =
            new KafkaClientMetrics(producer, List.of(Tag.of("service", "ingest")));
        metrics.bindTo(meters);
        producerMetrics.add(metrics);
        idle.add(producer);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
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
    List<Modality> modalities = new ArrayList<>();
    if (clip.hasAudio()) {
      modalities.add(Modality.AUDIO);
    }
    if (clip.hasVideo()) {
      modalities.add(Modality.VIDEO);
    }
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
    if (clip.hasAudio()) {
      AudioSegment audio =
          new AudioSegment(
              clipId, VideoDemuxer.SAMPLE_RATE, 1, ByteBuffer.wrap(clip.pcm16le()), clip.startMs());
      records.add(topics.audio().record(clipId, audio));
    }
    if (clip.hasVideo()) {
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
   * for one when all are busy); on any failure the transaction is aborted and the error rethrown.
   */
  public void publish(List<ProducerRecord<String, byte[]>> records) {
    KafkaProducer<String, byte[]> producer;
    try {
      producer = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a free Kafka producer", e);
    }
    try {
      publish(producer, records);
    } finally {
      idle.add(producer);
    }
  }

  private static void publish(
      KafkaProducer<String, byte[]> producer, List<ProducerRecord<String, byte[]>> records) {
    producer.beginTransaction();
    try {
      for (ProducerRecord<String, byte[]> record : records) {
        producer.send(record);
      }
      producer.commitTransaction();
    } catch (KafkaException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailure) {
        e.addSuppressed(abortFailure);
      }
      throw new IllegalStateException("publishing the clip to Kafka failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producerMetrics.forEach(KafkaClientMetrics::close);
    for (KafkaProducer<String, byte[]> producer : producers) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
