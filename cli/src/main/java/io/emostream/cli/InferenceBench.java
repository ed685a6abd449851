package io.emostream.cli;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.emostream.audio.AudioPredictor;
import io.emostream.audio.AudioPreprocessor;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.topics.Topics;
import io.emostream.video.FaceConfig;
import io.emostream.video.FacePredictor;
import io.emostream.video.VideoPredictor;
import io.emostream.video.face.YuNetDetector;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The two inference stages of {@code bench}: the audio predictor against a bare ONNX Runtime loop
 * over the same windows, and the face path (JPEG decode, YuNet, crop, expression model: the video
 * worker's predictor) against a bare loop that runs only the two models on the same frames. The
 * bare loops get their inputs ready before the clock starts, in direct buffers that ONNX Runtime
 * reads in place ({@link #direct}), so the ratio is what the worker adds around the models:
 * decoding, packing, post-processing, copies.
 */
final class InferenceBench {

  private final Alternation alternation;
  private final Duration budget;
  private final int threads;

  InferenceBench(Alternation alternation, Duration budget, int threads) {
    this.alternation = alternation;
    this.budget = budget;
    this.threads = threads;
  }

  /**
   * The audio worker's {@link AudioPredictor} as deployed (voice activity on, the clips of a poll
   * of {@code pollRecords} predicted together) against bare ORT running the same model work: Silero
   * on each poll's batches of frames ({@link SpeechDetector#batches}), then the speech model on
   * each clip's voiced windows; one round = every clip once. Returns that comparison, then (with
   * {@code lever}) the voice-activity lever's pair: a poll's clips together against one clip at a
   * time.
   */
  List<BenchFigures.Comparison> audio(
      Path manifestFile, VadConfig vad, int pollRecords, List<byte[]> segments, boolean lever)
      throws Exception {
    try (OrtModel model = OrtModel.load(manifestFile, Device.CPU, threads);
        SpeechDetector detector =
            SpeechDetector.load(
                vad.model(), Device.CPU, threads, vad.threshold(), vad.minSpeechSeconds());
        BareSession bare = new BareSession(onnxOf(manifestFile, model.manifest().file()), threads);
        BareSession bareVad = new BareSession(vad.model(), threads)) {
      ModelManifest.Audio audio = model.manifest().audio();
      if (audio.featureType() != ModelManifest.FeatureType.WAVEFORM) {
        throw new IllegalArgumentException(
            "the audio stage compares waveform models only; "
                + model.manifest().name()
                + " takes "
                + audio.featureType());
      }
      AudioPredictor predictor = new AudioPredictor(model, detector);
      AvroSerde<AudioSegment> serde = new AvroSerde<>(AudioSegment.class);
      List<float[]> clips = new ArrayList<>();
      List<FloatBuffer> windows = new ArrayList<>();
      for (byte[] value : segments) {
        AudioSegment segment = serde.decode(value);
        byte[] pcm = new byte[segment.getPcm().remaining()];
        segment.getPcm().duplicate().get(pcm);
        float[] samples = AudioPreprocessor.toMonoFloat(pcm, segment.getChannels());
        clips.add(samples);
        SpeechDetector.Speech speech = detector.detect(samples);
        if (speech.enough()) {
          for (float[] w :
              AudioPreprocessor.windows(
                  speech.voiced(),
                  (int) Math.round(audio.windowSeconds() * audio.sampleRate()),
                  (int) Math.round(audio.minSeconds() * audio.sampleRate()))) {
            windows.add(direct(AudioPreprocessor.normalize(w, audio.normalize())));
          }
        }
      }
      List<List<byte[]>> polls = polls(segments, pollRecords);
      List<List<float[]>> clipPolls = polls(clips, pollRecords);
      bareVad.requireSequenceGraph();
      List<FloatBuffer> vadInputs = new ArrayList<>();
      List<long[]> vadShapes = new ArrayList<>();
      for (List<float[]> poll : clipPolls) {
        for (SpeechDetector.Batch batch : SpeechDetector.batches(poll)) {
          if (batch.steps() > SpeechDetector.MAX_STEPS) {
            throw new IllegalArgumentException(
                "the audio stage's bare loop runs a clip's frames in one call: clips of up to "
                    + SpeechDetector.MAX_STEPS
                    + " frames (32.8 s); this media's clips have "
                    + batch.steps());
          }
          vadInputs.add(direct(batch.frames(poll)));
          vadShapes.add(
              new long[] {
                batch.clips().length, batch.steps(), SpeechDetector.CONTEXT + SpeechDetector.FRAME
              });
        }
      }
      String input = model.manifest().input().name();
      BenchFigures.Comparison worker =
          alternation.compare(
              "audio",
              "clip",
              "AudioPredictor (VAD on, polls of " + pollRecords + ")",
              () ->
                  () -> {
                    for (List<byte[]> poll : polls) {
                      predictAll(predictor, poll);
                    }
                    return Alternation.Done.items(segments.size());
                  },
              "bare ORT (VAD + speech model)",
              () -> {
                return () -> {
                  for (int b = 0; b < vadInputs.size(); b++) {
                    bareVad.vadSequence(vadInputs.get(b), vadShapes.get(b));
                  }
                  for (FloatBuffer w : windows) {
                    bare.run(input, w, new long[] {1, w.remaining()});
                  }
                  return Alternation.Done.items(segments.size());
                };
              },
              budget,
              3);
      if (!lever) {
        return List.of(worker);
      }
      BenchFigures.Comparison pair =
          alternation.compare(
              "vad",
              "clip",
              "SpeechDetector, polls of " + pollRecords + " together",
              () -> () -> detectPolls(detector, clipPolls, clips.size()),
              "SpeechDetector, one clip at a time",
              () -> () -> detectPolls(detector, polls(clips, 1), clips.size()),
              budget,
              3);
      Path stock = vad.model().resolveSibling(STOCK_VAD);
      if (!Files.isRegularFile(stock)) {
        return List.of(worker, pair);
      }
      try (SpeechDetector frameByFrame =
          SpeechDetector.load(
              stock, Device.CPU, threads, vad.threshold(), vad.minSpeechSeconds())) {
        BenchFigures.Comparison graphs =
            alternation.compare(
                "vad-graph",
                "clip",
                "SpeechDetector on " + vad.model().getFileName() + ", polls of " + pollRecords,
                () -> () -> detectPolls(detector, clipPolls, clips.size()),
                "SpeechDetector on " + STOCK_VAD + " (one frame per run), polls of " + pollRecords,
                () -> () -> detectPolls(frameByFrame, clipPolls, clips.size()),
                budget,
                3);
        return List.of(worker, pair, graphs);
      }
    }
  }

  /** Silero VAD's own graph, one frame per run, beside the default sequence graph. */
  static final String STOCK_VAD = "silero_vad_v5.onnx";

  private static Alternation.Done detectPolls(
      SpeechDetector detector, List<List<float[]>> polls, int clips) throws OrtException {
    for (List<float[]> poll : polls) {
      detector.probabilitiesAll(poll);
    }
    return Alternation.Done.items(clips);
  }

  /** The items in runs of {@code size}, as a worker's polls bring them. */
  private static <T> List<List<T>> polls(List<T> items, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int from = 0; from < items.size(); from += size) {
      out.add(items.subList(from, Math.min(items.size(), from + size)));
    }
    return out;
  }

  /**
   * The video worker's {@link FacePredictor} on whole clips of frames against bare ORT: YuNet on
   * each frame packed in advance, and the expression model on as many faces as the predictor found,
   * in the same batches; one round = every frame once, figures per frame.
   */
  BenchFigures.Comparison face(
      Path manifestFile, List<byte[]> frameBatches, int maxBatch, FaceConfig faceConfig)
      throws Exception {
    try (OrtModel model = OrtModel.load(manifestFile, Device.CPU, threads);
        FacePredictor predictor =
            new FacePredictor(
                model,
                manifestFile.toAbsolutePath().getParent(),
                Device.CPU,
                threads,
                null,
                maxBatch,
                Topics.defaults().frames(),
                faceConfig)) {
      ModelManifest manifest = model.manifest();
      Path detectorFile = onnxOf(manifestFile, manifest.video().face().detector());
      try (OrtModel detectorModel =
              OrtModel.open("yunet (bench input)", detectorFile, Device.CPU, threads);
          BareSession yunet = new BareSession(detectorFile, threads);
          BareSession expression =
              new BareSession(onnxOf(manifestFile, manifest.file()), threads)) {
        // the detector packs each frame exactly as the worker's does; the bare loop runs only that
        ModelManifest.Face face = manifest.video().face();
        YuNetDetector detector =
            new YuNetDetector(
                detectorModel,
                (float) face.scoreThreshold(),
                (float) face.nmsThreshold(),
                face.topK(),
                faceConfig.detectSide());
        int frames = 0;
        int faces = 0;
        List<YuNetDetector.Packed> packed = new ArrayList<>();
        for (byte[] value : frameBatches) {
          FrameBatch batch = new AvroSerde<>(FrameBatch.class).decode(value);
          frames += batch.getFrames().size();
          faces += predictor.predict("warm-up", value).itemsAnalysed();
          for (Frame frame : batch.getFrames()) {
            packed.add(detector.pack(decode(frame)));
          }
        }
        long[] faceShape = expression.inputShape(Math.min(maxBatch, Math.max(1, faces)));
        FloatBuffer faceInput = direct(new float[(int) elements(faceShape)]);
        int facesFound = faces;
        int frameCount = frames;
        return alternation.compare(
            "face",
            "frame",
            "FacePredictor",
            () ->
                () -> {
                  predictAll(predictor, frameBatches);
                  return Alternation.Done.items(frameCount);
                },
            "bare ORT (YuNet + expression)",
            () ->
                () -> {
                  for (YuNetDetector.Packed input : packed) {
                    yunet.run(yunet.inputName(), input::tensor);
                  }
                  runFaces(expression, faceShape, faceInput, facesFound);
                  return Alternation.Done.items(frameCount);
                },
            budget,
            3);
      }
    }
  }

  /**
   * The expression model on {@code faces} inputs, in runs of the model's batch size, each on the
   * start of {@code input} (one full batch of zeros).
   */
  private static void runFaces(
      BareSession expression, long[] batchShape, FloatBuffer input, int faces) throws OrtException {
    int perRun = (int) batchShape[0];
    for (int done = 0; done < faces; done += perRun) {
      long[] shape = batchShape.clone();
      shape[0] = Math.min(perRun, faces - done);
      expression.run(expression.inputName(), input.slice(0, (int) elements(shape)), shape);
    }
  }

  private static int predictAll(ClipPredictor predictor, List<byte[]> values) {
    List<ClipPredictor.Input> inputs = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      inputs.add(new ClipPredictor.Input("bench-" + i, values.get(i)));
    }
    for (ClipPredictor.Result result : predictor.predictAll(inputs)) {
      if (result.failure() != null) {
        throw new IllegalStateException("the predictor failed a clip", result.failure());
      }
    }
    return values.size();
  }

  private static BufferedImage decode(Frame frame) throws IOException {
    byte[] jpeg = new byte[frame.getJpeg().remaining()];
    frame.getJpeg().duplicate().get(jpeg);
    return VideoPredictor.readJpeg(jpeg);
  }

  /**
   * {@code values} in a direct buffer in native byte order: ONNX Runtime reads such a buffer in
   * place, where it copies a heap buffer into a newly allocated direct one for every tensor, so a
   * bare run copies nothing.
   */
  private static FloatBuffer direct(float[] values) {
    FloatBuffer buffer =
        ByteBuffer.allocateDirect(values.length * Float.BYTES)
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    buffer.put(0, values);
    return buffer;
  }

  private static Path onnxOf(Path manifestFile, String file) {
    return manifestFile.toAbsolutePath().getParent().resolve(file);
  }

  private static long elements(long[] shape) {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /**
   * A plain ONNX Runtime session with the worker's session options (all graph optimisations, the
   * same intra-op threads), run with nothing around it: the natural limit.
   */
  static final class BareSession implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    BareSession(Path onnx, int threads) throws OrtException {
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (threads > 0) {
          options.setIntraOpNumThreads(threads);
        }
        session = env.createSession(onnx.toString(), options);
      }
    }

    String inputName() {
      return session.getInputNames().iterator().next();
    }

    /**
     * The single input's shape with a dynamic batch axis set to {@code batch} (a fixed batch stays
     * as the model has it); a dynamic axis other than the batch axis is refused.
     */
    long[] inputShape(int batch) throws OrtException {
      long[] shape = declaredInputShape();
      if (shape[0] <= 0) {
        shape[0] = batch;
      }
      for (int i = 1; i < shape.length; i++) {
        if (shape[i] <= 0) {
          throw new IllegalArgumentException(
              "the bare loop needs fixed input dims besides the batch; "
                  + inputName()
                  + " is "
                  + Arrays.toString(shape));
        }
      }
      return shape;
    }

    /** The single input's shape as the model declares it (-1 for a dynamic axis). */
    long[] declaredInputShape() throws OrtException {
      NodeInfo info = session.getInputInfo().get(inputName());
      return ((TensorInfo) info.getInfo()).getShape().clone();
    }

    /**
     * One run on {@code data}, all of its remaining floats; a direct buffer ({@link #direct}) is
     * read in place.
     */
    void run(String input, FloatBuffer data, long[] shape) throws OrtException {
      try (OnnxTensor tensor = OnnxTensor.createTensor(env, data, shape);
          OrtSession.Result result = session.run(Map.of(input, tensor))) {
        result.size();
      }
    }

    /** One run on a tensor made for it (a direct buffer is read in place). */
    void run(String input, OrtModel.Tensor data) throws OrtException {
      try (OnnxTensor tensor = data.create(env);
          OrtSession.Result result = session.run(Map.of(input, tensor))) {
        result.size();
      }
    }

    /** Fails unless this session is Silero VAD's sequence graph (the default VAD model). */
    void requireSequenceGraph() {
      if (!session.getInputNames().contains("frames")) {
        throw new IllegalArgumentException(
            "the audio stage's bare loop runs Silero VAD's sequence graph"
                + " (models/silero-vad/silero_vad_v5_sequence.onnx); EMOSTREAM_VAD_MODEL takes "
                + session.getInputNames());
      }
    }

    /**
     * Silero VAD's sequence graph on one batch of frames [rows, steps, 576] ({@link
     * SpeechDetector.Batch#frames}), ready in a direct buffer, from a zero state.
     */
    void vadSequence(FloatBuffer frames, long[] shape) throws OrtException {
      if (shape[1] == 0) {
        return;
      }
      frames.rewind();
      try (OnnxTensor in = OnnxTensor.createTensor(env, frames, shape);
          OnnxTensor st =
              OnnxTensor.createTensor(
                  env,
                  FloatBuffer.wrap(new float[2 * (int) shape[0] * SpeechDetector.STATE_ROW]),
                  new long[] {2, shape[0], SpeechDetector.STATE_ROW});
          OrtSession.Result result = session.run(Map.of("frames", in, "state", st))) {
        result.size();
      }
    }

    @Override
    public void close() throws OrtException {
      session.close();
    }
  }
}
