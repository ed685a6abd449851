package io.emostream.video.face;

import ai.onnxruntime.OrtException;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Optional;

/**
 * Frame-level facial-expression recognition: detect faces, pick the most relevant one, align it,
 * classify its expression.
 *
 * <p>In: one video frame. Out: expression probabilities for the selected face in {@link #labels()}
 * order, or empty when no face is found. Holds no mutable state of its own.
 */
public final class FaceExpressionRecognizer {

  private final YuNetDetector detector;
  private final FaceSelectionPolicy policy;
  private final ExpressionClassifier classifier;

  /**
   * @param detector finds faces and their landmarks
   * @param policy picks one face per frame
   * @param classifier scores the aligned face
   */
  public FaceExpressionRecognizer(
      YuNetDetector detector, FaceSelectionPolicy policy, ExpressionClassifier classifier) {
    this.detector = detector;
    this.policy = policy;
    this.classifier = classifier;
  }

  /**
   * Classifies the expression of the frame's selected face.
   *
   * @param frame a video frame, any size
   * @return probabilities in {@link #labels()} order, or empty if no face is detected
   * @throws OrtException if inference fails
   */
  public Optional<float[]> classify(BufferedImage frame) throws OrtException {
    Optional<Face> face =
        policy.select(detector.detect(frame), frame.getWidth(), frame.getHeight());
    if (face.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(classifier.probabilities(FaceAligner.align(frame, face.get().landmarks())));
  }

  /** The expression labels, in the order of {@link #classify}'s probabilities. */
  public List<String> labels() {
    return classifier.labels();
  }
}
