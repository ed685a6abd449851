package io.emostream.fusion;

import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.SourceState;
import io.emostream.schemas.SummarySegment;
import io.emostream.topics.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The per-source summary's part of the fusion topology.
 *
 * <pre>
 *   fused ─► fused-by-source (re-key by source id) ─► fused.by-source ──┐
 *   sources (STARTED / ENDED) ─────────────────────────────────────────┴► source-summary ─► sources.summary
 *                         (stores: source-states, source-segments, sources-by-due-time;
 *                          wall-clock punctuator: max wait after ENDED, retention)
 * </pre>
 *
 * It reads the fused topic, not the join's output inside the task: only committed fused records
 * count, and the join stays as it is. The re-keyed topic and sources are co-partitioned (same
 * partition count, String key, default partitioner; {@code TopicAdmin.ensureTopics} checks the
 * count), so a source's events and segments reach the same task and store partition.
 */
public final class SourceSummaryTopology {

  public static final String FUSED_SOURCE = "summary-fused-source";
  public static final String REKEY_PROCESSOR = "fused-by-source";
  public static final String BY_SOURCE_SINK = "fused-by-source-sink";
  public static final String BY_SOURCE_SOURCE = "fused-by-source-source";
  public static final String SOURCES_SOURCE = "sources-source";
  public static final String SUMMARY_PROCESSOR = "source-summary";
  public static final String SUMMARY_SINK = "source-summary-sink";

  /** Persistent, changelogged: source id → {@code SourceState}. */
  public static final String STATE_STORE = "source-states";

  /** Persistent, changelogged: one {@code SummarySegment} per fused clip of an open source. */
  public static final String SEGMENTS_STORE = "source-segments";

  /** Persistent, changelogged index of {@link #STATE_STORE} by due time. */
  public static final String DUE_STORE = "sources-by-due-time";

  private SourceSummaryTopology() {}

  /** Adds the summary's nodes, stores and sinks to {@code topology}. */
  public static void addTo(Topology topology, FusionConfig config) {
    Topics topics = config.topics();
    topology.addSource(
        FUSED_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.fused().valueSerde().deserializer(),
        topics.fused().name());
    topology.addProcessor(REKEY_PROCESSOR, FusedBySourceProcessor::new, FUSED_SOURCE);
    topology.addSink(
        BY_SOURCE_SINK,
        topics.fusedBySource().name(),
        Topics.KEY_SERDE.serializer(),
        topics.fusedBySource().valueSerde().serializer(),
        REKEY_PROCESSOR);
    topology.addSource(
        SOURCES_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.sources().valueSerde().deserializer(),
        topics.sources().name());
    topology.addSource(
        BY_SOURCE_SOURCE,
        Topics.KEY_SERDE.deserializer(),
        topics.fusedBySource().valueSerde().deserializer(),
        topics.fusedBySource().name());
    topology.addProcessor(
        SUMMARY_PROCESSOR,
        () -> new SourceSummaryProcessor(config),
        SOURCES_SOURCE,
        BY_SOURCE_SOURCE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STATE_STORE),
            Serdes.String(),
            new AvroSerde<>(SourceState.class)),
        SUMMARY_PROCESSOR);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SEGMENTS_STORE),
            Serdes.String(),
            new AvroSerde<>(SummarySegment.class)),
        SUMMARY_PROCESSOR);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(DUE_STORE), Serdes.String(), Serdes.String()),
        SUMMARY_PROCESSOR);
    topology.addSink(
        SUMMARY_SINK,
        topics.sourceSummaries().name(),
        Topics.KEY_SERDE.serializer(),
        topics.sourceSummaries().valueSerde().serializer(),
        SUMMARY_PROCESSOR);
  }
}
