package io.emostream.fusion;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.PredictionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Turns what arrived for one clip into its {@link FusedEmotion}. Pure: the same pending clip and
 * time give the same result. In: the clip id, a {@link PendingClip} (manifest, audio and video
 * prediction, each possibly null) and the fusion time. Out: the fused record.
 *
 * <ul>
 *   <li>A prediction is usable when its status is OK. Status is COMPLETE when the audio and the
 *       video prediction are usable, AUDIO_ONLY / VIDEO_ONLY when only one is (the other absent,
 *       NO_FACE, NO_AUDIO, NO_SPEECH, ERROR or timed out), NO_PREDICTION when none is.
 *   <li>NO_PREDICTION carries label null, confidence 0 and an all-zero distribution over the
 *       canonical labels: {@code labels} and {@code distribution} stay parallel arrays, and a zero
 *       sum says "no evidence" without inventing a distribution (a uniform one would claim a belief
 *       nobody expressed).
 *   <li>{@code predictions} holds every prediction that arrived, usable or not; {@code modalities}
 *       those that contributed.
 *   <li>The rule is the manifest's, else the configured default. With two usable predictions the
 *       rule fuses them; with one, every rule gives that modality's aligned distribution ({@link
 *       FusionRules#single}).
 *   <li>Without a manifest, source fields keep the schema defaults (null, -1, epoch) and {@code
 *       latencyMs} is -1. (fusion-stream never fuses a clip without its manifest: {@link
 *       ClipJoinProcessor} drops it at the timeout; this function itself accepts one.)
 * </ul>
 *
 * <p>Work is done once per clip: {@link #prepare} aligns the usable predictions and gathers what
 * every rule's record shares (status, modalities, source fields); {@link #fuse(Prepared,
 * FusionRule)} then only applies a rule. The all-rules topic fuses one prepared clip once per rule.
 */
public final class ClipFuser {

  private final List<String> labels;
  private final LabelAligner aligner;
  private final FusionRule defaultRule;
  private final FusionRules rules;

  /** With the default rule settings ({@link FusionRules.Settings#defaults()}). */
  public ClipFuser(List<String> labels, FusionRule defaultRule) {
    this(labels, defaultRule, new FusionRules(FusionRules.Settings.defaults()));
  }

  public ClipFuser(List<String> labels, FusionRule defaultRule, FusionRules rules) {
    this.aligner = new LabelAligner(labels);
    this.labels = aligner.canonicalLabels();
    this.defaultRule = defaultRule;
    this.rules = rules;
  }

  /** The rule a clip is fused with: its manifest's, else the default. */
  public FusionRule ruleOf(PendingClip clip) {
    ClipManifest manifest = clip.getManifest();
    return manifest == null || manifest.getFusionRule() == null
        ? defaultRule
        : manifest.getFusionRule();
  }

  /**
   * Fuses with the clip's rule ({@link #ruleOf}).
   *
   * @throws IllegalArgumentException when a usable prediction cannot be aligned (see {@link
   *     LabelAligner}) or the rule cannot run (e.g. LOGISTIC_REGRESSION without a model)
   */
  public FusedEmotion fuse(String clipId, PendingClip clip, long nowMs) {
    return fuse(clipId, clip, nowMs, ruleOf(clip));
  }

  /** Fuses with the given rule, whatever the manifest asks for (the all-rules topic). */
  public FusedEmotion fuse(String clipId, PendingClip clip, long nowMs, FusionRule rule) {
    return fuse(prepare(clipId, clip, nowMs, Map.of()), rule);
  }

  /**
   * What every rule's result of one clip shares, computed once: the usable predictions aligned to
   * the canonical labels, the status, and the fields copied from the manifest.
   */
  public record Prepared(
      String clipId,
      PendingClip clip,
      long nowMs,
      List<ModalityPrediction> arrived,
      List<Modality> modalities,
      FusionStatus status,
      List<AlignedPrediction> aligned) {}

  /**
   * Aligns the clip's usable predictions once, for any number of {@link #fuse(Prepared,
   * FusionRule)} calls.
   *
   * @param alignedAlready distributions the caller has already aligned, by modality, for the clip's
   *     prediction of that modality (the record that has just arrived and completes the clip); the
   *     others are aligned here
   * @throws IllegalArgumentException when a usable prediction cannot be aligned (see {@link
   *     LabelAligner})
   */
  public Prepared prepare(
      String clipId, PendingClip clip, long nowMs, Map<Modality, double[]> alignedAlready) {
    List<ModalityPrediction> usable = usable(clip);
    List<AlignedPrediction> aligned = new ArrayList<>(usable.size());
    for (ModalityPrediction p : usable) {
      double[] probabilities = alignedAlready.get(p.getModality());
      aligned.add(
          new AlignedPrediction(
              p.getModality(),
              p.getModelName(),
              probabilities != null ? probabilities : aligner.align(p)));
    }
    return new Prepared(
        clipId,
        clip,
        nowMs,
        arrived(clip),
        usable.stream().map(ModalityPrediction::getModality).toList(),
        status(usable),
        List.copyOf(aligned));
  }

  /**
   * Fuses a prepared clip with one rule.
   *
   * @throws IllegalArgumentException when the rule cannot run (e.g. LOGISTIC_REGRESSION without a
   *     model)
   */
  public FusedEmotion fuse(Prepared prepared, FusionRule rule) {
    FusedEmotion.Builder out =
        FusedEmotion.newBuilder()
            .setClipId(prepared.clipId())
            .setRule(rule)
            .setLabels(labels)
            .setPredictions(prepared.arrived())
            .setModalities(prepared.modalities())
            .setStatus(prepared.status())
            .setFusedAtMs(Instant.ofEpochMilli(prepared.nowMs()));
    copySource(prepared.clip().getManifest(), prepared.nowMs(), out);
    setResult(rule, prepared.aligned(), out);
    return out.build();
  }

  /** Whether a prediction counts towards the fused result. */
  public static boolean isUsable(ModalityPrediction prediction) {
    return prediction != null && prediction.getStatus() == PredictionStatus.OK;
  }

  private static List<ModalityPrediction> arrived(PendingClip clip) {
    List<ModalityPrediction> arrived = new ArrayList<>(2);
    if (clip.getAudio() != null) {
      arrived.add(clip.getAudio());
    }
    if (clip.getVideo() != null) {
      arrived.add(clip.getVideo());
    }
    return arrived;
  }

  private static List<ModalityPrediction> usable(PendingClip clip) {
    return arrived(clip).stream().filter(ClipFuser::isUsable).toList();
  }

  static FusionStatus status(List<ModalityPrediction> usable) {
    boolean audio = usable.stream().anyMatch(p -> p.getModality() == Modality.AUDIO);
    boolean video = usable.stream().anyMatch(p -> p.getModality() == Modality.VIDEO);
    if (audio && video) {
      return FusionStatus.COMPLETE;
    } else if (audio) {
      return FusionStatus.AUDIO_ONLY;
    } else if (video) {
      return FusionStatus.VIDEO_ONLY;
    }
    return FusionStatus.NO_PREDICTION;
  }

  private static void copySource(ClipManifest manifest, long nowMs, FusedEmotion.Builder out) {
    if (manifest == null) {
      out.setIngestTimeMs(Instant.EPOCH).setLatencyMs(-1);
      return;
    }
    out.setSourceId(manifest.getSourceId())
        .setSourceName(manifest.getSourceName())
        .setSpeakerRole(manifest.getSpeakerRole())
        .setSegmentIndex(manifest.getSegmentIndex())
        .setStartMs(manifest.getStartMs())
        .setEndMs(manifest.getEndMs())
        .setIngestTimeMs(manifest.getIngestTimeMs())
        .setLatencyMs(nowMs - manifest.getIngestTimeMs().toEpochMilli());
  }

  private void setResult(
      FusionRule rule, List<AlignedPrediction> aligned, FusedEmotion.Builder out) {
    if (aligned.isEmpty()) {
      out.setLabel(null).setConfidence(0f).setDistribution(Collections.nCopies(labels.size(), 0f));
      return;
    }
    FusedDistribution fused =
        aligned.size() == 1
            ? FusionRules.single(labels, aligned.get(0))
            : rules
                .forRule(rule)
                .fuse(labels, modality(aligned, Modality.AUDIO), modality(aligned, Modality.VIDEO));
    out.setLabel(fused.label())
        .setConfidence((float) fused.confidence())
        .setDistribution(fused.asFloats());
  }

  private static AlignedPrediction modality(List<AlignedPrediction> aligned, Modality modality) {
    return aligned.stream().filter(p -> p.modality() == modality).findFirst().orElseThrow();
  }
}
