package io.emostream.fusion;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
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
 * <p>Work per clip is done once: the prediction that completes a clip is aligned once, when it is
 * checked, and that alignment is used to fuse it; {@link ClipFuser#prepare} aligns the clip's other
 * prediction and gathers what every rule's record shares; each rule is then applied once, and with
 * the all-rules topic on, the clip's own rule's record is the one it publishes. (A prediction that
 * waited in the store is aligned again when its clip is fused: the store keeps records as they
 * arrived, not aligned, so that canonical labels changed meanwhile are seen.)
 *
 * <p>Traces ({@link Tracing}, when on): the trace context each of a clip's records carries in its
 * headers is kept in memory until the clip is fused; then one {@code fusion.fuse} span, a child of
 * the ingest span (the manifest's context) and linked to both workers' spans, with the fused
 * status; the fused (and all-rules) records carry its context. The contexts are not in the state
 * store: a clip pending across a restart or a rebalance is fused in a span of its own trace.
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

  /** What fusion knows of the worker of a modality the clip still misses. */
  enum WorkerState {
    /** No progress record for the partition: no worker that publishes progress ever owned it. */
    ABSENT,
    /** No heartbeat within the timeout. */
    SILENT,
    /** Alive, and not caught up with its input since the clip reached fusion. */
    BEHIND,
    /** Alive, and caught up since the clip reached fusion: its prediction is committed. */
    PASSED
  }

  private static final Logger LOG = LoggerFactory.getLogger(ClipJoinProcessor.class);

  private final FusionConfig config;
  private final ClipFuser fuser;
  private final LabelAligner aligner;
  private final FusionMetrics metrics;

  /** The rules of the all-rules topic ({@link FusionTopology#allRules}). */
  private final List<FusionRule> allRules;

  /**
   * Rules already warned about when left out of the all-rules topic (bounded: one entry per rule).
   */
  private final Set<FusionRule> skippedRulesWarned = EnumSet.noneOf(FusionRule.class);

  private ProcessorContext<String, FusedEmotion> context;
  private PendingClips clips;
  private ReadOnlyKeyValueStore<String, WorkerProgress> progress;
  private Sensor lateRecords;
  private Sensor clipsWithoutManifest;
  private Sensor clipsAtMaxWait;
  private Sensor punctuatorVisits;
  private final Tracing tracing;

  /** Per pending clip, the trace contexts its records carried (only while tracing is on). */
  private final Map<String, ClipTrace> traces = new HashMap<>();

  /** The contexts of a clip's spans upstream: ingest's (from the manifest) and each worker's. */
  private record ClipTrace(Context ingest, Context audio, Context video) {

    static final ClipTrace NONE = new ClipTrace(null, null, null);

    ClipTrace with(SpecificRecord value, Context context) {
      if (value instanceof ModalityPrediction prediction) {
        return prediction.getModality() == Modality.AUDIO
            ? new ClipTrace(ingest, context, video)
            : new ClipTrace(ingest, audio, context);
      }
      return new ClipTrace(context, audio, video);
    }

    /**
     * The fused span's parent: ingest's span, else (no manifest context) a worker's span, else a
     * new trace.
     */
    Context parent() {
      for (Context context : new Context[] {ingest, audio, video}) {
        if (context != null && Span.fromContext(context).getSpanContext().isValid()) {
          return context;
        }
      }
      return Context.root();
    }

    List<Context> workers() {
      List<Context> out = new ArrayList<>(2);
      if (audio != null) {
        out.add(audio);
      }
      if (video != null) {
        out.add(video);
      }
      return out;
    }
  }

  ClipJoinProcessor(FusionConfig config, FusionMetrics metrics) {
    this(config, metrics, Tracing.noop());
  }

  ClipJoinProcessor(FusionConfig config, FusionMetrics metrics, Tracing tracing) {
    this.tracing = tracing;
    this.config = config;
    this.metrics = metrics;
    this.fuser =
        new ClipFuser(config.labels(), config.defaultRule(), new FusionRules(config.rules()));
    this.aligner = new LabelAligner(config.labels());
    this.allRules = FusionTopology.allRules(config);
  }

  @Override
  public void init(ProcessorContext<String, FusedEmotion> context) {
    this.context = context;
    KeyValueStore<String, PendingClip> store = context.getStateStore(FusionTopology.PENDING_STORE);
    KeyValueStore<String, String> due = context.getStateStore(FusionTopology.DUE_STORE);
    this.clips = new PendingClips(store, due, config);
    this.progress = context.getStateStore(FusionTopology.PROGRESS_STORE);
    this.lateRecords =
        context
            .metrics()
            .addRateTotalSensor(
                METRICS_SCOPE,
                "clip-join-" + context.taskId(),
                LATE_RECORDS_OPERATION,
                Sensor.RecordingLevel.INFO);
    this.clipsWithoutManifest =
        context
            .metrics()
            .addRateTotalSensor(
                METRICS_SCOPE,
                "clip-join-" + context.taskId(),
                NO_MANIFEST_OPERATION,
                Sensor.RecordingLevel.INFO);
    this.clipsAtMaxWait =
        context
            .metrics()
            .addRateTotalSensor(
                METRICS_SCOPE,
                "clip-join-" + context.taskId(),
                MAX_WAIT_OPERATION,
                Sensor.RecordingLevel.INFO);
    this.punctuatorVisits =
        context
            .metrics()
            .addRateTotalSensor(
                METRICS_SCOPE,
                "clip-join-" + context.taskId(),
                PUNCTUATOR_VISITS_OPERATION,
                Sensor.RecordingLevel.INFO);
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String clipId = checkedClipId(record);
    PendingClip clip = clips.get(clipId);
    if (clip != null && clip.getFusedAtMs() != null) {
      dropLate(clipId, clip, record.value());
      return;
    }
    long now = context.currentSystemTimeMs();
    Map<Modality, double[]> aligned = new EnumMap<>(Modality.class);
    PendingClip merged = merge(clipId, clip == null ? newClip(now) : clip, record.value(), aligned);
    if (tracing.enabled()) {
      traces.put(
          clipId,
          traces
              .getOrDefault(clipId, ClipTrace.NONE)
              .with(record.value(), tracing.extract(record.headers())));
    }
    if (isReady(merged)) {
      emit(clipId, clip, merged, aligned, now);
    } else {
      clips.put(clipId, clip, merged);
    }
  }

  private static String checkedClipId(Record<String, SpecificRecord> record) {
    if (record.key() == null || record.key().isBlank()) {
      throw new IllegalArgumentException(
          "record has no clip id key; every fusion input must be keyed by clip id");
    }
    if (record.value() == null) {
      throw new IllegalArgumentException(
          "record for clip "
              + record.key()
              + " has no value (tombstone); "
              + "fusion inputs are never deleted");
    }
    return record.key();
  }

  private static PendingClip newClip(long now) {
    return PendingClip.newBuilder().setFirstSeenMs(now).build();
  }

  /**
   * The clip with the record merged in; an OK prediction's aligned distribution goes into {@code
   * aligned}, so that fusing the clip now does not align it again.
   */
  private PendingClip merge(
      String clipId, PendingClip clip, SpecificRecord value, Map<Modality, double[]> aligned) {
    PendingClip.Builder merged = PendingClip.newBuilder(clip);
    if (value instanceof ClipManifest manifest) {
      requireSameClip(clipId, manifest.getClipId());
      merged.setManifest(manifest);
    } else if (value instanceof ModalityPrediction prediction) {
      checkPrediction(clipId, prediction).ifPresent(p -> aligned.put(prediction.getModality(), p));
      if (prediction.getModality() == Modality.AUDIO) {
        merged.setAudio(prediction);
      } else {
        merged.setVideo(prediction);
      }
    } else {
      throw new IllegalArgumentException(
          "unexpected record type " + value.getClass().getName() + " for clip " + clipId);
    }
    return merged.build();
  }

  /**
   * Checks a prediction before any state changes; returns its aligned distribution when it is
   * usable.
   */
  private Optional<double[]> checkPrediction(String clipId, ModalityPrediction prediction) {
    requireSameClip(clipId, prediction.getClipId());
    Modality expected = expectedModality();
    if (expected != null && expected != prediction.getModality()) {
      throw new IllegalArgumentException(
          "a "
              + prediction.getModality()
              + " prediction for clip "
              + clipId
              + " arrived on the "
              + expected
              + " predictions topic");
    }
    // fails now, with this record, rather than later when the clip is fused
    return ClipFuser.isUsable(prediction)
        ? Optional.of(aligner.align(prediction))
        : Optional.empty();
  }

  /**
   * The modality the current record's topic carries, or null when the topic is not a prediction
   * topic.
   */
  private Modality expectedModality() {
    String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(null);
    if (config.topics().audioPredictions().name().equals(topic)) {
      return Modality.AUDIO;
    }
    return config.topics().videoPredictions().name().equals(topic) ? Modality.VIDEO : null;
  }

  private static void requireSameClip(String key, String clipIdInValue) {
    if (!Objects.equals(key, clipIdInValue)) {
      throw new IllegalArgumentException(
          "record key '" + key + "' differs from the clip id '" + clipIdInValue + "' in its value");
    }
  }

  /**
   * True when the manifest is in and a prediction (of any status) arrived for every modality it
   * lists.
   */
  static boolean isReady(PendingClip clip) {
    ClipManifest manifest = clip.getManifest();
    return manifest != null
        && manifest.getModalities().stream().allMatch(m -> predictionOf(clip, m) != null);
  }

  private static ModalityPrediction predictionOf(PendingClip clip, Modality modality) {
    return modality == Modality.AUDIO ? clip.getAudio() : clip.getVideo();
  }

  /**
   * Fuses {@code clip} (aligned once, each rule applied once) in a {@code fusion.fuse} span and
   * replaces {@code stored}, what the store held for it, by a done marker.
   */
  private void emit(
      String clipId,
      PendingClip stored,
      PendingClip clip,
      Map<Modality, double[]> aligned,
      long now) {
    ClipTrace trace = traces.getOrDefault(clipId, ClipTrace.NONE);
    ClipManifest manifest = clip.getManifest();
    Tracing.ClipSpan span =
        tracing.start(
            "fusion.fuse",
            SpanKind.CONSUMER,
            trace.parent(),
            clipId,
            manifest == null ? null : manifest.getSourceId(),
            trace.workers());
    try {
      ClipFuser.Prepared prepared = fuser.prepare(clipId, clip, now, aligned);
      FusionRule own = fuser.ruleOf(clip);
      FusedEmotion fused = fuser.fuse(prepared, own);
      span.status(fused.getStatus().name());
      if (config.emitAllRules()) {
        emitAllRules(prepared, own, fused, span);
      }
      Record<String, FusedEmotion> record = new Record<>(clipId, fused, now, traced(span));
      context.forward(record, FusionTopology.FUSED_SINK);
      if (config.emitJson()) {
        context.forward(record, FusionTopology.FUSED_JSON_PROCESSOR);
      }
      metrics.fused(fused);
      clips.put(clipId, stored, doneMarker(clip, now));
      traces.remove(clipId);
      LOG.debug(
          "clip {} fused: {} {} ({} ms after ingest)",
          clipId,
          fused.getStatus(),
          fused.getLabel(),
          fused.getLatencyMs());
    } catch (RuntimeException e) {
      span.fail(e);
      throw e;
    } finally {
      span.close();
    }
  }

  /**
   * Headers of a record published in {@code span}: its trace context (none when tracing is off).
   */
  private static Headers traced(Tracing.ClipSpan span) {
    Headers headers = new RecordHeaders();
    span.inject(headers);
    return headers;
  }

  /**
   * One record per rule of {@link FusionTopology#allRules} to the all-rules topic, in {@link
   * FusionRule} order (LOGISTIC_REGRESSION is not among them when no model is configured: that is
   * logged once at start). A rule that still cannot run on this clip (e.g. no weight for a model)
   * is left out with a WARN naming why, once per rule per task (DEBUG after that), and counted
   * ({@link FusionMetrics}); the clip's own result is unaffected. The clip's own rule is not fused
   * a second time: its record is {@code ownResult}.
   */
  private void emitAllRules(
      ClipFuser.Prepared prepared, FusionRule own, FusedEmotion ownResult, Tracing.ClipSpan span) {
    String clipId = prepared.clipId();
    for (FusionRule rule : allRules) {
      try {
        FusedEmotion result = rule == own ? ownResult : fuser.fuse(prepared, rule);
        context.forward(
            new Record<>(clipId, result, prepared.nowMs(), traced(span)),
            FusionTopology.ALL_RULES_SINK);
      } catch (IllegalArgumentException e) {
        metrics.leftOutOfAllRules(rule);
        if (skippedRulesWarned.add(rule)) {
          LOG.warn(
              "clip {}: rule {} left out of the all-rules topic: {} (later clips: DEBUG)",
              clipId,
              rule,
              e.getMessage());
        } else {
          LOG.debug(
              "clip {}: rule {} left out of the all-rules topic: {}", clipId, rule, e.getMessage());
        }
      }
    }
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
    Map<Modality, WorkerState> workers = missingWorkers(clip, now);
    if (clip.getFirstSeenMs() + config.maxWait().toMillis() <= now) {
      if (workers.containsValue(WorkerState.BEHIND)) {
        clipsAtMaxWait.record();
      }
      LOG.warn(
          "clip {} reached {} ({}) after its first record; fusing what arrived, without {}",
          clipId,
          FusionConfig.MAX_WAIT_ENV,
          config.maxWait(),
          workers);
      emitTimedOut(clipId, clip, now);
    } else if (workers.containsValue(WorkerState.BEHIND)) {
      if (clip.getWaitingSinceMs() == null) { // stays due: looked at again at every punctuation
        LOG.debug("clip {}: timeout passed, waiting for {}", clipId, workers);
        clips.put(clipId, clip, PendingClip.newBuilder(clip).setWaitingSinceMs(now).build());
      }
    } else if (workers.containsValue(WorkerState.PASSED) && clip.getDeadlineMs() == null) {
      LOG.debug(
          "clip {}: {}; its prediction is committed, giving it {} more to arrive",
          clipId,
          workers,
          config.timeout());
      clips.put(
          clipId,
          clip,
          PendingClip.newBuilder(clip).setDeadlineMs(now + config.timeout().toMillis()).build());
    } else {
      LOG.info(
          "clip {} fused without {} after {} ({} after its first record)",
          clipId,
          workers,
          clip.getWaitingSinceMs() == null ? "its timeout" : "waiting on a busy worker",
          Duration.ofMillis(now - clip.getFirstSeenMs()));
      emitTimedOut(clipId, clip, now);
    }
  }

  /**
   * The state of the worker of each modality the manifest lists and no prediction arrived for, in
   * order.
   */
  private Map<Modality, WorkerState> missingWorkers(PendingClip clip, long now) {
    Map<Modality, WorkerState> out = new EnumMap<>(Modality.class);
    for (Modality modality : clip.getManifest().getModalities()) {
      if (predictionOf(clip, modality) == null) {
        out.put(
            modality,
            workerState(progressOf(modality), clip.getFirstSeenMs(), now, config.timeout()));
      }
    }
    return out;
  }

  /**
   * The progress record of the worker that owns this task's partition of the modality's input
   * topic.
   */
  private WorkerProgress progressOf(Modality modality) {
    String inputTopic =
        modality == Modality.AUDIO
            ? config.topics().audio().name()
            : config.topics().frames().name();
    return progress.get(Topics.progressKey(inputTopic, context.taskId().partition()));
  }

  /**
   * The worker's state for a clip that reached fusion at {@code firstSeenMs}: the clip's input
   * records were committed before that, so a worker caught up with its partition after it has
   * processed them. Wall clocks of worker and fusion are compared: they must agree to well within
   * the timeout.
   */
  static WorkerState workerState(
      WorkerProgress progress, long firstSeenMs, long now, Duration timeout) {
    if (progress == null) {
      return WorkerState.ABSENT;
    }
    if (progress.getHeartbeatMs() + timeout.toMillis() <= now) {
      return WorkerState.SILENT;
    }
    Long caughtUp = progress.getCaughtUpAtMs();
    return caughtUp != null && caughtUp > firstSeenMs ? WorkerState.PASSED : WorkerState.BEHIND;
  }

  private void emitTimedOut(String clipId, PendingClip clip, long now) {
    try {
      emit(clipId, clip, clip, Map.of(), now);
    } catch (IllegalArgumentException e) {
      // Only reachable when the canonical labels changed while the clip was pending; marking it
      // done keeps the
      // punctuator from failing on it every interval.
      LOG.error(
          "clip {} could not be fused with the current labels {}; marking it done without a result",
          clipId,
          config.labels(),
          e);
      clips.put(clipId, clip, doneMarker(clip, now));
      traces.remove(clipId);
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
        heldPredictions(clip),
        FusionConfig.DONE_RETENTION_ENV,
        config.doneRetention());
    clips.put(clipId, clip, doneMarker(clip, now));
    traces.remove(clipId);
  }

  private static String heldPredictions(PendingClip clip) {
    List<String> held = new ArrayList<>(2);
    for (ModalityPrediction p : new ModalityPrediction[] {clip.getAudio(), clip.getVideo()}) {
      if (p != null) {
        held.add(p.getModality() + " prediction (" + p.getModelName() + ", " + p.getStatus() + ")");
      }
    }
    return held.isEmpty() ? "no prediction" : String.join(" and ", held);
  }

  /** What is kept of a fused clip: enough to recognise and drop its late records, nothing heavy. */
  private static PendingClip doneMarker(PendingClip clip, long now) {
    return PendingClip.newBuilder().setFirstSeenMs(clip.getFirstSeenMs()).setFusedAtMs(now).build();
  }

  @Override
  public void close() {
    traces.clear();
    if (lateRecords != null) {
      context.metrics().removeSensor(lateRecords);
    }
    if (clipsWithoutManifest != null) {
      context.metrics().removeSensor(clipsWithoutManifest);
    }
    if (clipsAtMaxWait != null) {
      context.metrics().removeSensor(clipsAtMaxWait);
    }
    if (punctuatorVisits != null) {
      context.metrics().removeSensor(punctuatorVisits);
    }
  }
}
