package io.emostream.fusion;

import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the fusion topology (Processor API).
 *
 * <pre>
 *   clips.manifest ────┐
 *   predictions.audio ─┼─► ClipJoinProcessor (stores: pending-clips, ─► fused
 *   predictions.video ─┘        clips-by-due-time, its index)      └─► fused.all-rules (optional: one
 *                               ▲ wall-clock punctuator: timeouts,       record per rule and clip)
 *                                 expiry of done markers           └─► fused-json ─► fused.json (optional:
 *                                 (reads the index up to now)            each fused record as FusedSegmentJson)
 *   workers.progress ─► global store worker-progress (read by the punctuator: is a missing modality's worker
 *                        alive and behind the clip?)
 *   fused, sources ─► the per-source summary ─► sources.summary ({@link SourceSummaryTopology})
 * </pre>
 *
 * In: {@code ClipManifest} and {@code ModalityPrediction} records keyed by clip id. Out: one {@code
 * FusedEmotion} per clip, keyed by clip id. The three input topics must be co-partitioned (same
 * partition count, same String key, default partitioner), which {@code TopicAdmin.ensureTopics}
 * checks: a clip's records then all reach the same task and the same state store partition. The
 * Processor API does not check this itself.
 */
public final class FusionTopology {

  public static final String MANIFEST_SOURCE = "manifest-source";
  public static final String AUDIO_SOURCE = "audio-prediction-source";
  public static final String VIDEO_SOURCE = "video-prediction-source";
  public static final String JOIN_PROCESSOR = "clip-join";
  public static final String FUSED_SINK = "fused-sink";

  /** Every rule's result for each clip, when {@link FusionConfig#emitAllRules()}. */
  public static final String ALL_RULES_SINK = "fused-all-rules-sink";

  /**
   * Maps each fused record to its {@code FusedSegmentJson}, when {@link FusionConfig#emitJson()}.
   */
  public static final String FUSED_JSON_PROCESSOR = "fused-json";

  public static final String FUSED_JSON_SINK = "fused-json-sink";

  /**
   * In memory, changelog-backed: pending clips and done markers survive restarts and move with
   * their task (a task restores them from the changelog when it starts). What it holds is bounded
   * by the clip rate and {@code EMOSTREAM_FUSION_DONE_RETENTION}: the clips pending now plus one
   * small done marker per clip fused within the retention (docs/performance.md: an in-memory store
   * let fusion through the broker fuse about 30 % more clips per CPU-second than RocksDB).
   */
  public static final String PENDING_STORE = "pending-clips";

  /**
   * In memory, not changelogged: the index of {@link #PENDING_STORE}, {@code <due time, 19
   * digits>/<clip id>} → clip id, where the due time is a pending clip's deadline or a done
   * marker's expiry; the punctuator reads it up to now. It is derived from the pending store, so a
   * task rebuilds it from that store when it starts ({@link PendingClips}).
   */
  public static final String DUE_STORE = "clips-by-due-time";

  public static final String PROGRESS_SOURCE = "worker-progress-source";
  public static final String PROGRESS_PROCESSOR = "worker-progress-updater";

  /**
   * Global, in memory, no changelog: every instance holds the latest {@code WorkerProgress} of
   * every input partition, rebuilt from the compacted progress topic at start.
   */
  public static final String PROGRESS_STORE = "worker-progress";

  private static final Logger LOG = LoggerFactory.getLogger(FusionTopology.class);

  private FusionTopology() {}

  /** The topology with its meters in a registry of its own (tests). */
  public static Topology build(FusionConfig config) {
    return build(config, new FusionMetrics(new SimpleMeterRegistry()));
  }

  /**
   * The topology traced by the process's {@link Tracing#global()} (FusionStreamMain installs it).
   */
  public static Topology build(FusionConfig config, FusionMetrics metrics) {
    return build(config, metrics, Tracing.global());
  }

  public static Topology build(FusionConfig config, FusionMetrics metrics, Tracing tracing) {
    if (config.emitAllRules() && !allRules(config).contains(FusionRule.LOGISTIC_REGRESSION)) {
      LOG.info(
          "the all-rules topic {} leaves out {}: no model configured; to add it, set {} to a file written by "
              + "'./emostream train-fusion DIR --out FILE'",
          config.topics().fusedAllRules().name(),
          FusionRule.LOGISTIC_REGRESSION,
          FusionConfig.LR_MODEL_ENV);
    }
    Topics topics = config.topics();
    Topology topology = new Topology();
    topology.addSource(
        MANIFEST_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.manifests().valueSerde().deserializer(),
        topics.manifests().name());
    topology.addSource(
        AUDIO_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.audioPredictions().valueSerde().deserializer(),
        topics.audioPredictions().name());
    topology.addSource(
        VIDEO_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.videoPredictions().valueSerde().deserializer(),
        topics.videoPredictions().name());
    topology.addProcessor(
        JOIN_PROCESSOR,
        () -> new ClipJoinProcessor(config, metrics, tracing),
        MANIFEST_SOURCE,
        AUDIO_SOURCE,
        VIDEO_SOURCE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(PENDING_STORE),
            Serdes.String(),
            new AvroSerde<>(PendingClip.class)),
        JOIN_PROCESSOR);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(DUE_STORE), Serdes.String(), Serdes.String())
            .withLoggingDisabled(),
        JOIN_PROCESSOR);
    topology.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(PROGRESS_STORE),
                Serdes.String(),
                new AvroSerde<>(WorkerProgress.class))
            .withLoggingDisabled(),
        PROGRESS_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.workerProgress().valueSerde().deserializer(),
        topics.workerProgress().name(),
        PROGRESS_PROCESSOR,
        WorkerProgressUpdater::new);
    topology.addSink(
        FUSED_SINK,
        topics.fused().name(),
        Topics.KEY_SERDE.serializer(),
        topics.fused().valueSerde().serializer(),
        JOIN_PROCESSOR);
    if (config.emitAllRules()) {
      topology.addSink(
          ALL_RULES_SINK,
          topics.fusedAllRules().name(),
          Topics.KEY_SERDE.serializer(),
          topics.fusedAllRules().valueSerde().serializer(),
          JOIN_PROCESSOR);
    }
    if (config.emitJson()) {
      topology.addProcessor(FUSED_JSON_PROCESSOR, FusedJsonProcessor::new, JOIN_PROCESSOR);
      topology.addSink(
          FUSED_JSON_SINK,
          topics.fusedJson().name(),
          Topics.KEY_SERDE.serializer(),
          topics.fusedJson().valueSerde().serializer(),
          FUSED_JSON_PROCESSOR);
    }
    SourceSummaryTopology.addTo(topology, config);
    return topology;
  }

  /**
   * The rules whose results go to the all-rules topic, in {@link FusionRule} order: every rule,
   * except LOGISTIC_REGRESSION when no model is configured ({@code EMOSTREAM_FUSION_LR_MODEL});
   * that is a configuration state, logged once when the topology is built, not a per-clip failure.
   */
  static List<FusionRule> allRules(FusionConfig config) {
    return Arrays.stream(FusionRule.values())
        .filter(
            rule ->
                rule != FusionRule.LOGISTIC_REGRESSION
                    || config.rules().logisticRegression() != null)
        .toList();
  }

  /**
   * Late or duplicate records dropped for clips already done (fused, or dropped without a
   * manifest), summed over every task, from a Streams metrics map ({@code KafkaStreams.metrics()}
   * or {@code TopologyTestDriver.metrics()}).
   */
  public static long lateRecords(Map<MetricName, ? extends Metric> metrics) {
    return total(metrics, ClipJoinProcessor.LATE_RECORDS_OPERATION);
  }

  /**
   * Clips dropped at their timeout because their manifest never arrived (no result published for
   * them), summed over every task, from a Streams metrics map.
   */
  public static long clipsWithoutManifest(Map<MetricName, ? extends Metric> metrics) {
    return total(metrics, ClipJoinProcessor.NO_MANIFEST_OPERATION);
  }

  /**
   * Clips fused at {@code EMOSTREAM_FUSION_MAX_WAIT} while a worker was still behind them, summed
   * over every task.
   */
  public static long clipsAtMaxWait(Map<MetricName, ? extends Metric> metrics) {
    return total(metrics, ClipJoinProcessor.MAX_WAIT_OPERATION);
  }

  /**
   * Entries of the pending-clips store read by the punctuator, summed over every task: one per clip
   * at its deadline (and per later punctuation while it waits for a worker behind it) and one per
   * done marker at its expiry; done markers within their retention are never read.
   */
  public static long punctuatorVisits(Map<MetricName, ? extends Metric> metrics) {
    return total(metrics, ClipJoinProcessor.PUNCTUATOR_VISITS_OPERATION);
  }

  private static long total(Map<MetricName, ? extends Metric> metrics, String operation) {
    String name = operation + "-total";
    return Math.round(
        metrics.entrySet().stream()
            .filter(
                e ->
                    e.getKey().name().equals(name)
                        && e.getKey().group().contains(ClipJoinProcessor.METRICS_SCOPE))
            .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
            .sum());
  }
}
