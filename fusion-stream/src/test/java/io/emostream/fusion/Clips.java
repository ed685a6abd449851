package io.emostream.fusion;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** Test fixtures: manifests and predictions with the label sets of the real models. */
final class Clips {

  /** The speech model's 8 RAVDESS labels, in the canonical order. */
  static final List<String> SPEECH_LABELS =
      List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");

  /** A FER-style face model: 7 labels, other names, other order, no "calm". */
  static final List<String> FACE_LABELS =
      List.of("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral");

  static final Instant INGEST = Instant.parse("2025-01-01T00:00:00Z");

  private Clips() {}

  static ClipManifest manifest(String clipId, Modality... modalities) {
    return ClipManifest.newBuilder()
        .setClipId(clipId)
        .setSourceId("source-1")
        .setSourceName("talk.mp4")
        .setSegmentIndex(3)
        .setStartMs(9_000)
        .setEndMs(12_000)
        .setModalities(Arrays.asList(modalities))
        .setFusionRule(null)
        .setIngestTimeMs(INGEST)
        .build();
  }

  static ModalityPrediction audio(String clipId, double... probabilities) {
    return prediction(clipId, Modality.AUDIO, SPEECH_LABELS, PredictionStatus.OK, probabilities);
  }

  static ModalityPrediction video(String clipId, double... probabilities) {
    return prediction(clipId, Modality.VIDEO, FACE_LABELS, PredictionStatus.OK, probabilities);
  }

  static ModalityPrediction failed(String clipId, Modality modality, PredictionStatus status) {
    return prediction(
        clipId, modality, modality == Modality.AUDIO ? SPEECH_LABELS : FACE_LABELS, status);
  }

  static ModalityPrediction prediction(
      String clipId,
      Modality modality,
      List<String> labels,
      PredictionStatus status,
      double... probabilities) {
    return ModalityPrediction.newBuilder()
        .setClipId(clipId)
        .setModality(modality)
        .setModelName(modality == Modality.AUDIO ? "speech-test" : "face-test")
        .setModelVersion("1")
        .setLabels(labels)
        .setProbabilities(Arrays.stream(probabilities).mapToObj(p -> (float) p).toList())
        .setStatus(status)
        .setError(status == PredictionStatus.OK ? null : status.name())
        .setItemsAnalysed(status == PredictionStatus.OK ? 4 : 0)
        .setTimings(new Timings(1.0, 1.0, 1.0, 3.0))
        .setProducedAtMs(INGEST.plusMillis(500))
        .build();
  }

  /**
   * Speech: happy 0.5; with {@link #FACE_SAD} the average is happy 0.4 (hand-computed in the
   * tests).
   */
  static final double[] SPEECH_HAPPY = {0.1, 0.0, 0.5, 0.1, 0.1, 0.1, 0.05, 0.05};

  /** Face (FER order angry, disgust, fear, happy, sad, surprise, neutral): sad 0.4. */
  static final double[] FACE_SAD = {0.1, 0.0, 0.0, 0.3, 0.4, 0.0, 0.2};

  /** The canonical average of {@link #SPEECH_HAPPY} and {@link #FACE_SAD}. */
  static final double[] AVERAGE_OF_BOTH = {0.15, 0.0, 0.4, 0.25, 0.1, 0.05, 0.025, 0.025};
}
