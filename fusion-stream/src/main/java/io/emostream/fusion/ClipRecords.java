package io.emostream.fusion;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Record;

/**
 * How {@link ClipJoinProcessor} takes in one input record: it checks the record, before any state
 * changes, so that an unusable one is dead-lettered ({@link IllegalArgumentException}), and merges
 * it into the clip's pending state. Pure apart from the label aligner's checks.
 */
final class ClipRecords {

  private final LabelAligner aligner;
  private final String audioPredictionsTopic;
  private final String videoPredictionsTopic;

  ClipRecords(FusionConfig config) {
    this.aligner = new LabelAligner(config.labels());
    this.audioPredictionsTopic = config.topics().audioPredictions().name();
    this.videoPredictionsTopic = config.topics().videoPredictions().name();
  }

  /** The record's clip id, its key; a record without a key or a value is refused. */
  static String checkedClipId(Record<String, SpecificRecord> record) {
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

  static PendingClip newClip(long now) {
    return PendingClip.newBuilder().setFirstSeenMs(now).build();
  }

  /**
   * A builder holding {@code clip}'s values, the records in it shared, not copied ({@code
   * PendingClip.newBuilder(clip)} deep-copies the manifest and both predictions; nothing here
   * changes a record once built). {@code ClipRecordsTest} checks that every field of the schema is
   * carried.
   */
  static PendingClip.Builder copyOf(PendingClip clip) {
    return PendingClip.newBuilder()
        .setManifest(clip.getManifest())
        .setAudio(clip.getAudio())
        .setVideo(clip.getVideo())
        .setFirstSeenMs(clip.getFirstSeenMs())
        .setFusedAtMs(clip.getFusedAtMs())
        .setWaitingSinceMs(clip.getWaitingSinceMs())
        .setDeadlineMs(clip.getDeadlineMs());
  }

  /**
   * The clip with the record merged in; an OK prediction's aligned distribution goes into {@code
   * aligned}, so that fusing the clip does not align it again.
   *
   * @param topic the topic the record came from (null when not known)
   */
  PendingClip merge(
      String clipId,
      PendingClip clip,
      SpecificRecord value,
      String topic,
      Map<Modality, double[]> aligned) {
    PendingClip.Builder merged = copyOf(clip);
    if (value instanceof ClipManifest manifest) {
      requireSameClip(clipId, manifest.getClipId());
      merged.setManifest(manifest);
    } else if (value instanceof ModalityPrediction prediction) {
      double[] distribution = checkPrediction(clipId, prediction, topic);
      if (distribution != null) {
        aligned.put(prediction.getModality(), distribution);
      }
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
   * usable, else null.
   */
  private double[] checkPrediction(String clipId, ModalityPrediction prediction, String topic) {
    requireSameClip(clipId, prediction.getClipId());
    Modality expected = expectedModality(topic);
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
    return ClipFuser.isUsable(prediction) ? aligner.align(prediction) : null;
  }

  /** The modality a topic carries, or null when it is not a prediction topic. */
  private Modality expectedModality(String topic) {
    if (audioPredictionsTopic.equals(topic)) {
      return Modality.AUDIO;
    }
    return videoPredictionsTopic.equals(topic) ? Modality.VIDEO : null;
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

  static ModalityPrediction predictionOf(PendingClip clip, Modality modality) {
    return modality == Modality.AUDIO ? clip.getAudio() : clip.getVideo();
  }

  /** The predictions a clip holds, for a log line. */
  static String heldPredictions(PendingClip clip) {
    List<String> held = new ArrayList<>(2);
    for (ModalityPrediction p : new ModalityPrediction[] {clip.getAudio(), clip.getVideo()}) {
      if (p != null) {
        held.add(p.getModality() + " prediction (" + p.getModelName() + ", " + p.getStatus() + ")");
      }
    }
    return held.isEmpty() ? "no prediction" : String.join(" and ", held);
  }
}
