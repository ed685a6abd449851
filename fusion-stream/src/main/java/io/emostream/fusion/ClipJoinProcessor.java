package io.emostream.fusion;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;

/**
 * Joins a clip's manifest and its per-modality predictions by clip id and emits one {@link FusedEmotion} per clip.
 * In: {@link ClipManifest} and {@link ModalityPrediction} records keyed by clip id, from the three co-partitioned
 * input topics. Out: {@link FusedEmotion} keyed by clip id, timestamped with the fusion (wall-clock) time.
 *
 * <p>State, one {@link PendingClip} per clip id in the {@value FusionTopology#PENDING_STORE} store:
 * <ul>
 *   <li>Pending: what arrived so far, with {@code firstSeenMs} (wall clock of its first record). A prediction
 *       that arrives before its manifest waits for it. A second record of the same kind replaces the first.</li>
 *   <li>Fused as soon as the manifest and a prediction for every modality it lists are in, or, by the wall-clock
 *       punctuator, once {@code firstSeenMs + timeout <= now} with whatever arrived.</li>
 *   <li>Done: after fusing, a small marker (only {@code firstSeenMs} and {@code fusedAtMs}) stays for the
 *       retention, so a late or duplicate record of the clip is dropped with a WARN and counted in the
 *       {@value #LATE_RECORDS_OPERATION}-total metric instead of producing a contradictory second result.
 *       A record later than the retention starts a new clip.</li>
 * </ul>
 * Records that cannot be used (no key, clip id in the value differing from the key, a prediction on the other
 * modality's topic, an OK prediction that cannot be aligned) throw {@link IllegalArgumentException} before any
 * state changes, so the processing exception handler dead-letters them.
 */
final class ClipJoinProcessor implements Processor<String, SpecificRecord, String, FusedEmotion> {

  static final String METRICS_SCOPE = "fusion";
  static final String LATE_RECORDS_OPERATION = "late-records";

  private static final Logger LOG = LoggerFactory.getLogger(ClipJoinProcessor.class);

  private final FusionConfig config;
  private final ClipFuser fuser;
  private final LabelAligner aligner;
  private final FusionMetrics metrics;
  /** Rule and reason pairs already warned about when left out of the all-rules topic. */
  private final java.util.Set<String> skippedRulesWarned = new java.util.HashSet<>();
  private ProcessorContext<String, FusedEmotion> context;
  private KeyValueStore<String, PendingClip> store;
  private Sensor lateRecords;

  ClipJoinProcessor(FusionConfig config, FusionMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.fuser = new ClipFuser(config.labels(), config.defaultRule(), new FusionRules(config.rules()));
    this.aligner = new LabelAligner(config.labels());
  }

  @Override
  public void init(ProcessorContext<String, FusedEmotion> context) {
    this.context = context;
    this.store = context.getStateStore(FusionTopology.PENDING_STORE);
    this.lateRecords = context.metrics().addRateTotalSensor(METRICS_SCOPE, "clip-join-" + context.taskId(),
        LATE_RECORDS_OPERATION, Sensor.RecordingLevel.INFO);
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String clipId = checkedClipId(record);
    PendingClip clip = store.get(clipId);
    if (clip != null && clip.getFusedAtMs() != null) {
      dropLate(clipId, clip, record.value());
      return;
    }
    long now = context.currentSystemTimeMs();
    PendingClip merged = merge(clipId, clip == null ? newClip(now) : clip, record.value());
    if (isReady(merged)) {
      emit(clipId, merged, now);
    } else {
      store.put(clipId, merged);
    }
  }

  private static String checkedClipId(Record<String, SpecificRecord> record) {
    if (record.key() == null || record.key().isBlank()) {
      throw new IllegalArgumentException("record has no clip id key; every fusion input must be keyed by clip id");
    }
    if (record.value() == null) {
      throw new IllegalArgumentException("record for clip " + record.key() + " has no value (tombstone); "
          + "fusion inputs are never deleted");
    }
    return record.key();
  }

  private static PendingClip newClip(long now) {
    return PendingClip.newBuilder().setFirstSeenMs(now).build();
  }

  private PendingClip merge(String clipId, PendingClip clip, SpecificRecord value) {
    PendingClip.Builder merged = PendingClip.newBuilder(clip);
    if (value instanceof ClipManifest manifest) {
      requireSameClip(clipId, manifest.getClipId());
      merged.setManifest(manifest);
    } else if (value instanceof ModalityPrediction prediction) {
      checkPrediction(clipId, prediction);
      if (prediction.getModality() == Modality.AUDIO) {
        merged.setAudio(prediction);
      } else {
        merged.setVideo(prediction);
      }
    } else {
      throw new IllegalArgumentException("unexpected record type " + value.getClass().getName() + " for clip " + clipId);
    }
    return merged.build();
  }

  private void checkPrediction(String clipId, ModalityPrediction prediction) {
    requireSameClip(clipId, prediction.getClipId());
    Modality expected = expectedModality();
    if (expected != null && expected != prediction.getModality()) {
      throw new IllegalArgumentException("a " + prediction.getModality() + " prediction for clip " + clipId
          + " arrived on the " + expected + " predictions topic");
    }
    if (ClipFuser.isUsable(prediction)) {
      aligner.align(prediction); // fails now, with this record, rather than later when the clip is fused
    }
  }

  /** The modality the current record's topic carries, or null when the topic is not a prediction topic. */
  private Modality expectedModality() {
    String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(null);
    if (config.topics().audioPredictions().name().equals(topic)) {
      return Modality.AUDIO;
    }
    return config.topics().videoPredictions().name().equals(topic) ? Modality.VIDEO : null;
  }

  private static void requireSameClip(String key, String clipIdInValue) {
    if (!Objects.equals(key, clipIdInValue)) {
      throw new IllegalArgumentException("record key '" + key + "' differs from the clip id '" + clipIdInValue
          + "' in its value");
    }
  }

  /** True when the manifest is in and a prediction (of any status) arrived for every modality it lists. */
  static boolean isReady(PendingClip clip) {
    ClipManifest manifest = clip.getManifest();
    return manifest != null && manifest.getModalities().stream().allMatch(m -> predictionOf(clip, m) != null);
  }

  private static ModalityPrediction predictionOf(PendingClip clip, Modality modality) {
    return modality == Modality.AUDIO ? clip.getAudio() : clip.getVideo();
  }

  private void emit(String clipId, PendingClip clip, long now) {
    FusedEmotion fused = fuser.fuse(clipId, clip, now);
    if (config.emitAllRules()) {
      emitAllRules(clipId, clip, now);
    }
    context.forward(new Record<>(clipId, fused, now), FusionTopology.FUSED_SINK);
    metrics.fused(fused);
    store.put(clipId, doneMarker(clip, now));
    LOG.debug("clip {} fused: {} {} ({} ms after ingest)", clipId, fused.getStatus(), fused.getLabel(),
        fused.getLatencyMs());
  }

  /**
   * One record per rule to the all-rules topic, in {@link FusionRule} order. A rule that cannot run on this clip
   * (no weight for a model, no logistic-regression model) is left out with a WARN naming why, once per rule and
   * reason per task (DEBUG after that, so a missing model does not log a line per clip); the clip's own result is
   * unaffected.
   */
  private void emitAllRules(String clipId, PendingClip clip, long now) {
    for (FusionRule rule : FusionRule.values()) {
      try {
        context.forward(new Record<>(clipId, fuser.fuse(clipId, clip, now, rule), now), FusionTopology.ALL_RULES_SINK);
      } catch (IllegalArgumentException e) {
        if (skippedRulesWarned.add(rule + ": " + e.getMessage())) {
          LOG.warn("clip {}: rule {} left out of the all-rules topic: {} (later clips with the same reason: DEBUG)",
              clipId, rule, e.getMessage());
        } else {
          LOG.debug("clip {}: rule {} left out of the all-rules topic: {}", clipId, rule, e.getMessage());
        }
      }
    }
  }

  private void dropLate(String clipId, PendingClip done, SpecificRecord value) {
    lateRecords.record();
    RecordMetadata where = context.recordMetadata().orElse(null);
    LOG.warn("dropping late {} for clip {} fused at {} (record {}-{}@{}); its result was already published",
        value.getClass().getSimpleName(), clipId, done.getFusedAtMs(), where == null ? null : where.topic(),
        where == null ? null : where.partition(), where == null ? null : where.offset());
  }

  /** Fuses timed-out clips with what arrived and forgets done markers past the retention. */
  void punctuate(long now) {
    List<KeyValue<String, PendingClip>> timedOut = new ArrayList<>();
    List<String> expired = new ArrayList<>();
    try (KeyValueIterator<String, PendingClip> all = store.all()) {
      all.forEachRemaining(entry -> {
        PendingClip clip = entry.value;
        if (clip.getFusedAtMs() != null) {
          if (clip.getFusedAtMs() + config.doneRetention().toMillis() <= now) {
            expired.add(entry.key);
          }
        } else if (clip.getFirstSeenMs() + config.timeout().toMillis() <= now) {
          timedOut.add(entry);
        }
      });
    }
    timedOut.forEach(entry -> emitTimedOut(entry.key, entry.value, now));
    expired.forEach(store::delete);
  }

  private void emitTimedOut(String clipId, PendingClip clip, long now) {
    try {
      LOG.info("clip {} timed out after {} (manifest {}, audio {}, video {}); fusing what arrived", clipId,
          config.timeout(), clip.getManifest() != null, clip.getAudio() != null, clip.getVideo() != null);
      emit(clipId, clip, now);
    } catch (IllegalArgumentException e) {
      // Only reachable when the canonical labels changed while the clip was pending; marking it done keeps the
      // punctuator from failing on it every interval.
      LOG.error("clip {} could not be fused with the current labels {}; marking it done without a result", clipId,
          config.labels(), e);
      store.put(clipId, doneMarker(clip, now));
    }
  }

  /** What is kept of a fused clip: enough to recognise and drop its late records, nothing heavy. */
  private static PendingClip doneMarker(PendingClip clip, long now) {
    return PendingClip.newBuilder().setFirstSeenMs(clip.getFirstSeenMs()).setFusedAtMs(now).build();
  }

  @Override
  public void close() {
    if (lateRecords != null) {
      context.metrics().removeSensor(lateRecords);
    }
  }
}
