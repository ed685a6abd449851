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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Publishes a clip's manifest, audio and frames in one Kafka transaction: consumers reading {@code
 * read_committed} see all of a clip or none of it. Thread-safe (one transaction at a time).
 */
public final class ClipPublisher implements AutoCloseable {

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaClientMetrics producerMetrics;

  /**
   * @param meters where the producer's own metrics (record rates, errors, latency) are bound
   */
  public ClipPublisher(IngestConfig config, String transactionalId, MeterRegistry meters) {
    this.topics = config.topics();
    this.producer =
        KafkaClients.transactionalProducer(
            config.kafka(),
            transactionalId,
            Map.of(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000));
    this.producer.initTransactions();
    this.producerMetrics = new KafkaClientMetrics(producer, List.of(Tag.of("service", "ingest")));
    producerMetrics.bindTo(meters);
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
      List<Frame> frames =
          clip.frames().stream()
              .map(
                  f -> new Frame(f.timestampMs(), f.width(), f.height(), ByteBuffer.wrap(f.jpeg())))
              .toList();
      records.add(topics.frames().record(clipId, new FrameBatch(clipId, frames)));
    }
    return records;
  }

  /**
   * Sends the records in one transaction; on any failure the transaction is aborted and the error
   * rethrown.
   */
  public synchronized void publish(List<ProducerRecord<String, byte[]>> records) {
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
    producerMetrics.close();
    producer.close(Duration.ofSeconds(10));
  }
}
