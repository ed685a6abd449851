package io.emostream.fusion;

import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceState;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.SummarySegment;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one {@link SourceSummary} per source. In, keyed by source id from two co-partitioned
 * topics: its {@link SourceEvent}s (sources) and its fused segments ({@link SummarySegment}s,
 * fused.by-source). Out: the summary, keyed by source id, timestamped with the (wall-clock) time it
 * was written.
 *
 * <p>State per source ({@link SourceStates}):
 *
 * <ul>
 *   <li>Open: STARTED, ENDED and fused segments arrive in any order. The first STARTED and the
 *       first ENDED count (a repeated one is dropped with a DEBUG line), and each clip id once (a
 *       repeated fused record is dropped the same way).
 *   <li>Summarised as soon as ENDED is in and its {@code clipCount} distinct clips are fused
 *       ({@code complete=true}), whichever of ENDED and the last fused segment comes last. Else the
 *       wall-clock punctuator writes it {@link SummarySettings#maxWait} after ENDED was read, with
 *       what was fused ({@code complete=false}, one WARN, counted in {@value
 *       #INCOMPLETE_OPERATION}-total). Its segments are then deleted and a marker stays for {@link
 *       SummarySettings#retention}: a late or repeated record of the source is dropped (counted in
 *       {@value #LATE_OPERATION}-total), never a second summary.
 *   <li>Forgotten when no ENDED came and nothing of the source arrived for {@link
 *       SummarySettings#retention} (ingest died before ENDED, or an ingest that does not write
 *       source events): no summary, one WARN, counted in {@value #FORGOTTEN_OPERATION}-total. An
 *       ENDED that arrives after that starts afresh and is summarised at the max wait with the
 *       segments fused since.
 * </ul>
 *
 * State, output and input offsets commit in one transaction (exactly-once), so a restart neither
 * repeats nor loses a summary. Records that cannot be used (no key, a source id in the value that
 * differs from the key, a negative clip count) throw {@link IllegalArgumentException} before any
 * state changes, so the processing exception handler dead-letters them.
 *
 * <p>Just over 300 lines: one state machine (STARTED, ENDED and fused records in any order, the
 * summary, the max wait, the retention), kept in one place; its stores are {@link SourceStates}.
 */
final class SourceSummaryProcessor
    implements Processor<String, SpecificRecord, String, SourceSummary> {

  static final String INCOMPLETE_OPERATION = "source-summaries-incomplete";
  static final String LATE_OPERATION = "source-records-late";
  static final String FORGOTTEN_OPERATION = "sources-forgotten";

  private static final Logger LOG = LoggerFactory.getLogger(SourceSummaryProcessor.class);

  private final FusionConfig config;
  private final SummarySettings settings;
  private final SourceSummariser summariser;
  private ProcessorContext<String, SourceSummary> context;
  private SourceStates sources;
  private Sensor incomplete;
  private Sensor late;
  private Sensor forgotten;

  SourceSummaryProcessor(FusionConfig config) {
    this.config = config;
    this.settings = config.summary();
    this.summariser = new SourceSummariser(config.labels());
  }

  @Override
  public void init(ProcessorContext<String, SourceSummary> context) {
    this.context = context;
    this.sources =
        new SourceStates(
            context.getStateStore(SourceSummaryTopology.STATE_STORE),
            context.getStateStore(SourceSummaryTopology.SEGMENTS_STORE),
            context.getStateStore(SourceSummaryTopology.DUE_STORE));
    this.incomplete = sensor(INCOMPLETE_OPERATION);
    this.late = sensor(LATE_OPERATION);
    this.forgotten = sensor(FORGOTTEN_OPERATION);
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
  }

  private Sensor sensor(String operation) {
    return context
        .metrics()
        .addRateTotalSensor(
            ClipJoinProcessor.METRICS_SCOPE,
            "source-summary-" + context.taskId(),
            operation,
            Sensor.RecordingLevel.INFO);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String sourceId = checkedSourceId(record);
    SourceState old = sources.get(sourceId);
    if (old != null && old.getSummarisedAtMs() != null) {
      late.record();
      LOG.warn(
          "dropping late {} for source {}: its summary was written at {}",
          describe(record.value()),
          sourceId,
          old.getSummarisedAtMs());
      return;
    }
    long now = context.currentSystemTimeMs();
    SourceState.Builder state =
        old == null
            ? SourceState.newBuilder().setLastSeenMs(now).setDueMs(now)
            : SourceState.newBuilder(old);
    boolean changed =
        record.value() instanceof SourceEvent event
            ? apply(sourceId, state, event, now)
            : sources.addSegment(sourceId, (SummarySegment) record.value());
    if (!changed) {
      LOG.debug("source {}: dropping repeated {}", sourceId, describe(record.value()));
      return;
    }
    if (record.value() instanceof SummarySegment segment) {
      state.setFusedClipCount(state.getFusedClipCount() + 1);
      if (state.getSourceName() == null) {
        state.setSourceName(segment.getSourceName());
      }
    }
    state.setLastSeenMs(now);
    SourceState updated = withDue(state.build());
    if (updated.getEndedAtMs() != null && updated.getFusedClipCount() >= updated.getClipCount()) {
      summarise(sourceId, old, updated, true, now);
    } else {
      sources.put(sourceId, old, updated);
    }
  }

  /**
   * Checks the key and the value before any state changes: a source id, and a value of a type this
   * processor reads whose source id (where it has one) is the key.
   */
  private static String checkedSourceId(Record<String, SpecificRecord> record) {
    String key = record.key();
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException(
          "record has no source id key; sources and fused.by-source are keyed by source id");
    }
    if (record.value() instanceof SourceEvent event) {
      if (!key.equals(event.getSourceId())) {
        throw new IllegalArgumentException(
            "record key '"
                + key
                + "' differs from the source id '"
                + event.getSourceId()
                + "' in its value");
      }
      if (event.getClipCount() < 0) {
        throw new IllegalArgumentException(
            "source " + key + ": clipCount must be >= 0, got " + event.getClipCount());
      }
    } else if (!(record.value() instanceof SummarySegment)) {
      throw new IllegalArgumentException(
          "source "
              + key
              + ": expected a SourceEvent or a SummarySegment, got "
              + (record.value() == null ? "no value (tombstone)" : record.value().getClass()));
    }
    return key;
  }

  /** Applies the first STARTED or the first ENDED; false for a repeated one. */
  private static boolean apply(
      String sourceId, SourceState.Builder state, SourceEvent event, long now) {
    if (event.getType() == SourceEventType.STARTED) {
      if (state.getStartedAtMs() != null) {
        return false;
      }
      state.setStartedAtMs(event.getAtMs().toEpochMilli());
    } else {
      if (state.getEndedAtMs() != null) {
        return false;
      }
      state
          .setEndedAtMs(event.getAtMs().toEpochMilli())
          .setEndReason(event.getEndReason())
          .setMediaTimeMs(event.getMediaTimeMs())
          .setClipCount(event.getClipCount())
          .setEndedSeenMs(now);
      LOG.debug(
          "source {} ended ({}): {} clips, {} fused so far",
          sourceId,
          event.getEndReason(),
          event.getClipCount(),
          state.getFusedClipCount());
    }
    if (state.getSourceName() == null) {
      state.setSourceName(event.getSourceName());
    }
    if (state.getKind() == null) {
      state.setKind(event.getKind());
    }
    if (state.getRule() == null) {
      state.setRule(event.getRule());
    }
    return true;
  }

  /**
   * The state with its due time: a summarised marker's expiry, an ended source's max wait, an open
   * one's retention since its latest record.
   */
  private SourceState withDue(SourceState state) {
    long due;
    if (state.getSummarisedAtMs() != null) {
      due = state.getSummarisedAtMs() + settings.retention().toMillis();
    } else if (state.getEndedSeenMs() != null) {
      due = state.getEndedSeenMs() + settings.maxWait().toMillis();
    } else {
      due = state.getLastSeenMs() + settings.retention().toMillis();
    }
    return SourceState.newBuilder(state).setDueMs(due).build();
  }

  /**
   * Writes the summary, deletes the source's segments and replaces {@code old}, what the store held
   * for it, by a marker.
   */
  private void summarise(
      String sourceId, SourceState old, SourceState state, boolean complete, long now) {
    List<SummarySegment> segments = sources.segments(sourceId);
    SourceSummary summary = summariser.summarise(sourceId, state, segments, complete, now);
    context.forward(new Record<>(sourceId, summary, now));
    sources.deleteSegments(sourceId);
    SourceState marker =
        withDue(
            SourceState.newBuilder()
                .setLastSeenMs(state.getLastSeenMs())
                .setSummarisedAtMs(now)
                .setDueMs(now)
                .build());
    sources.put(sourceId, old, marker);
    LOG.debug(
        "source {} summarised: {} of {} clips, complete={}",
        sourceId,
        segments.size(),
        state.getClipCount(),
        complete);
  }

  /**
   * Writes the summaries of ended sources at their max wait, forgets open sources idle for the
   * retention and markers past it; reads only the sources due now.
   */
  void punctuate(long now) {
    for (KeyValue<String, SourceState> entry : sources.dueAt(now)) {
      String sourceId = entry.key;
      SourceState state = entry.value;
      if (state.getSummarisedAtMs() != null) {
        sources.put(sourceId, state, null);
      } else if (state.getEndedAtMs() != null) {
        incomplete.record();
        LOG.warn(
            "source {}: {} ({}) passed after ENDED with {} of {} clips fused; writing its summary "
                + "with those (complete=false)",
            sourceId,
            SummarySettings.MAX_WAIT_ENV,
            settings.maxWait(),
            state.getFusedClipCount(),
            state.getClipCount());
        summarise(sourceId, state, state, false, now);
      } else {
        forgotten.record();
        int dropped = sources.deleteSegments(sourceId);
        sources.put(sourceId, state, null);
        LOG.warn(
            "source {} forgotten: no ENDED event and no record for {} ({}); {} fused segments "
                + "dropped, no summary written",
            sourceId,
            SummarySettings.RETENTION_ENV,
            Duration.ofMillis(now - state.getLastSeenMs()),
            dropped);
      }
    }
  }

  private static String describe(SpecificRecord value) {
    if (value instanceof SourceEvent event) {
      return event.getType() + " event";
    }
    return "fused segment " + ((SummarySegment) value).getClipId();
  }

  @Override
  public void close() {
    for (Sensor sensor : new Sensor[] {incomplete, late, forgotten}) {
      if (sensor != null) {
        context.metrics().removeSensor(sensor);
      }
    }
  }
}
