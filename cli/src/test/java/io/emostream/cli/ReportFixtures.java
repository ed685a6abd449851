package io.emostream.cli;

import io.emostream.cli.DatasetLabels.LabelledFile;
import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Hand-made fused results for rendering tests: a video of six segments with varied emotions and one
 * face-less segment, and the customer channel of a call with a segment that had no usable
 * prediction; and an evaluation over the eight RAVDESS labels in two corpora. Test input only,
 * never shown as a result of the models.
 */
final class ReportFixtures {

  static final List<String> LABELS =
      List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");
  static final List<String> FACE_LABELS =
      List.of("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral");

  private ReportFixtures() {}

  static List<FusedEmotion> results() {
    List<FusedEmotion> out = new ArrayList<>();
    String[] video = {"happy", "happy", "surprised", "neutral", "sad", "angry"};
    for (int i = 0; i < video.length; i++) {
      boolean noFace = i == 3;
      out.add(
          segment(
              "interview-7f3a",
              "interview <Q3>.mp4",
              null,
              i,
              video[i],
              noFace ? 0.46 : 0.52 + 0.07 * i,
              noFace ? FusionStatus.AUDIO_ONLY : FusionStatus.COMPLETE,
              noFace));
    }
    String[] call = {"neutral", "neutral", "angry", null, "calm"};
    for (int i = 0; i < call.length; i++) {
      out.add(
          segment(
              "call-0142",
              "call-0142.wav",
              "customer",
              i,
              call[i],
              0.58 + 0.05 * i,
              call[i] == null ? FusionStatus.NO_PREDICTION : FusionStatus.AUDIO_ONLY,
              true));
    }
    return out;
  }

  /**
   * 8 labels x 6 clips in two corpora: audio wrong on every fifth clip (the next label), video
   * wrong on every fourth (two labels on) and absent on the sixth; AVERAGE takes the audio label
   * where audio is right, else the video's, else none; RULE_BASED the audio label.
   */
  static Evaluation evaluation() {
    List<ClipOutcome> outcomes = new ArrayList<>();
    for (int t = 0; t < LABELS.size(); t++) {
      for (int j = 0; j < 6; j++) {
        String truth = LABELS.get(t);
        String audio = (t * 7 + j) % 5 == 0 ? LABELS.get((t + 1) % LABELS.size()) : truth;
        String video =
            j == 5 ? null : (t * 3 + j) % 4 == 0 ? LABELS.get((t + 2) % LABELS.size()) : truth;
        String average = audio.equals(truth) ? audio : video;
        String clipId = "clip-" + t + "-" + j;
        List<ModalityPrediction> predictions = new ArrayList<>();
        predictions.add(
            prediction(clipId, Modality.AUDIO, LABELS, audio, 0.7, PredictionStatus.OK));
        predictions.add(
            video == null
                ? prediction(clipId, Modality.VIDEO, LABELS, null, 0, PredictionStatus.NO_FACE)
                : prediction(clipId, Modality.VIDEO, LABELS, video, 0.7, PredictionStatus.OK));
        Map<FusionRule, FusedEmotion> byRule = new EnumMap<>(FusionRule.class);
        byRule.put(
            FusionRule.AVERAGE,
            fused(clipId, FusionRule.AVERAGE, average, predictions, video != null));
        byRule.put(
            FusionRule.RULE_BASED,
            fused(clipId, FusionRule.RULE_BASED, audio, predictions, video != null));
        LabelledFile file =
            new LabelledFile(
                Path.of(clipId + ".mp4"),
                truth,
                "Actor_0" + (1 + j % 4),
                j % 2 == 0 ? "RAVDESS" : "CREMA-D");
        outcomes.add(new ClipOutcome(file, clipId, byRule.get(FusionRule.AVERAGE), byRule));
      }
    }
    return new Evaluation(LABELS, outcomes, List.of(FusionRule.AVERAGE, FusionRule.RULE_BASED));
  }

  private static FusedEmotion fused(
      String clipId,
      FusionRule rule,
      String label,
      List<ModalityPrediction> predictions,
      boolean both) {
    List<Float> distribution = new ArrayList<>();
    LABELS.forEach(l -> distribution.add(l.equals(label) ? 1f : 0f));
    return FusedEmotion.newBuilder()
        .setClipId(clipId)
        .setRule(rule)
        .setLabel(label)
        .setConfidence(label == null ? 0f : 1f)
        .setLabels(LABELS)
        .setDistribution(distribution)
        .setModalities(both ? List.of(Modality.AUDIO, Modality.VIDEO) : List.of(Modality.AUDIO))
        .setStatus(
            label == null
                ? FusionStatus.NO_PREDICTION
                : both ? FusionStatus.COMPLETE : FusionStatus.AUDIO_ONLY)
        .setPredictions(predictions)
        .setFusedAtMs(Instant.EPOCH)
        .build();
  }

  private static FusedEmotion segment(
      String sourceId,
      String name,
      String role,
      int index,
      String label,
      double confidence,
      FusionStatus status,
      boolean noFace) {
    String clipId =
        sourceId + (role == null ? "" : "-" + role) + "-" + String.format("%05d", index);
    List<ModalityPrediction> predictions = new ArrayList<>();
    List<Float> fused = new ArrayList<>();
    if (label == null) {
      LABELS.forEach(l -> fused.add(0f));
      predictions.add(prediction(clipId, Modality.AUDIO, LABELS, null, 0, PredictionStatus.ERROR));
    } else {
      float rest = (float) ((1 - confidence) / (LABELS.size() - 1));
      LABELS.forEach(l -> fused.add(l.equals(label) ? (float) confidence : rest));
      predictions.add(
          prediction(
              clipId, Modality.AUDIO, LABELS, label, confidence - 0.05, PredictionStatus.OK));
    }
    if (role == null) {
      String face =
          switch (label == null ? "neutral" : label) {
            case "surprised" -> "surprise";
            case "fearful" -> "fear";
            case "calm" -> "neutral";
            default -> label;
          };
      predictions.add(
          prediction(
              clipId,
              Modality.VIDEO,
              FACE_LABELS,
              face,
              confidence + 0.05,
              noFace ? PredictionStatus.NO_FACE : PredictionStatus.OK));
    }
    long start = index * 4_000L;
    return FusedEmotion.newBuilder()
        .setClipId(clipId)
        .setSourceId(sourceId)
        .setSourceName(name)
        .setSegmentIndex(index)
        .setStartMs(start)
        .setEndMs(start + 4_000)
        .setRule(FusionRule.AVERAGE)
        .setLabel(label)
        .setConfidence(label == null ? 0f : (float) confidence)
        .setLabels(LABELS)
        .setDistribution(fused)
        .setModalities(
            status == FusionStatus.COMPLETE
                ? List.of(Modality.AUDIO, Modality.VIDEO)
                : status == FusionStatus.NO_PREDICTION ? List.of() : List.of(Modality.AUDIO))
        .setStatus(status)
        .setPredictions(predictions)
        .setIngestTimeMs(Instant.EPOCH)
        .setFusedAtMs(Instant.ofEpochMilli(900))
        .setLatencyMs(900)
        .setSpeakerRole(role)
        .build();
  }

  private static ModalityPrediction prediction(
      String clipId,
      Modality modality,
      List<String> labels,
      String top,
      double p,
      PredictionStatus status) {
    List<Float> probabilities = new ArrayList<>();
    if (status == PredictionStatus.OK) {
      float rest = (float) ((1 - p) / (labels.size() - 1));
      labels.forEach(l -> probabilities.add(l.equals(top) ? (float) p : rest));
    }
    return ModalityPrediction.newBuilder()
        .setClipId(clipId)
        .setModality(modality)
        .setModelName(modality == Modality.AUDIO ? "speech" : "face")
        .setModelVersion("1")
        .setLabels(status == PredictionStatus.OK ? labels : List.of())
        .setProbabilities(probabilities)
        .setStatus(status)
        .setTimings(new Timings(0.0, 0.0, 0.0, 0.0))
        .setProducedAtMs(Instant.EPOCH)
        .build();
  }
}
