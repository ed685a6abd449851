package io.emostream.topics;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.JsonNodeSerde;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.SummarySegment;
import io.emostream.schemas.WorkerProgress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The one place that names every topic, its partition count, its configs and its serdes.
 *
 * <pre>
 *   ingest ──► clips.manifest ─────────────────────────────┐
 *          ──► clips.audio ──► audio-worker ──► predictions.audio ──► fusion-stream ──► fused
 *          ──► clips.frames ─► video-worker ──► predictions.video ──┘
 *                                                 fusion-stream ──► fused.all-rules (optional)
 *                                                 fusion-stream ──► fused.json (optional: JSON view of fused)
 *   ingest ──► sources (STARTED / ENDED per source, keyed by source id) ──┐
 *   fused ─► fusion-stream ─► fused.by-source (internal: re-keyed by source id)┴► fusion-stream
 *                                                         ──► sources.summary (one per source)
 *   any service ──► dead-letter (raw bytes + reason headers)
 *   audio-worker, video-worker ──► workers.progress (compacted) ──► fusion-stream (global store)
 * </pre>
 *
 * Every topic is keyed by clip id (a String), except sources, fused.by-source and sources.summary
 * (source id) and workers.progress. clips.manifest and the two prediction topics are read together
 * by fusion-stream, so they are co-partitioned: same partition count, same key, same (default,
 * murmur2) partitioner; so are sources and fused.by-source. A prefix lets tests and tenants use
 * separate topic sets.
 *
 * <p>The Avro topics' values are Avro single-object encoding ({@link AvroSerde}) by default, or,
 * with a schema registry, the Confluent wire format with their schemas in the registry ({@link
 * RegistryAvroSerde}, subject {@code <topic>-value}).
 */
public final class Topics {

  public static final String DEFAULT_PREFIX = "emostream.";
  public static final int DEFAULT_PARTITIONS = 6;

  /**
   * How long the clip topics (manifest, audio, frames) keep a record: long enough for a worker or
   * fusion-stream down for a few hours to catch up, short enough that frames (most of the bytes) do
   * not pile up; the default topics keep records for a week. The clips' results stay on the fused
   * topic, which keeps the broker's default.
   */
  public static final Duration DEFAULT_CLIP_RETENTION = Duration.ofHours(6);

  /** Frame batches carry up to ~32 JPEGs; 16 MiB leaves room for large frames. */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /** A topic with its value serde; keys are always clip ids. */
  public record Topic<V>(
      String name, int partitions, Map<String, String> configs, Serde<V> valueSerde) {

    /**
     * A record for this topic, keyed by clip id, its value written by the topic's serde: producers
     * publish through this rather than serialising by hand, and one transaction can still span
     * topics of different value types.
     */
    public ProducerRecord<String, byte[]> record(String key, V value) {
      return new ProducerRecord<>(name, key, valueSerde.serializer().serialize(name, value));
    }

    /** A value of this topic, read by the topic's serde (for code that gets raw bytes). */
    public V decode(byte[] value) {
      return valueSerde.deserializer().deserialize(name, value);
    }
  }

  public static final Serde<String> KEY_SERDE = Serdes.String();

  private final String prefix;
  private final int partitions;

  /** Null: single-object encoding. */
  private final String schemaRegistryUrl;

  private final Duration clipRetention;

  /**
   * One serde per record type, shared by its topics and by every call of a topic's method: an
   * {@link AvroSerde} computes its schema's fingerprint when it is made (a quarter of fusion's time
   * on the test driver when it was made per record), and a registry serde holds the registry's
   * cache. Both are stateless otherwise and thread-safe.
   */
  private final Map<Class<?>, Serde<?>> serdes = new ConcurrentHashMap<>();

  public Topics(String prefix, int partitions) {
    this(prefix, partitions, null);
  }

  /**
   * @param schemaRegistryUrl an Apicurio Registry's v2 API ({@link RegistryAvroSerde#apiUrl}), or
   *     null for Avro single-object encoding
   */
  public Topics(String prefix, int partitions, String schemaRegistryUrl) {
    this(prefix, partitions, schemaRegistryUrl, DEFAULT_CLIP_RETENTION);
  }

  /**
   * @param clipRetention {@code retention.ms} of the clip topics (manifest, audio, frames), at
   *     least a second
   */
  public Topics(String prefix, int partitions, String schemaRegistryUrl, Duration clipRetention) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    if (clipRetention.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "the clip topics' retention must be at least 1 s, got " + clipRetention);
    }
    this.prefix = prefix;
    this.partitions = partitions;
    this.schemaRegistryUrl = schemaRegistryUrl;
    this.clipRetention = clipRetention;
  }

  public static Topics defaults() {
    return new Topics(DEFAULT_PREFIX, DEFAULT_PARTITIONS);
  }

  public String prefix() {
    return prefix;
  }

  /** The schema registry the Avro topics' serdes use, if any. */
  public Optional<String> schemaRegistryUrl() {
    return Optional.ofNullable(schemaRegistryUrl);
  }

  /** How long the clip topics keep a record ({@code retention.ms}). */
  public Duration clipRetention() {
    return clipRetention;
  }

  /** The value serde of an Avro topic: the one place that picks the encoding. */
  private <T extends SpecificRecord> Serde<T> avro(Class<T> type) {
    @SuppressWarnings("unchecked")
    Serde<T> shared =
        (Serde<T>)
            serdes.computeIfAbsent(
                type,
                t ->
                    schemaRegistryUrl == null
                        ? new AvroSerde<>(type)
                        : new RegistryAvroSerde<>(type, schemaRegistryUrl));
    return shared;
  }

  private static final Map<String, String> LARGE =
      Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
  private static final Map<String, String> DEFAULT = Map.of();
  private static final Map<String, String> COMPACTED =
      Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

  /**
   * The longest a clip topic's log segment stays open: retention deletes only closed segments, and
   * a quiet partition takes long to fill the default 1 GiB one (the default roll is a week), so a
   * record lives at most the retention plus this.
   */
  public static final Duration MAX_CLIP_SEGMENT_AGE = Duration.ofHours(1);

  /** {@code configs} with the clip topics' {@code retention.ms} and {@code segment.ms}. */
  private Map<String, String> clipTopic(Map<String, String> configs) {
    Map<String, String> withRetention = new HashMap<>(configs);
    withRetention.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(clipRetention.toMillis()));
    withRetention.put(
        TopicConfig.SEGMENT_MS_CONFIG,
        Long.toString(Math.min(clipRetention.toMillis(), MAX_CLIP_SEGMENT_AGE.toMillis())));
    return Map.copyOf(withRetention);
  }

  public Topic<ClipManifest> manifests() {
    return new Topic<>(
        prefix + "clips.manifest", partitions, clipTopic(DEFAULT), avro(ClipManifest.class));
  }

  /**
   * The audio topic is stored zstd-compressed at level 1, by the broker: 16 kHz PCM speech shrinks
   * to about two thirds for about 0.3 CPU ms per 4 s clip to compress and 0.2 ms to read
   * (docs/performance.md). It is the topic's setting, not the producer's: ingest's one transaction
   * per clip also carries the frames, whose JPEGs do not compress.
   */
  private static final Map<String, String> AUDIO =
      Map.of(
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
          Integer.toString(MAX_MESSAGE_BYTES),
          TopicConfig.COMPRESSION_TYPE_CONFIG,
          "zstd",
          TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG,
          "1");

  public Topic<AudioSegment> audio() {
    return new Topic<>(
        prefix + "clips.audio", partitions, clipTopic(AUDIO), avro(AudioSegment.class));
  }

  public Topic<FrameBatch> frames() {
    return new Topic<>(
        prefix + "clips.frames", partitions, clipTopic(LARGE), avro(FrameBatch.class));
  }

  /** The clip topics, whose records expire after {@link #clipRetention()}. */
  public List<Topic<?>> clipTopics() {
    return List.of(manifests(), audio(), frames());
  }

  public Topic<ModalityPrediction> audioPredictions() {
    return new Topic<>(
        prefix + "predictions.audio", partitions, DEFAULT, avro(ModalityPrediction.class));
  }

  public Topic<ModalityPrediction> videoPredictions() {
    return new Topic<>(
        prefix + "predictions.video", partitions, DEFAULT, avro(ModalityPrediction.class));
  }

  public Topic<FusedEmotion> fused() {
    return new Topic<>(prefix + "fused", partitions, DEFAULT, avro(FusedEmotion.class));
  }

  /**
   * Every fusion rule's result for each clip (one record per rule, its {@code rule} field says
   * which), written only when fusion-stream runs with {@code EMOSTREAM_FUSION_EMIT_ALL_RULES=true}:
   * for comparing rules on the same traffic. Same key and schema as {@link #fused()}.
   */
  public Topic<FusedEmotion> fusedAllRules() {
    return new Topic<>(prefix + "fused.all-rules", partitions, DEFAULT, avro(FusedEmotion.class));
  }

  /**
   * The JSON view of {@link #fused()} for consumers without the {@code .avsc} files or a registry:
   * the same key and one record per fused record, the value a {@link
   * io.emostream.schemas.FusedSegmentJson} object as UTF-8 JSON text (no schema envelope), written
   * in the same transaction, only when fusion-stream runs with {@code
   * EMOSTREAM_FUSION_EMIT_JSON=true}. {@code kcat | jq} and Connect's {@code JsonConverter} ({@code
   * schemas.enable=false}) read it as it is.
   */
  public Topic<JsonNode> fusedJson() {
    return new Topic<>(prefix + "fused.json", partitions, DEFAULT, new JsonNodeSerde());
  }

  /**
   * Each source's life ({@link SourceEvent}: STARTED, then ENDED with its clip count), keyed by
   * source id, not by clip id: written by ingest, read by fusion-stream for the per-source summary.
   */
  public Topic<SourceEvent> sources() {
    return new Topic<>(prefix + "sources", partitions, DEFAULT, avro(SourceEvent.class));
  }

  /**
   * The fused topic's records as {@link SummarySegment}s, re-keyed by source id so that they meet
   * their source's events ({@link #sources()}, co-partitioned) in one fusion-stream task: internal
   * to fusion-stream, written and read by it alone.
   */
  public Topic<SummarySegment> fusedBySource() {
    return new Topic<>(prefix + "fused.by-source", partitions, DEFAULT, avro(SummarySegment.class));
  }

  /**
   * One {@link SourceSummary} per ended source, keyed by source id, written by fusion-stream once
   * every clip of the source is fused (or at the summary's max wait).
   */
  public Topic<SourceSummary> sourceSummaries() {
    return new Topic<>(prefix + "sources.summary", partitions, DEFAULT, avro(SourceSummary.class));
  }

  /** Records no service could process, byte for byte, with {@link DeadLetterHeaders}. */
  public Topic<byte[]> deadLetters() {
    return new Topic<>(prefix + "dead-letter", partitions, LARGE, Serdes.ByteArray());
  }

  /**
   * Each worker's progress and heartbeat per input partition ({@link WorkerProgress}), keyed by
   * {@link #progressKey}, not by clip id: compacted, so it holds the latest record per input
   * partition. Read whole by fusion-stream (a global store) to decide whether a clip still waits
   * for a modality.
   */
  public Topic<WorkerProgress> workerProgress() {
    return new Topic<>(
        prefix + "workers.progress", partitions, COMPACTED, avro(WorkerProgress.class));
  }

  /**
   * The key of an input partition's record in {@link #workerProgress()}: {@code <input
   * topic>/<partition>}.
   */
  public static String progressKey(String inputTopic, int partition) {
    return inputTopic + "/" + partition;
  }

  public List<Topic<?>> all() {
    return List.of(
        manifests(),
        audio(),
        frames(),
        audioPredictions(),
        videoPredictions(),
        fused(),
        fusedAllRules(),
        fusedJson(),
        sources(),
        fusedBySource(),
        sourceSummaries(),
        deadLetters(),
        workerProgress());
  }
}
