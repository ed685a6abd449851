package io.emostream.video;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.inference.Stopwatch;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.FrameBatch;
import io.emostream.video.face.ExpressionClassifier;
import io.emostream.video.face.Face;
import io.emostream.video.face.FaceAligner;
import io.emostream.video.face.FaceSelectionPolicy;
import io.emostream.video.face.YuNetDetector;

/**
 * FrameBatch → facial-expression posterior (FACE_EXPRESSION models): per frame, YuNet finds the faces,
 * the manifest's policy picks one (default the largest: "detect the most relevant face in the frame and
 * crop it"), it is aligned on its five landmarks to 112x112; the aligned faces of the clip run through
 * the expression model as one batch and their posteriors are averaged. Frames without a face are
 * skipped; a clip with no face in any frame is NO_FACE, with no distribution.
 */
public final class FacePredictor implements ClipPredictor, AutoCloseable {

  private final OrtModel detectorModel;
  private final YuNetDetector detector;
  private final FaceSelectionPolicy policy;
  private final ExpressionClassifier classifier;
  private final AvroSerde<FrameBatch> serde = new AvroSerde<>(FrameBatch.class);

  public FacePredictor(OrtModel expressionModel, Path manifestDir, Device device, int threads) throws Exception {
    ModelManifest.Face face = expressionModel.manifest().video().face();
    this.detectorModel = OrtModel.open(expressionModel.manifest(), manifestDir.resolve(face.detector()), device, threads);
    this.detector = new YuNetDetector(detectorModel.session(), (float) face.scoreThreshold(), (float) face.nmsThreshold(),
        face.topK());
    this.policy = face.selection() == null ? FaceSelectionPolicy.DEFAULT
        : FaceSelectionPolicy.valueOf(face.selection().toUpperCase());
    this.classifier = new ExpressionClassifier(expressionModel.session(), expressionModel.manifest().labels());
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    Stopwatch watch = new Stopwatch();
    List<BufferedImage> frames = VideoPredictor.decode(serde.decode(value));
    double decodeMs = watch.lapMs();
    List<BufferedImage> aligned = new ArrayList<>(frames.size());
    for (BufferedImage frame : frames) {
      Optional<Face> chosen = policy.select(detector.detect(frame), frame.getWidth(), frame.getHeight());
      chosen.ifPresent(f -> aligned.add(FaceAligner.align(frame, f.landmarks())));
    }
    double preprocessMs = watch.lapMs();
    if (aligned.isEmpty()) {
      return Outcome.without(Status.NO_FACE, "no face found in " + frames.size() + " frames", decodeMs, preprocessMs, 0);
    }
    float[][] posteriors = classifier.probabilities(aligned);
    double inferenceMs = watch.lapMs();
    return Outcome.ok(Probabilities.mean(List.of(posteriors)), aligned.size(), decodeMs, preprocessMs, inferenceMs);
  }

  @Override
  public void close() {
    detectorModel.close();
  }
}
