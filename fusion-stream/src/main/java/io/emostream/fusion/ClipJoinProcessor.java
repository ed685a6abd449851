package io.emostream.fusion;

import io.emostream.fusion.WorkerStates.WorkerState;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.WorkerProgress;
import io.emostream.tracing.Tracing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a clip's manifest and its per-modality predictions by clip id and emits one {@link
 * FusedEmotion} per clip. In: {@link ClipManifest} and {@link ModalityPrediction} records keyed by
 * clip id, from the three co-partitioned input topics. Out: {@link FusedEmotion} keyed by clip id,
 * timestamped with the fusion (wall-clock) time.
 *
 * <p>State, one {@link PendingClip} per clip id in the {@value FusionTopology#PENDING_STORE} store:
 *
 * <ul>
 *   <li>Pending: what arrived so far, with {@code firstSeenMs} (wall clock of its first record). A
 *       prediction that arrives before its manifest waits for it. A second record of the same kind
 *       replaces the first.
 *   <li>Fused as soon as the manifest and a prediction for every modality it lists are in.
 *       Otherwise the wall-clock punctuator looks at the clip at its deadline ({@code deadlineMs},
 *       or {@code firstSeenMs + timeout}) and asks, for each missing modality, about the worker
 *       that owns the clip's partition of that modality's input topic ({@link WorkerProgress} in
 *       the {@value FusionTopology#PROGRESS_STORE} global store):
 *       <ul>
 *         <li>BEHIND (heartbeat younger than the timeout, and not caught up since the clip's first
 *             record reached fusion): the clip keeps waiting ({@code waitingSinceMs} set once) and
 *             is looked at again at every punctuation;
 *         <li>PASSED (alive and caught up since then: its prediction is committed and on its way):
 *             once per clip, the deadline moves to {@code now + timeout}, so a prediction still in
 *             flight is not lost;
 *         <li>SILENT (no heartbeat for the timeout: killed, hung or stopped) or ABSENT (no progress
 *             record at all): it is not waited for.
 *       </ul>
 *       When no missing modality is BEHIND (and the PASSED deadline, if given, has passed), the
 *       clip is fused with whatever arrived, provided the manifest is in. At {@code firstSeenMs +
 *       maxWait} it is fused with what arrived whatever its workers say, and counted in the {@value
 *       #MAX_WAIT_OPERATION}-total metric.
 *   <li>Not fused when the timeout passes without the manifest: ingest commits a clip's manifest in
 *       the same transaction as its media, and predictions are made from that media, so such
 *       predictions are either later than the done retention (the clip was fused before and its
 *       marker is gone) or orphans. Publishing a result for them would be the contradictory second
 *       result; instead the clip is dropped with one WARN, counted in the {@value
 *       #NO_MANIFEST_OPERATION}-total metric, and replaced by a done marker, so its further records
 *       are dropped as late.
 *   <li>Done: after fusing, a small marker (only {@code firstSeenMs} and {@code fusedAtMs}) stays
 *       for the retention, so a late or duplicate record of the clip is dropped with a WARN and
 *       counted in the {@value #LATE_RECORDS_OPERATION}-total metric instead of producing a
 *       contradictory second result. A prediction later than the retention starts a new pending
 *       clip, which has no manifest at its timeout and is dropped as above.
 * </ul>
 *
 * Records that cannot be used (no key, clip id in the value differing from the key, a prediction on
 * the other modality's topic, an OK prediction that cannot be aligned) throw {@link
 * IllegalArgumentException} before any state changes, so the processing exception handler
 * dead-letters them.
 *
 * <p>The punctuator visits only the clips it has to act on: the store is indexed by when each entry
 * must next be looked at (a pending clip: its deadline; a done marker: the end of its retention;
 * {@link PendingClips}), and a punctuation reads the entries due now, never the done markers still
 * within their retention (counted: {@value #PUNCTUATOR_VISITS_OPERATION}-total).
 *
 * <p>Work per clip is done once: a prediction is aligned once, when it is checked, and that
 * alignment is kept in memory (per pending clip, like the trace contexts) and used to fuse it;
 * {@link ClipFuser#prepare} gathers what every rule's record shares; each rule is then applied
 * once, and with the all-rules topic on, the clip's own rule's record is the one it publishes. The
 * store keeps records as they arrived, not aligned: after a restart or a rebalance, when the
 * canonical labels may have changed, a prediction that waited in the store is aligned, once, when
 * its clip is fused.
 *
 * <p>Pieces: {@link ClipRecords} checks and merges an input record, {@link WorkerStates} tells the
 * state of a missing modality's worker, {@link ClipEmitter} fuses and forwards a clip, {@link
 * PendingClips} holds the store and its index; the transitions between the states above are all
 * here. (The file is over 300 lines for this Javadoc, which keeps the state machine in one place.)
 *
 * <p>Traces ({@link Tracing}, when on): the trace context each of a clip's records carries in its
 * headers is kept in memory until the clip is fused; then one {@code fusion.fuse} span, a child of
 * the ingest span (the manifest's context, {@link ClipTrace}) and linked to both workers' spans,
 * with the fused status; the fused (and all-rules) records carry its context. The contexts are not
 * in the state store: a clip pending across a restart or a rebalance is fused in a span of its own
 * trace.
 */
final class ClipJoinProcessor implements Processor<String, SpecificRecord, String, FusedEmotion> {

  static final String METRICS_SCOPE = "fusion";
  static final String LATE_RECORDS_OPERATION = "late-records";

  /**
   * Clips dropped at the timeout because their manifest never arrived (their predictions are not
   * fused).
   */
  static final String NO_MANIFEST_OPERATION = "clips-without-manifest";

  /**
   * Clips fused at the hard cap ({@code EMOSTREAM_FUSION_MAX_WAIT}) while a worker was still behind
   * them.
   */
  static final String MAX_WAIT_OPERATION = "clips-at-max-wait";

  /**
   * Entries of the pending store the punctuator read (a pending clip at its deadline, a marker at
   * its expiry).
   */
  static final String PUNCTUATOR_VISITS_OPERATION = "punctuator-visits";

  private static final Logger LOG = LoggerFactory.getLogger(ClipJoinProcessor.class);

  private final FusionConfig config;
  private final FusionMetrics metrics;
  private final Tracing tracing;
  private final ClipRecords records;

  private ProcessorContext<String, FusedEmotion> context;
  private PendingClips clips;
  private WorkerStates workers;
  private ClipEmitter emitter;
  private final List<Sensor> sensors = new ArrayList<>(4);
  private Sensor lateRecords;
  private Sensor clipsWithoutManifest;
  private Sensor clipsAtMaxWait;
  private Sensor punctuatorVisits;

  /** Per pending clip, the trace contexts its records carried (only while tracing is on). */
  private final Map<String, ClipTrace> traces = new HashMap<>();

  /** Per pending clip, the aligned distributions of its usable predictions that arrived here. */
  private final Map<String, Map<Modality, double[]>> aligned = new HashMap<>();

  ClipJoinProcessor(FusionConfig config, FusionMetrics metrics) {
    this(config, metrics, Tracing.noop());
  }

  ClipJoinProcessor(FusionConfig config, FusionMetrics metrics, Tracing tracing) {
    this.tracing = tracing;
    this.config = config;
    this.metrics = metrics;
    this.records = new ClipRecords(config);
  }

  @Override
  public void init(ProcessorContext<String, FusedEmotion> context) {
    this.context = context;
    KeyValueStore<String, PendingClip> store = context.getStateStore(FusionTopology.PENDING_STORE);
    KeyValueStore<String, String> due = context.getStateStore(FusionTopology.DUE_STORE);
    this.clips = new PendingClips(store, due, config);
    this.workers =
        new WorkerStates(
            config,
            context.getStateStore(FusionTopology.PROGRESS_STORE),
            context.taskId().partition());
    this.emitter = new ClipEmitter(config, metrics, tracing, context);
    this.lateRecords = sensor(LATE_RECORDS_OPERATION);
    this.clipsWithoutManifest = sensor(NO_MANIFEST_OPERATION);
    this.clipsAtMaxWait = sensor(MAX_WAIT_OPERATION);
    this.punctuatorVisits = sensor(PUNCTUATOR_VISITS_OPERATION);
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
  }

  private Sensor sensor(String operation) {
    Sensor sensor =
        context
            .metrics()
            .addRateTotalSensor(
                METRICS_SCOPE,
                "clip-join-" + context.taskId(),
                operation,
                Sensor.RecordingLevel.INFO);
    sensors.add(sensor);
    return sensor;
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String clipId = ClipRecords.checkedClipId(record);
    PendingClip clip = clips.get(clipId);
    if (clip != null && clip.getFusedAtMs() != null) {
      dropLate(clipId, clip, record.value());
      return;
    }
    long now = context.currentSystemTimeMs();
    Map<Modality, double[]> arrived = new EnumMap<>(Modality.class);
    String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(null);
    PendingClip merged =
        records.merge(
            clipId, clip == null ? ClipRecords.newClip(now) : clip, record.value(), topic, arrived);
    // kept (below) only once the clip's new state is: a record that fails to fuse changes nothing
    Map<Modality, double[]> alignedOfClip = new EnumMap<>(Modality.class);
    alignedOfClip.putAll(aligned.getOrDefault(clipId, Map.of()));
    if (record.value() instanceof ModalityPrediction prediction) {
      alignedOfClip.remove(prediction.getModality()); // a replaced prediction's alignment goes too
    }
    alignedOfClip.putAll(arrived);
    if (tracing.enabled()) {
      traces.put(
          clipId,
          traces
              .getOrDefault(clipId, ClipTrace.NONE)
              .with(record.value(), tracing.extract(record.headers())));
    }
    if (ClipRecords.isReady(merged)) {
      emit(clipId, clip, merged, alignedOfClip, now);
    } else {
      clips.put(clipId, clip, merged);
      aligned.put(clipId, alignedOfClip);
    }
  }

  /**
   * Fuses {@code clip} ({@code alignedOfClip}: its predictions aligned so far) and replaces {@code
   * stored}, what the store held for it, by a done marker.
   */
  private void emit(
      String clipId,
      PendingClip stored,
      PendingClip clip,
      Map<Modality, double[]> alignedOfClip,
      long now) {
    emitter.emit(clipId, clip, alignedOfClip, traces.getOrDefault(clipId, ClipTrace.NONE), now);
    done(clipId, stored, clip, now);
  }

  /** Replaces a clip by its done marker and forgets what was kept in memory for it. */
  private void done(String clipId, PendingClip stored, PendingClip clip, long now) {
    clips.put(clipId, stored, doneMarker(clip, now));
    traces.remove(clipId);
    aligned.remove(clipId);
  }

  private void dropLate(String clipId, PendingClip done, SpecificRecord value) {
    lateRecords.record();
    RecordMetadata where = context.recordMetadata().orElse(null);
    LOG.warn(
        "dropping late {} for clip {} done at {} (record {}-{}@{}): its result was already published, or it "
            + "was dropped at its timeout for having no manifest (see that WARN)",
        value.getClass().getSimpleName(),
        clipId,
        done.getFusedAtMs(),
        where == null ? null : where.topic(),
        where == null ? null : where.partition(),
        where == null ? null : where.offset());
  }

  /**
   * Looks at every pending clip whose deadline has come (fused with what arrived, dropped without a
   * manifest, or left waiting for a worker that is behind it) and forgets done markers past the
   * retention; reads only those entries ({@link PendingClips#dueAt}).
   */
  void punctuate(long now) {
    for (KeyValue<String, PendingClip> entry : clips.dueAt(now)) {
      punctuatorVisits.record();
      if (entry.value.getFusedAtMs() != null) {
        clips.put(entry.key, entry.value, null);
      } else {
        atDeadline(entry.key, entry.value, now);
      }
    }
  }

  private void atDeadline(String clipId, PendingClip clip, long now) {
    if (clip.getManifest() == null) {
      dropWithoutManifest(clipId, clip, now);
      return;
    }
    Map<Modality, WorkerState> missing = workers.missing(clip, now);
    if (clip.getFirstSeenMs() + config.maxWait().toMillis() <= now) {
      if (missing.containsValue(WorkerState.BEHIND)) {
        clipsAtMaxWait.record();
      }
      LOG.warn(
          "clip {} reached {} ({}) after its first record; fusing what arrived, without {}",
          clipId,
          FusionConfig.MAX_WAIT_ENV,
          config.maxWait(),
          missing);
      emitTimedOut(clipId, clip, now);
    } else if (missing.containsValue(WorkerState.BEHIND)) {
      if (clip.getWaitingSinceMs() == null) { // stays due: looked at again at every punctuation
        LOG.debug("clip {}: timeout passed, waiting for {}", clipId, missing);
        clips.put(clipId, clip, ClipRecords.copyOf(clip).setWaitingSinceMs(now).build());
      }
    } else if (missing.containsValue(WorkerState.PASSED) && clip.getDeadlineMs() == null) {
      LOG.debug(
          "clip {}: {}; its prediction is committed, giving it {} more to arrive",
          clipId,
          missing,
          config.timeout());
      clips.put(
          clipId,
          clip,
          ClipRecords.copyOf(clip).setDeadlineMs(now + config.timeout().toMillis()).build());
    } else {
      LOG.info(
          "clip {} fused without {} after {} ({} after its first record)",
          clipId,
          missing,
          clip.getWaitingSinceMs() == null ? "its timeout" : "waiting on a busy worker",
          Duration.ofMillis(now - clip.getFirstSeenMs()));
      emitTimedOut(clipId, clip, now);
    }
  }

  private void emitTimedOut(String clipId, PendingClip clip, long now) {
    try {
      emit(clipId, clip, clip, aligned.getOrDefault(clipId, Map.of()), now);
    } catch (IllegalArgumentException e) {
      // Only reachable when the canonical labels changed while the clip was pending; marking it
      // done keeps the
      // punctuator from failing on it every interval.
      LOG.error(
          "clip {} could not be fused with the current labels {}; marking it done without a result",
          clipId,
          config.labels(),
          e);
      done(clipId, clip, clip, now);
    }
  }

  /**
   * A timed-out clip without its manifest: no result, one WARN, counted, and a done marker in its
   * place.
   */
  private void dropWithoutManifest(String clipId, PendingClip clip, long now) {
    clipsWithoutManifest.record();
    LOG.warn(
        "clip {} dropped at its timeout ({} after its first record), holding {}: no manifest within the timeout: "
            + "later than {} ({}) or orphaned; no result published",
        clipId,
        config.timeout(),
        ClipRecords.heldPredictions(clip),
        FusionConfig.DONE_RETENTION_ENV,
        config.doneRetention());
    done(clipId, clip, clip, now);
  }

  /** What is kept of a fused clip: enough to recognise and drop its late records, nothing heavy. */
  private static PendingClip doneMarker(PendingClip clip, long now) {
    return PendingClip.newBuilder().setFirstSeenMs(clip.getFirstSeenMs()).setFusedAtMs(now).build();
  }

  @Override
  public void close() {
    traces.clear();
    aligned.clear();
    for (Sensor sensor : sensors) {
      context.metrics().removeSensor(sensor);
    }
    sensors.clear();
  }
}
