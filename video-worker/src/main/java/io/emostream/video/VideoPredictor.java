package io.emostream.video;

import io.emostream.inference.BatchRunner;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * FrameBatch → video emotion posterior for frame-input models:
 *
 * <ul>
 *   <li>PER_FRAME: every frame is one batch item [C, H, W]; a clip's frame posteriors are averaged
 *       (as the second paper's static models average over frames);
 *   <li>PER_CLIP: {@code frames} frames (evenly re-sampled, repeated if fewer) make one batch item
 *       [T, C, H, W], e.g. ViViT's pixel_values [batch, 32, 3, 224, 224].
 * </ul>
 *
 * <p>{@link #predictAll} pools the items of several clips (one worker transaction) into shared
 * model runs of at most {@code maxBatch} items ([n, T, C, H, W] or [n, C, H, W]) when the model's
 * batch dimension is dynamic, else one item per run; the outputs are split back per clip. A clip
 * whose frames cannot be decoded or pre-processed fails alone; when a model run fails its items are
 * run again one by one ({@link BatchRunner}), so only a clip with an item that fails alone fails.
 * Every tensor is closed ({@link OrtModel#run}). Not thread-safe beyond what ONNX Runtime's {@code
 * run} is; one instance per worker loop.
 */
public final class VideoPredictor implements ClipPredictor {

  /** Items per run when none is given, as {@code EMOSTREAM_VIDEO_MAX_BATCH}'s default. */
  public static final int DEFAULT_MAX_BATCH = 32;

  private final OrtModel model;
  private final ModelManifest.Video spec;
  private final FramePreprocessor preprocessor;
  private final boolean perClip;
  private final BatchRunner<float[]> runner;

  /** The frame batches' topic: its serde decodes them. */
  private final Topics.Topic<FrameBatch> framesTopic;

  public VideoPredictor(OrtModel model) {
    this(model, DEFAULT_MAX_BATCH);
  }

  /**
   * @param maxBatch most items (clips for PER_CLIP, frames for PER_FRAME) per model run, across the
   *     clips given to {@link #predictAll}; a model with a fixed batch dimension runs one item at a
   *     time anyway
   * @throws IllegalArgumentException if the model is not a PER_FRAME or PER_CLIP video model, its
   *     input's shape does not match what the manifest makes of a frame ([batch, T, C, H, W] or
   *     [batch, C, H, W]), or {@code maxBatch < 1}
   */
  public VideoPredictor(OrtModel model, int maxBatch) {
    this(model, maxBatch, Topics.defaults().frames());
  }

  /**
   * @param frames the topic the frame batches come from, whose serde decodes them
   */
  public VideoPredictor(OrtModel model, int maxBatch, Topics.Topic<FrameBatch> frames) {
    this.framesTopic = frames;
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
    }
    this.model = model;
    this.spec = model.manifest().video();
    if (spec == null || spec.mode() == ModelManifest.VideoMode.FACE_EXPRESSION) {
      throw new IllegalArgumentException(
          "model " + model.manifest().name() + " is not a PER_FRAME or PER_CLIP video model");
    }
    this.preprocessor = new FramePreprocessor(spec);
    this.perClip = spec.mode() == ModelManifest.VideoMode.PER_CLIP;
    long[] shape = model.inputShape(model.manifest().input().name());
    long[] expected = itemShape(-1);
    boolean fits = shape.length == expected.length;
    for (int i = 1; fits && i < shape.length; i++) {
      fits = shape[i] < 0 || shape[i] == expected[i];
    }
    if (!fits) {
      throw new IllegalArgumentException(
          "model "
              + model.manifest().name()
              + ": its manifest ("
              + spec.mode()
              + ") gives inputs "
              + Arrays.toString(expected)
              + " (-1: batch), but its input '"
              + model.manifest().input().name()
              + "' is "
              + Arrays.toString(shape));
    }
    this.runner =
        new BatchRunner<>(
            "model " + model.manifest().name(), shape[0] < 0 ? maxBatch : 1, this::run);
  }

  /** Items per model run: {@code maxBatch} when the batch dimension is dynamic, else 1. */
  public int runSize() {
    return runner.runSize();
  }

  /** Model runs made so far (for tests of the batching). */
  long runs() {
    return runner.runs();
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    return ClipPredictor.predictOne(this, clipId, value);
  }

  @Override
  public List<Result> predictAll(List<Input> inputs) {
    List<Clip> clips = new ArrayList<>(inputs.size());
    List<float[]> items = new ArrayList<>();
    for (Input input : inputs) {
      Clip clip = prepare(input);
      clips.add(clip);
      items.addAll(clip.items);
    }
    List<BatchRunner.Row> rows = runner.run(items);
    List<Result> results = new ArrayList<>(clips.size());
    int next = 0;
    for (Clip clip : clips) {
      List<BatchRunner.Row> own = rows.subList(next, next + clip.items.size());
      next += clip.items.size();
      results.add(clip.result(own));
    }
    return results;
  }

  /** One model run over a chunk of items ([n, T, C, H, W] or [n, C, H, W]). */
  private float[][] run(List<float[]> chunk) throws Exception {
    int itemSize = chunk.get(0).length;
    float[] tensor = new float[chunk.size() * itemSize];
    for (int i = 0; i < chunk.size(); i++) {
      System.arraycopy(chunk.get(i), 0, tensor, i * itemSize, itemSize);
    }
    return model.probabilities(tensor, itemShape(chunk.size()));
  }

  /**
   * The input shape of a run of {@code n} items: [n, T, C, H, W] (PER_CLIP) or [n, C, H, W]
   * (PER_FRAME).
   */
  private long[] itemShape(long n) {
    return perClip
        ? new long[] {
          n, spec.frames(), preprocessor.channels(), preprocessor.height(), preprocessor.width()
        }
        : new long[] {n, preprocessor.channels(), preprocessor.height(), preprocessor.width()};
  }

  /** Decodes a clip and pre-processes its items; a failure is kept for that clip alone. */
  private Clip prepare(Input input) {
    Clip clip = new Clip();
    try {
      long start = System.nanoTime();
      List<BufferedImage> frames = decode(framesTopic.decode(input.value()));
      long decoded = System.nanoTime();
      clip.decodeMs = (decoded - start) / 1e6;
      if (frames.isEmpty()) {
        clip.empty = true;
        return clip;
      }
      int frameSize = preprocessor.channels() * preprocessor.height() * preprocessor.width();
      if (perClip) {
        int[] indices = FramePreprocessor.sampleIndices(frames.size(), spec.frames());
        float[] item = new float[indices.length * frameSize];
        for (int i = 0; i < indices.length; i++) {
          System.arraycopy(
              preprocessor.toChw(frames.get(indices[i])), 0, item, i * frameSize, frameSize);
        }
        clip.items.add(item);
        clip.framesAnalysed = indices.length;
      } else {
        for (BufferedImage frame : frames) {
          clip.items.add(preprocessor.toChw(frame));
        }
        clip.framesAnalysed = frames.size();
      }
      clip.preprocessMs = (System.nanoTime() - decoded) / 1e6;
    } catch (Exception e) {
      clip.failure = e;
      clip.items.clear();
    }
    return clip;
  }

  static List<BufferedImage> decode(FrameBatch batch) throws IOException {
    List<BufferedImage> images = new ArrayList<>(batch.getFrames().size());
    for (Frame frame : batch.getFrames()) {
      images.add(decode(batch, frame, null));
    }
    return images;
  }

  /**
   * One frame of the batch, decoded into {@code into} when the picture fits it ({@link
   * #readJpeg(byte[], BufferedImage)}).
   *
   * @throws IOException if the frame is not a JPEG, naming it
   */
  static BufferedImage decode(FrameBatch batch, Frame frame, BufferedImage into)
      throws IOException {
    byte[] jpeg = new byte[frame.getJpeg().remaining()];
    frame.getJpeg().duplicate().get(jpeg);
    BufferedImage image = readJpeg(jpeg, into);
    if (image == null) {
      throw new IOException(
          "frame at "
              + frame.getTimestampMs()
              + " ms of clip "
              + batch.getClipId()
              + " is not a JPEG");
    }
    return image;
  }

  /**
   * The picture in {@code jpeg}, or null when no ImageIO reader takes it. Read from memory:
   * ImageIO.read(InputStream) caches the stream in a new temporary file per image by default
   * (FileCacheImageInputStream), a file created, written and deleted per frame.
   */
  public static BufferedImage readJpeg(byte[] jpeg) throws IOException {
    return readJpeg(jpeg, null);
  }

  /**
   * As {@link #readJpeg(byte[])}, decoded into {@code into} when it has the picture's size and the
   * type the reader would make for it (a caller that handles one frame at a time passes the
   * previous frame's image), else into a new image. A 640x360 frame is a 691 KB raster: the video
   * worker allocated one per frame, and a heap that grows into fresh memory pays a page fault per 4
   * KB of it (JPEG decoding took 4.5 ms per frame instead of 0.9 while G1 grew its young
   * generation; docs/performance.md). A colour JPEG goes through TurboJPEG when this machine has it
   * ({@link TurboJpeg}: the same pixels, a third of the time); anything else, or every frame
   * without it, through this thread's ImageIO reader, reused.
   *
   * @return {@code into} or a new image; null when no reader takes the bytes
   */
  public static BufferedImage readJpeg(byte[] jpeg, BufferedImage into) throws IOException {
    BufferedImage decoded = TurboJpeg.decode(jpeg, into);
    if (decoded != null) {
      return decoded;
    }
    if (into == null) {
      return ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg)));
    }
    ImageReader reader = JPEG_READER.get();
    if (reader == null) {
      return readJpeg(jpeg, null);
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
      reader.setInput(in, true, true);
      ImageTypeSpecifier type = reader.getImageTypes(0).next();
      ImageReadParam param = reader.getDefaultReadParam();
      if (into.getWidth() == reader.getWidth(0)
          && into.getHeight() == reader.getHeight(0)
          && into.getType() != BufferedImage.TYPE_CUSTOM
          && into.getType() == type.getBufferedImageType()) {
        param.setDestination(into);
      }
      return reader.read(0, param);
    } catch (IIOException e) {
      // not a JPEG this reader takes: as ImageIO.read, which tries every reader
      return readJpeg(jpeg, null);
    } finally {
      reader.setInput(null);
    }
  }

  /** This thread's JPEG reader (null when ImageIO has none), reused frame after frame. */
  private static final ThreadLocal<ImageReader> JPEG_READER =
      ThreadLocal.withInitial(
          () -> {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
            return readers.hasNext() ? readers.next() : null;
          });

  /** One clip on its way through the batch: its items (one per clip or per frame). */
  private final class Clip {
    final List<float[]> items = new ArrayList<>();
    int framesAnalysed;
    boolean empty;
    double decodeMs;
    double preprocessMs;
    Exception failure;

    /** The clip's outcome from its items' rows, in order: the first failed item fails the clip. */
    Result result(List<BatchRunner.Row> rows) {
      if (failure != null) {
        return Result.failed(failure);
      }
      if (empty) {
        return Result.of(
            Outcome.without(PredictionStatus.ERROR, "the clip has no frames", decodeMs, 0, 0));
      }
      BatchRunner.ClipRows own = BatchRunner.ClipRows.of(rows);
      if (own.failed()) {
        return Result.failed(own.failure());
      }
      float[] posterior =
          perClip ? own.probabilities().get(0) : Probabilities.mean(own.probabilities());
      return Result.of(
          Outcome.ok(posterior, framesAnalysed, decodeMs, preprocessMs, own.inferenceMs()));
    }
  }
}
