package io.emostream.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;

/**
 * Hand-made fused results for rendering tests: a video of six segments with varied emotions and one
 * face-less segment, and the customer channel of a call with a segment that had no usable prediction.
 * Test input only, never shown as a result of the models.
 */
final class ReportFixtures {

  static final List<String> LABELS = List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");
  static final List<String> FACE_LABELS = List.of("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral");

  private ReportFixtures() {
  }

  static List<FusedEmotion> results() {
    List<FusedEmotion> out = new ArrayList<>();
    String[] video = {"happy", "happy", "surprised", "neutral", "sad", "angry"};
    for (int i = 0; i < video.length; i++) {
      boolean noFace = i == 3;
      out.add(segment("interview-7f3a", "interview <Q3>.mp4", null, i, video[i], noFace ? 0.46 : 0.52 + 0.07 * i,
          noFace ? FusionStatus.AUDIO_ONLY : FusionStatus.COMPLETE, noFace));
    }
    String[] call = {"neutral", "neutral", "angry", null, "calm"};
    for (int i = 0; i < call.length; i++) {
      out.add(segment("call-0142", "call-0142.wav", "customer", i, call[i], 0.58 + 0.05 * i,
          call[i] == null ? FusionStatus.NO_PREDICTION : FusionStatus.AUDIO_ONLY, true));
    }
    return out;
  }

  private static FusedEmotion segment(String sourceId, String name, String role, int index, String label, double confidence,
      FusionStatus status, boolean noFace) {
    String clipId = sourceId + (role == null ? "" : "-" + role) + "-" + String.format("%05d", index);
    List<ModalityPrediction> predictions = new ArrayList<>();
    List<Float> fused = new ArrayList<>();
    if (label == null) {
      LABELS.forEach(l -> fused.add(0f));
      predictions.add(prediction(clipId, Modality.AUDIO, LABELS, null, 0, PredictionStatus.ERROR));
    } else {
      float rest = (float) ((1 - confidence) / (LABELS.size() - 1));
      LABELS.forEach(l -> fused.add(l.equals(label) ? (float) confidence : rest));
      predictions.add(prediction(clipId, Modality.AUDIO, LABELS, label, confidence - 0.05, PredictionStatus.OK));
    }
    if (role == null) {
      String face = switch (label == null ? "neutral" : label) {
        case "surprised" -> "surprise";
        case "fearful" -> "fear";
        case "calm" -> "neutral";
        default -> label;
      };
      predictions.add(prediction(clipId, Modality.VIDEO, FACE_LABELS, face, confidence + 0.05,
          noFace ? PredictionStatus.NO_FACE : PredictionStatus.OK));
    }
    long start = index * 4_000L;
    return FusedEmotion.newBuilder().setClipId(clipId).setSourceId(sourceId).setSourceName(name).setSegmentIndex(index)
        .setStartMs(start).setEndMs(start + 4_000).setRule(FusionRule.AVERAGE).setLabel(label)
        .setConfidence(label == null ? 0f : (float) confidence).setLabels(LABELS).setDistribution(fused)
        .setModalities(status == FusionStatus.COMPLETE ? List.of(Modality.AUDIO, Modality.VIDEO)
            : status == FusionStatus.NO_PREDICTION ? List.of() : List.of(Modality.AUDIO))
        .setStatus(status).setPredictions(predictions).setIngestTimeMs(Instant.EPOCH)
        .setFusedAtMs(Instant.ofEpochMilli(900)).setLatencyMs(900).setSpeakerRole(role).build();
  }

  private static ModalityPrediction prediction(String clipId, Modality modality, List<String> labels, String top,
      double p, PredictionStatus status) {
    List<Float> probabilities = new ArrayList<>();
    if (status == PredictionStatus.OK) {
      float rest = (float) ((1 - p) / (labels.size() - 1));
      labels.forEach(l -> probabilities.add(l.equals(top) ? (float) p : rest));
    }
    return ModalityPrediction.newBuilder().setClipId(clipId).setModality(modality)
        .setModelName(modality == Modality.AUDIO ? "speech" : "face").setModelVersion("1")
        .setLabels(status == PredictionStatus.OK ? labels : List.of()).setProbabilities(probabilities)
        .setStatus(status).setTimings(new Timings(0.0, 0.0, 0.0, 0.0)).setProducedAtMs(Instant.EPOCH).build();
  }
}
