package io.emostream.video.face;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.emostream.inference.OrtModel;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * YuNet face detector (OpenCV Zoo {@code face_detection_yunet_2023mar.onnx}) on ONNX Runtime.
 *
 * <p>In: any {@link BufferedImage}. The model's input is float 1x3xHxW, BGR, 0-255, no
 * normalisation; or, in the shipped copy ({@code face_detection_yunet_2023mar_dynamic_bgr8.onnx}),
 * uint8 1xHxWx3, interleaved BGR as a decoded JPEG's raster holds it, which the graph casts and
 * transposes (the same floats reach the first convolution), so that a frame is copied row by row
 * instead of converted pixel by pixel in Java. With a copy whose H and W are dynamic ({@code
 * face_detection_yunet_2023mar_dynamic[_bgr8].onnx}, made by {@code models/yunet/resize_input.py}),
 * each frame runs at its own size rounded up to a multiple of 32: 640x384 for a 640x360 frame,
 * where the original fixed model runs 640x640, 1.67 times the pixels. A frame longer than 640 px is
 * first shrunk to 640 on its longest side. A fixed-size model (the original 640x640) gets every
 * frame shrunk to fit, keeping its aspect ratio. Either way a frame is never enlarged and is padded
 * with zeros at the right and bottom. This mirrors OpenCV's {@code FaceDetectorYN}, which runs
 * YuNet at the frame's own size padded to a multiple of 32 and so never interpolates a small frame.
 * One session serves every size (ONNX Runtime plans per shape). Out: faces in the original image's
 * pixel coordinates, sorted by score, highest first, after score thresholding and non-maximum
 * suppression; at most {@code topK} of them.
 *
 * <p>The decoding follows {@code FaceDetectorYN::postProcess}
 * (opencv/modules/objdetect/src/face_detect.cpp): per stride {@code s} in {8, 16, 32} and grid cell
 * (row, col), {@code score = sqrt(clamp01(cls) * clamp01(obj))}, {@code cx = (col + bbox0) * s},
 * {@code cy = (row + bbox1) * s}, {@code w = exp(bbox2) * s}, {@code h = exp(bbox3) * s}, landmark
 * {@code k = ((col + kps2k) * s, (row + kps2k+1) * s)}. One difference: {@code topK} here caps the
 * faces kept after suppression, whereas OpenCV caps the candidates before it (its default is 5000,
 * so in practice both keep every face).
 *
 * <p>The model is owned by the caller (one per process) and run through {@link OrtModel#run}. The
 * only mutable state is one input buffer per thread ({@link InputBuffer} or {@link ByteInput}:
 * direct, as large as the largest input, 4.9 MB of floats or 1.2 MB of bytes for 640x640), which
 * the tensor reads in place until the run returns, so the class is safe to share between threads as
 * far as ONNX Runtime's {@code run} is.
 *
 * <p>Over 300 lines with this Javadoc: YuNet's pre-processing and its decoding (priors, boxes,
 * landmarks, NMS) are one algorithm, kept together.
 */
public final class YuNetDetector {

  /** Feature-map strides of YuNet's three heads. */
  static final int[] STRIDES = {8, 16, 32};

  /**
   * The longest side YuNet runs at when its input is dynamic, as the fixed model's 640x640: a
   * bigger frame is shrunk to it.
   */
  static final int MAX_SIDE = 640;

  /** YuNet's coarsest stride: both sides of its input are multiples of it. */
  private static final int ALIGN = 32;

  private final OrtModel model;
  private final String inputName;

  /**
   * Whether the model takes its frame as bytes, {@code uint8 [1, H, W, 3]} BGR (the shipped {@code
   * _bgr8} copy, which casts and transposes in its graph), rather than {@code float [1, 3, H, W]}.
   */
  private final boolean bytes;

  /** The model's fixed input size, or -1 for both when its height and width are dynamic. */
  private final int inputWidth;

  private final int inputHeight;

  /** The longest side of a dynamic input. */
  private final int maxSide;

  private final float scoreThreshold;
  private final float nmsThreshold;
  private final int topK;

  /**
   * The packed input, reused frame after frame by each thread: its own, because the tensor reads it
   * in place while the thread's run lasts.
   */
  private final ThreadLocal<InputBuffer> inputBuffer;

  /** As {@link #inputBuffer}, for a model that takes bytes. */
  private final ThreadLocal<ByteInput> byteInput;

  /**
   * @param model the YuNet model, owned by the caller
   * @param scoreThreshold minimum face score kept, in [0, 1] (OpenCV Zoo uses 0.6)
   * @param nmsThreshold IoU above which a lower-scored overlapping face is dropped (0.3)
   * @param topK maximum number of faces returned, at least 1
   * @throws IllegalArgumentException if the model's inputs/outputs are not YuNet's or a parameter
   *     is out of range
   * @throws IllegalStateException if the model metadata cannot be read
   */
  public YuNetDetector(OrtModel model, float scoreThreshold, float nmsThreshold, int topK) {
    this(model, scoreThreshold, nmsThreshold, topK, MAX_SIDE);
  }

  /**
   * As {@link #YuNetDetector(OrtModel, float, float, int)}, with the longest side a frame is shrunk
   * to when the model's input is dynamic (ignored for a fixed-size model).
   *
   * @param maxSide a multiple of 32, from 32 to {@link #MAX_SIDE} (the video worker's {@code
   *     EMOSTREAM_FACE_DETECT_SIDE})
   */
  public YuNetDetector(
      OrtModel model, float scoreThreshold, float nmsThreshold, int topK, int maxSide) {
    if (maxSide < ALIGN || maxSide > MAX_SIDE || maxSide % ALIGN != 0) {
      throw new IllegalArgumentException(
          "maxSide must be a multiple of 32 from 32 to " + MAX_SIDE + ", got " + maxSide);
    }
    this.maxSide = maxSide;
    requireInRange("scoreThreshold", scoreThreshold);
    requireInRange("nmsThreshold", nmsThreshold);
    if (topK < 1) {
      throw new IllegalArgumentException("topK must be at least 1, got " + topK);
    }
    this.model = model;
    Map<String, long[]> inputs = model.inputShapes();
    this.inputName = singleInputName(inputs);
    long[] shape = inputs.get(inputName);
    this.bytes = model.inputType(inputName) == OnnxJavaType.UINT8;
    checkInputShape(shape, bytes);
    this.inputHeight = (int) shape[bytes ? 1 : 2];
    this.inputWidth = (int) shape[bytes ? 2 : 3];
    checkOutputs(model.outputShapes());
    this.scoreThreshold = scoreThreshold;
    this.nmsThreshold = nmsThreshold;
    this.topK = topK;
    int largestWidth = inputWidth > 0 ? inputWidth : maxSide;
    int largestHeight = inputHeight > 0 ? inputHeight : maxSide;
    this.inputBuffer = ThreadLocal.withInitial(() -> InputBuffer.of(largestWidth, largestHeight));
    this.byteInput = ThreadLocal.withInitial(() -> ByteInput.of(largestWidth, largestHeight));
  }

  /**
   * Detects faces.
   *
   * @param image the frame, any size and type
   * @return faces in the frame's coordinates, highest score first; empty if none passes the
   *     threshold
   * @throws OrtException if inference fails
   */
  public List<Face> detect(BufferedImage image) throws OrtException {
    InputSize size = inputSize(image.getWidth(), image.getHeight());
    OrtModel.Tensor tensor = packed(image, size)::tensor;
    List<Face> kept = nms(candidates(tensor, size), nmsThreshold, topK);
    List<Face> faces = new ArrayList<>(kept.size());
    for (Face face : kept) {
      faces.add(rescale(face, 1f / size.scale()));
    }
    return faces;
  }

  /**
   * The input a {@code width x height} frame runs at: the model's fixed size, or with dynamic dims
   * the frame's own size (shrunk to 640 px, or {@code maxSide}, on its longest side) rounded up to
   * a multiple of 32, e.g. 640x384 for a 640x360 frame.
   */
  InputSize inputSize(int width, int height) {
    if (inputWidth > 0) {
      return new InputSize(
          inputWidth, inputHeight, letterboxScale(width, height, inputWidth, inputHeight));
    }
    return aspectSize(width, height, maxSide);
  }

  /**
   * The frame's size shrunk by {@link #letterboxScale} into a {@code maxSide} square and each side
   * rounded up to a multiple of 32 (at least 32): the input a dynamic-dims YuNet runs such a frame
   * at.
   */
  static InputSize aspectSize(int width, int height, int maxSide) {
    float scale = letterboxScale(width, height, maxSide, maxSide);
    return new InputSize(
        alignUp(Math.round(width * scale)), alignUp(Math.round(height * scale)), scale);
  }

  private static int alignUp(int side) {
    return Math.max(ALIGN, (side + ALIGN - 1) / ALIGN * ALIGN);
  }

  /** A model input size and the scale the frame is resized by to fill its top-left. */
  public record InputSize(int width, int height, float scale) {}

  /**
   * YuNet's input for a frame as {@link #detect} runs it, copied into buffers of its own (public
   * for the bench's bare loop, which runs exactly this).
   */
  public Packed pack(BufferedImage image) {
    return packed(image, inputSize(image.getWidth(), image.getHeight())).copy();
  }

  /** The frame packed into this thread's buffer, bytes or floats as the model takes them. */
  private Packed packed(BufferedImage image, InputSize size) {
    if (bytes) {
      return new Packed(
          new long[] {1, size.height(), size.width(), 3},
          toBgrBytes(image, size.width(), size.height(), size.scale(), byteInput.get()),
          null);
    }
    return new Packed(
        new long[] {1, 3, size.height(), size.width()},
        null,
        toBgrInput(image, size.width(), size.height(), size.scale(), inputBuffer.get()));
  }

  /**
   * A packed input: its shape and either its bytes ({@code uint8 [1, H, W, 3]}) or its floats
   * ({@code [1, 3, H, W]}), in direct buffers.
   */
  public record Packed(long[] shape, ByteBuffer bytes, FloatBuffer floats) {

    /** A tensor over the values, which ONNX Runtime reads in place (an {@link OrtModel.Tensor}). */
    public OnnxTensor tensor(OrtEnvironment env) throws OrtException {
      return bytes != null
          ? OnnxTensor.createTensor(env, bytes, shape, OnnxJavaType.UINT8)
          : OnnxTensor.createTensor(env, floats, shape);
    }

    /** The same values in new direct buffers. */
    Packed copy() {
      if (bytes != null) {
        return new Packed(
            shape,
            ByteBuffer.allocateDirect(bytes.remaining()).put(bytes.duplicate()).flip(),
            null);
      }
      return new Packed(
          shape,
          null,
          ByteBuffer.allocateDirect(floats.remaining() * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer()
              .put(floats.duplicate())
              .flip());
    }
  }

  /**
   * Runs the model on one packed input (exactly this frame's values, direct, so the tensor reads
   * them in place) and decodes all three strides, before suppression.
   */
  private List<Face> candidates(OrtModel.Tensor tensor, InputSize size) throws OrtException {
    List<Face> candidates = new ArrayList<>();
    Map<String, long[]> shapes = new HashMap<>();
    for (int stride : STRIDES) {
      long anchors = (long) (size.height() / stride) * (size.width() / stride);
      shapes.put("cls_" + stride, new long[] {1, anchors, 1});
      shapes.put("obj_" + stride, new long[] {1, anchors, 1});
      shapes.put("bbox_" + stride, new long[] {1, anchors, 4});
      shapes.put("kps_" + stride, new long[] {1, anchors, 10});
    }
    Map<String, OrtModel.Output> result = model.runPinned(Map.of(inputName, tensor), shapes);
    for (int stride : STRIDES) {
      candidates.addAll(
          decode(
              size.width(),
              size.height(),
              stride,
              result.get("cls_" + stride).data(),
              result.get("obj_" + stride).data(),
              result.get("bbox_" + stride).data(),
              result.get("kps_" + stride).data(),
              scoreThreshold));
    }
    return candidates;
  }

  /**
   * Decodes one stride's raw outputs into candidate faces in model-input coordinates.
   *
   * @param inputWidth model input width (grid columns = inputWidth / stride)
   * @param inputHeight model input height (grid rows = inputHeight / stride)
   * @param stride 8, 16 or 32
   * @param cls one class score per anchor, anchors row-major
   * @param obj one objectness score per anchor
   * @param bbox four box deltas per anchor
   * @param kps ten landmark offsets per anchor
   * @param scoreThreshold minimum score kept
   * @return candidates with {@code score >= scoreThreshold}, in anchor order
   */
  static List<Face> decode(
      int inputWidth,
      int inputHeight,
      int stride,
      float[] cls,
      float[] obj,
      float[] bbox,
      float[] kps,
      float scoreThreshold) {
    int cols = inputWidth / stride;
    int rows = inputHeight / stride;
    List<Face> faces = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int idx = r * cols + c;
        float score = (float) Math.sqrt(clamp01(cls[idx]) * clamp01(obj[idx]));
        if (score >= scoreThreshold) {
          faces.add(decodeAnchor(r, c, stride, idx, bbox, kps, score));
        }
      }
    }
    return faces;
  }

  private static Face decodeAnchor(
      int r, int c, int stride, int idx, float[] bbox, float[] kps, float score) {
    float cx = (c + bbox[idx * 4]) * stride;
    float cy = (r + bbox[idx * 4 + 1]) * stride;
    float w = (float) Math.exp(bbox[idx * 4 + 2]) * stride;
    float h = (float) Math.exp(bbox[idx * 4 + 3]) * stride;
    float[] landmarks = new float[Face.LANDMARK_FLOATS];
    for (int k = 0; k < 5; k++) {
      landmarks[2 * k] = (c + kps[idx * 10 + 2 * k]) * stride;
      landmarks[2 * k + 1] = (r + kps[idx * 10 + 2 * k + 1]) * stride;
    }
    return new Face(cx - w / 2f, cy - h / 2f, w, h, score, landmarks);
  }

  /**
   * Greedy non-maximum suppression: faces are visited by score, highest first, and a face is kept
   * when its IoU with every face kept so far is at most {@code iouThreshold}; stops at {@code
   * topK}.
   *
   * @return kept faces, highest score first
   */
  static List<Face> nms(List<Face> candidates, float iouThreshold, int topK) {
    List<Face> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.comparingDouble(Face::score).reversed());
    List<Face> kept = new ArrayList<>();
    for (Face face : sorted) {
      if (kept.size() >= topK) {
        break;
      }
      if (kept.stream().allMatch(k -> iou(face, k) <= iouThreshold)) {
        kept.add(face);
      }
    }
    return kept;
  }

  /** Intersection over union of two boxes; 0 when both are empty. */
  static float iou(Face a, Face b) {
    float iw = Math.min(a.x() + a.width(), b.x() + b.width()) - Math.max(a.x(), b.x());
    float ih = Math.min(a.y() + a.height(), b.y() + b.height()) - Math.max(a.y(), b.y());
    if (iw <= 0 || ih <= 0) {
      return 0f;
    }
    float inter = iw * ih;
    return inter / (a.area() + b.area() - inter);
  }

  /**
   * Scale that fits a {@code width x height} image into the model input, keeping the aspect ratio;
   * at most 1, because enlarging adds interpolation the model was not run with in OpenCV.
   */
  static float letterboxScale(int width, int height, int inputWidth, int inputHeight) {
    return Math.min(1f, Math.min(inputWidth / (float) width, inputHeight / (float) height));
  }

  /**
   * One thread's input. {@code floats} is direct and in native byte order, as large as the largest
   * input, because ONNX Runtime reads such a buffer in place, where it copies a heap buffer into a
   * newly allocated direct one for every tensor. {@code row} holds one row of the three planes,
   * packed on the heap and put into {@code floats} by one bulk copy per plane.
   */
  record InputBuffer(FloatBuffer floats, float[] row) {

    /** A buffer for inputs up to {@code width x height}. */
    static InputBuffer of(int width, int height) {
      FloatBuffer floats =
          ByteBuffer.allocateDirect(3 * width * height * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      return new InputBuffer(floats, new float[3 * width]);
    }
  }

  /**
   * One thread's input for a model that takes bytes: {@code bytes} is direct, as large as the
   * largest input; {@code row} holds one row of interleaved BGR when it cannot be copied from the
   * frame as it is; {@code zeros} is one row of padding.
   */
  record ByteInput(ByteBuffer bytes, byte[] row, byte[] zeros) {

    /** A buffer for inputs up to {@code width x height}. */
    static ByteInput of(int width, int height) {
      return new ByteInput(
          ByteBuffer.allocateDirect(3 * width * height), new byte[3 * width], new byte[3 * width]);
    }
  }

  /**
   * As {@link #toBgrInput}, as interleaved BGR bytes ({@code [H, W, 3]}, what OpenCV's {@code
   * FaceDetectorYN} is given) for a model that casts and transposes them itself. At scale 1 a
   * {@code TYPE_3BYTE_BGR} frame's rows are already that layout and are copied in bulk; a sampled
   * pixel is rounded to the nearest byte, as OpenCV's {@code resize} of an 8-bit image rounds.
   *
   * @return the input's {@code 3 * inputWidth * inputHeight} bytes: the start of {@code out}'s
   *     buffer, direct
   */
  static ByteBuffer toBgrBytes(
      BufferedImage image, int inputWidth, int inputHeight, float scale, ByteInput out) {
    int w = image.getWidth();
    int h = image.getHeight();
    int outW = Math.min(inputWidth, Math.round(w * scale));
    int outH = Math.min(inputHeight, Math.round(h * scale));
    Pixels.ByteLayout layout = scale == 1f ? Pixels.byteLayout(image) : null;
    boolean bgr =
        layout != null
            && layout.pixelStride() == 3
            && layout.blue() == 0
            && layout.green() == 1
            && layout.red() == 2;
    int[] argb = layout == null ? Pixels.rgb(image) : null;
    byte[] row = out.row();
    ByteBuffer buffer = out.bytes();
    int rowBytes = 3 * inputWidth;
    for (int dy = 0; dy < outH; dy++) {
      int at = dy * rowBytes;
      if (bgr) {
        buffer.put(at, layout.data(), layout.index(0, dy), 3 * outW);
      } else {
        if (layout != null) {
          bytesRowBgr(layout, dy, row, outW);
        } else if (scale == 1f) {
          copyRowBgr(argb, dy * w, row, outW);
        } else {
          sampleRowBgr(argb, w, h, scale, dy, row, outW);
        }
        buffer.put(at, row, 0, 3 * outW);
      }
      buffer.put(at + 3 * outW, out.zeros(), 0, rowBytes - 3 * outW);
    }
    for (int dy = outH; dy < inputHeight; dy++) {
      buffer.put(dy * rowBytes, out.zeros(), 0, rowBytes);
    }
    return buffer.slice(0, inputHeight * rowBytes);
  }

  /** Row {@code y} of a byte raster, its first {@code width} pixels, as interleaved BGR. */
  private static void bytesRowBgr(Pixels.ByteLayout bytes, int y, byte[] row, int width) {
    byte[] data = bytes.data();
    int step = bytes.pixelStride();
    int p = bytes.index(0, y);
    for (int x = 0; x < width; x++, p += step) {
      row[3 * x] = data[p + bytes.blue()];
      row[3 * x + 1] = data[p + bytes.green()];
      row[3 * x + 2] = data[p + bytes.red()];
    }
  }

  /** As {@link #bytesRowBgr}, from packed pixels starting at {@code from}. */
  private static void copyRowBgr(int[] argb, int from, byte[] row, int width) {
    for (int x = 0; x < width; x++) {
      int pixel = argb[from + x];
      row[3 * x] = (byte) pixel;
      row[3 * x + 1] = (byte) (pixel >>> 8);
      row[3 * x + 2] = (byte) (pixel >>> 16);
    }
  }

  /**
   * As {@link #sampleRow}, each sample rounded to the nearest byte ({@link Bilinear#sampleRgb}).
   */
  private static void sampleRowBgr(
      int[] argb, int w, int h, float scale, int dy, byte[] row, int width) {
    float sy = clamp((dy + 0.5f) / scale - 0.5f, 0, h - 1);
    for (int dx = 0; dx < width; dx++) {
      float sx = clamp((dx + 0.5f) / scale - 0.5f, 0, w - 1);
      int rgb = Bilinear.sampleRgb(argb, w, h, sx, sy);
      row[3 * dx] = (byte) rgb;
      row[3 * dx + 1] = (byte) (rgb >>> 8);
      row[3 * dx + 2] = (byte) (rgb >>> 16);
    }
  }

  /**
   * Resizes the image by {@code scale} (bilinear, pixel centres aligned as in OpenCV's {@code
   * resize}) into the top-left of a zero {@code inputWidth x inputHeight} canvas, as planar BGR
   * floats 0-255, written into {@code out} row by row: every element of the input, so the padding
   * is zeroed again, whatever an earlier, larger frame left there.
   *
   * <p>At scale 1, which is every frame ingest publishes (640 px at most, the model's side), the
   * pixels are copied straight: bilinear sampling at whole-pixel centres gives exactly the pixel,
   * so the output is the same, at a fraction of the cost. A JPEG's byte raster ({@link
   * Pixels#byteLayout}) is then read in place, without first copying the frame into packed ints.
   *
   * @param out large enough for the input
   * @return the input's {@code 3 * inputWidth * inputHeight} floats: the start of {@code out}'s
   *     buffer, direct, in native order
   */
  static FloatBuffer toBgrInput(
      BufferedImage image, int inputWidth, int inputHeight, float scale, InputBuffer out) {
    int w = image.getWidth();
    int h = image.getHeight();
    int outW = Math.min(inputWidth, Math.round(w * scale));
    int outH = Math.min(inputHeight, Math.round(h * scale));
    Pixels.ByteLayout bytes = scale == 1f ? Pixels.byteLayout(image) : null;
    int[] argb = bytes == null ? Pixels.rgb(image) : null;
    float[] row = out.row();
    FloatBuffer floats = out.floats();
    int plane = inputWidth * inputHeight;
    for (int dy = 0; dy < outH; dy++) {
      if (bytes != null) {
        bytesRow(bytes, dy, row, inputWidth, outW);
      } else if (scale == 1f) {
        copyRow(argb, dy * w, row, inputWidth, outW);
      } else {
        sampleRow(argb, w, h, scale, dy, row, inputWidth, outW);
      }
      for (int c = 0; c < 3; c++) {
        Arrays.fill(row, c * inputWidth + outW, (c + 1) * inputWidth, 0f);
        floats.put(c * plane + dy * inputWidth, row, c * inputWidth, inputWidth);
      }
    }
    Arrays.fill(row, 0, inputWidth, 0f);
    for (int dy = outH; dy < inputHeight; dy++) {
      for (int c = 0; c < 3; c++) {
        floats.put(c * plane + dy * inputWidth, row, 0, inputWidth);
      }
    }
    return floats.slice(0, 3 * plane);
  }

  /**
   * Row {@code y} of a byte raster, its first {@code width} pixels, into {@code row} as three runs
   * of {@code stride} floats: blue, green, red.
   */
  private static void bytesRow(Pixels.ByteLayout bytes, int y, float[] row, int stride, int width) {
    byte[] data = bytes.data();
    int step = bytes.pixelStride();
    int red = bytes.red();
    int green = bytes.green();
    int blue = bytes.blue();
    int p = bytes.index(0, y);
    for (int x = 0; x < width; x++, p += step) {
      row[x] = data[p + blue] & 0xFF;
      row[stride + x] = data[p + green] & 0xFF;
      row[2 * stride + x] = data[p + red] & 0xFF;
    }
  }

  /** As {@link #bytesRow}, from packed pixels starting at {@code from}. */
  private static void copyRow(int[] argb, int from, float[] row, int stride, int width) {
    for (int x = 0; x < width; x++) {
      int pixel = argb[from + x];
      row[x] = pixel & 0xFF;
      row[stride + x] = (pixel >>> 8) & 0xFF;
      row[2 * stride + x] = (pixel >>> 16) & 0xFF;
    }
  }

  /** As {@link #copyRow}, each pixel sampled at its centre mapped back by {@code 1 / scale}. */
  private static void sampleRow(
      int[] argb, int w, int h, float scale, int dy, float[] row, int stride, int width) {
    float sy = clamp((dy + 0.5f) / scale - 0.5f, 0, h - 1);
    for (int dx = 0; dx < width; dx++) {
      float sx = clamp((dx + 0.5f) / scale - 0.5f, 0, w - 1);
      row[dx] = Bilinear.sample(argb, w, h, sx, sy, 0);
      row[stride + dx] = Bilinear.sample(argb, w, h, sx, sy, 8);
      row[2 * stride + dx] = Bilinear.sample(argb, w, h, sx, sy, 16);
    }
  }

  /** Maps a face from model-input coordinates back to the image by multiplying every coordinate. */
  static Face rescale(Face face, float factor) {
    float[] landmarks = face.landmarks();
    for (int i = 0; i < landmarks.length; i++) {
      landmarks[i] *= factor;
    }
    return new Face(
        face.x() * factor,
        face.y() * factor,
        face.width() * factor,
        face.height() * factor,
        face.score(),
        landmarks);
  }

  private static float clamp01(float v) {
    return clamp(v, 0f, 1f);
  }

  private static float clamp(float v, float lo, float hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static void requireInRange(String name, float value) {
    if (!(value >= 0f && value <= 1f)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
    }
  }

  private static String singleInputName(Map<String, long[]> inputs) {
    if (inputs.size() != 1) {
      throw new IllegalArgumentException("YuNet has one input, this model has " + inputs.keySet());
    }
    return inputs.keySet().iterator().next();
  }

  /** {@code float [1,3,H,W]}, or {@code uint8 [1,H,W,3]} when {@code bytes}. */
  private static void checkInputShape(long[] shape, boolean bytes) {
    int hAxis = bytes ? 1 : 2;
    int wAxis = bytes ? 2 : 3;
    boolean ok =
        shape.length == 4
            && (shape[0] == 1 || shape[0] < 0)
            && shape[bytes ? 3 : 1] == 3
            && (shape[hAxis] < 0) == (shape[wAxis] < 0)
            && (shape[hAxis] < 0 || shape[hAxis] % ALIGN == 0)
            && (shape[wAxis] < 0 || shape[wAxis] % ALIGN == 0);
    if (!ok) {
      throw new IllegalArgumentException(
          "YuNet input must be float [1,3,H,W] or uint8 [1,H,W,3], with H and W both multiples of"
              + " 32 or both dynamic, got "
              + (bytes ? "uint8 " : "")
              + Arrays.toString(shape));
    }
  }

  /** Checks that the twelve outputs decoded are there. */
  private static void checkOutputs(Map<String, long[]> outputs) {
    for (int stride : STRIDES) {
      for (String head : new String[] {"cls_", "obj_", "bbox_", "kps_"}) {
        if (!outputs.containsKey(head + stride)) {
          throw new IllegalArgumentException(
              "not a YuNet model: output "
                  + head
                  + stride
                  + " missing, outputs are "
                  + outputs.keySet());
        }
      }
    }
  }
}
