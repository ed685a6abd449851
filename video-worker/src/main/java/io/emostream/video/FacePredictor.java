package io.emostream.video;

import io.emostream.inference.BatchRunner;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import io.emostream.video.face.ExpressionClassifier;
import io.emostream.video.face.Face;
import io.emostream.video.face.FaceCropper;
import io.emostream.video.face.FaceSchedule;
import io.emostream.video.face.FaceSelectionPolicy;
import io.emostream.video.face.YuNetDetector;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * FrameBatch → facial-expression posterior (FACE_EXPRESSION models): per frame, YuNet finds the
 * faces, the manifest's policy picks one (default the largest: "detect the most relevant face in
 * the frame and crop it"), it is cut as the model wants it (aligned on its five landmarks to
 * 112x112 for MobileFaceNet, the detector's box as a 64x64 grey crop for mini-XCEPTION; {@link
 * ModelManifest.FaceInput}); the faces go through the expression model in runs of up to {@code
 * maxBatch}, and a clip's frame posteriors are aggregated (mean by default; {@link
 * ModelManifest.Aggregation}). Frames without a face are skipped; a clip with no face in any frame
 * is NO_FACE, with no distribution. With {@link FaceConfig#detectEvery()} N above 1, YuNet runs on
 * frames 0, N, 2N... of a clip only and the face chosen there is cut from the frames between
 * ({@link FaceSchedule}). YuNet runs at most {@link FaceConfig#detectSide()} px on the frame's
 * longest side; the face is cut from the frame as decoded.
 *
 * <p>{@link #predictAll} pools the faces of several clips (one worker transaction) into shared
 * model runs ({@link BatchRunner}: a failed run is retried face by face, so only a clip with a face
 * that fails alone fails); a clip whose frames cannot be decoded fails alone. Both models run only
 * through {@link OrtModel#run}, so a stop never frees them under a run. Not thread-safe beyond what
 * ONNX Runtime's {@code run} is; one instance per worker loop.
 */
public final class FacePredictor implements ClipPredictor, AutoCloseable {

  private final OrtModel detectorModel;
  private final YuNetDetector detector;
  private final FaceSelectionPolicy policy;
  private final ExpressionClassifier classifier;
  private final ModelManifest.Aggregation aggregation;
  private final FaceConfig config;

  /** The frame batches' topic: its serde decodes them. */
  private final Topics.Topic<FrameBatch> framesTopic;

  /**
   * The image this thread decoded its last frame into, which its next frame of the same size is
   * decoded into ({@link VideoPredictor#readJpeg(byte[], BufferedImage)}).
   */
  private final ThreadLocal<BufferedImage> lastFrame = new ThreadLocal<>();

  /**
   * @param aggregation how frame posteriors are combined; {@code null}: the manifest's choice
   * @param maxBatch most faces per expression-model run (a fixed-batch model runs one at a time
   *     anyway)
   */
  public FacePredictor(
      OrtModel expressionModel,
      Path manifestDir,
      Device device,
      int threads,
      ModelManifest.Aggregation aggregation,
      int maxBatch)
      throws Exception {
    this(
        expressionModel,
        manifestDir,
        device,
        threads,
        aggregation,
        maxBatch,
        Topics.defaults().frames(),
        FaceConfig.DEFAULTS);
  }

  /**
   * @param frames the topic the frame batches come from, whose serde decodes them
   * @param config the face path's settings (detection every Nth frame, the side YuNet runs at)
   */
  public FacePredictor(
      OrtModel expressionModel,
      Path manifestDir,
      Device device,
      int threads,
      ModelManifest.Aggregation aggregation,
      int maxBatch,
      Topics.Topic<FrameBatch> frames,
      FaceConfig config)
      throws Exception {
    this.framesTopic = frames;
    this.config = config;
    ModelManifest manifest = expressionModel.manifest();
    ModelManifest.Face face = manifest.video().face();
    this.detectorModel =
        OrtModel.open(manifest, manifestDir.resolve(face.detector()), device, threads);
    try {
      this.detector =
          new YuNetDetector(
              detectorModel,
              (float) face.scoreThreshold(),
              (float) face.nmsThreshold(),
              face.topK(),
              config.detectSide());
      this.policy =
          face.selection() == null
              ? FaceSelectionPolicy.DEFAULT
              : FaceSelectionPolicy.valueOf(face.selection().toUpperCase(Locale.ROOT));
      this.classifier =
          new ExpressionClassifier(
              expressionModel,
              manifest.labels(),
              face.input(),
              manifest.output().kind() == ModelManifest.OutputKind.LOGITS,
              maxBatch);
    } catch (RuntimeException e) {
      detectorModel.close();
      throw e;
    }
    this.aggregation = aggregation == null ? face.aggregation() : aggregation;
  }

  public FacePredictor(OrtModel expressionModel, Path manifestDir, Device device, int threads)
      throws Exception {
    this(expressionModel, manifestDir, device, threads, null, 32);
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    return ClipPredictor.predictOne(this, clipId, value);
  }

  @Override
  public List<Result> predictAll(List<Input> inputs) {
    List<Clip> clips = new ArrayList<>(inputs.size());
    List<BufferedImage> faces = new ArrayList<>();
    for (Input input : inputs) {
      Clip clip = prepare(input);
      faces.addAll(clip.faces);
      clips.add(clip);
    }
    List<BatchRunner.Row> rows = classifier.runner().run(faces);
    List<Result> results = new ArrayList<>(clips.size());
    int next = 0;
    for (Clip clip : clips) {
      List<BatchRunner.Row> own = rows.subList(next, next + clip.faces.size());
      next += clip.faces.size();
      results.add(clip.result(own));
    }
    return results;
  }

  /**
   * Decodes a clip's frames and cuts the chosen face of each; a failure is kept for that clip
   * alone.
   */
  private Clip prepare(Input input) {
    Clip clip = new Clip();
    try {
      long start = System.nanoTime();
      FrameBatch batch = framesTopic.decode(input.value());
      long decodeNanos = System.nanoTime() - start;
      long preprocessNanos = 0;
      FaceSchedule schedule =
          new FaceSchedule(
              config.detectEvery(),
              frame -> policy.select(detector.detect(frame), frame.getWidth(), frame.getHeight()));
      // one frame at a time, each decoded into the previous one's image: only the crops are kept
      BufferedImage frame = lastFrame.get();
      for (Frame item : batch.getFrames()) {
        long frameStart = System.nanoTime();
        frame = VideoPredictor.decode(batch, item, frame);
        clip.frames++;
        long decoded = System.nanoTime();
        Optional<Face> chosen = schedule.next(frame);
        if (chosen.isPresent()) {
          clip.faces.add(FaceCropper.crop(frame, chosen.get(), classifier.input()));
        }
        decodeNanos += decoded - frameStart;
        preprocessNanos += System.nanoTime() - decoded;
      }
      lastFrame.set(frame);
      clip.decodeMs = decodeNanos / 1e6;
      clip.preprocessMs = preprocessNanos / 1e6;
    } catch (Exception e) {
      clip.failure = e;
      clip.faces.clear();
    }
    return clip;
  }

  /** Which aggregation this predictor uses. */
  public ModelManifest.Aggregation aggregation() {
    return aggregation;
  }

  @Override
  public void close() {
    detectorModel.close();
  }

  /** One clip's faces on their way through the batch. */
  private final class Clip {
    final List<BufferedImage> faces = new ArrayList<>();
    int frames;
    double decodeMs;
    double preprocessMs;
    Exception failure;

    /** The clip's outcome from its faces' rows, in order: the first failed face fails the clip. */
    Result result(List<BatchRunner.Row> rows) {
      if (failure != null) {
        return Result.failed(failure);
      }
      if (faces.isEmpty()) {
        return Result.of(
            Outcome.without(
                PredictionStatus.NO_FACE,
                "no face found in " + frames + " frames",
                decodeMs,
                preprocessMs,
                0));
      }
      BatchRunner.ClipRows own = BatchRunner.ClipRows.of(rows);
      if (own.failed()) {
        return Result.failed(own.failure());
      }
      return Result.of(
          Outcome.ok(
              Probabilities.aggregate(aggregation, own.probabilities()),
              faces.size(),
              decodeMs,
              preprocessMs,
              own.inferenceMs()));
    }
  }
}
