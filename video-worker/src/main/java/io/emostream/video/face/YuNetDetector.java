package io.emostream.video.face;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import io.emostream.inference.OrtModel;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * YuNet face detector (OpenCV Zoo {@code face_detection_yunet_2023mar.onnx}) on ONNX Runtime.
 *
 * <p>In: any {@link BufferedImage}. The model's input is 1x3xHxW, BGR, 0-255, no normalisation.
 * With the shipped copy whose H and W are dynamic ({@code
 * face_detection_yunet_2023mar_dynamic.onnx}, made by {@code models/yunet/resize_input.py}), each
 * frame runs at its own size rounded up to a multiple of 32: 640x384 for a 640x360 frame, where the
 * original fixed model runs 640x640, 1.67 times the pixels. A frame longer than 640 px is first
 * shrunk to 640 on its longest side. A fixed-size model (the original 640x640) gets every frame
 * shrunk to fit, keeping its aspect ratio. Either way a frame is never enlarged and is padded with
 * zeros at the right and bottom. This mirrors OpenCV's {@code FaceDetectorYN}, which runs YuNet at
 * the frame's own size padded to a multiple of 32 and so never interpolates a small frame. One
 * session serves every size (ONNX Runtime plans per shape). Out: faces in the original image's
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
 * only mutable state is one input buffer per thread ({@link InputBuffer}: direct, as large as the
 * largest input, 4.9 MB for 640x640, which was allocated per frame), which the tensor reads in
 * place until the run returns, so the class is safe to share between threads as far as ONNX
 * Runtime's {@code run} is.
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
  private final Set<String> outputNames;

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
    checkInputShape(shape);
    this.inputHeight = (int) shape[2];
    this.inputWidth = (int) shape[3];
    this.outputNames = checkOutputs(model.outputShapes());
    this.scoreThreshold = scoreThreshold;
    this.nmsThreshold = nmsThreshold;
    this.topK = topK;
    int largestWidth = inputWidth > 0 ? inputWidth : maxSide;
    int largestHeight = inputHeight > 0 ? inputHeight : maxSide;
    this.inputBuffer = ThreadLocal.withInitial(() -> InputBuffer.of(largestWidth, largestHeight));
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
    FloatBuffer input =
        toBgrInput(image, size.width(), size.height(), size.scale(), inputBuffer.get());
    List<Face> kept = nms(candidates(input, size), nmsThreshold, topK);
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
   * at (public for the bench's bare loop, which packs what the worker runs).
   */
  public static InputSize aspectSize(int width, int height, int maxSide) {
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
   * Runs the model on one packed input (exactly this frame's floats, direct, so the tensor reads
   * them in place) and decodes all three strides, before suppression.
   */
  private List<Face> candidates(FloatBuffer input, InputSize size) throws OrtException {
    long[] shape = {1, 3, size.height(), size.width()};
    List<Face> candidates = new ArrayList<>();
    OrtModel.Tensor tensor = env -> OnnxTensor.createTensor(env, input, shape);
    Map<String, OrtModel.Output> result = model.run(Map.of(inputName, tensor), outputNames);
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
   * at most 1, because enlarging adds interpolation the model was not run with in OpenCV (public
   * for the bench's bare loop, which packs what the worker runs).
   */
  public static float letterboxScale(int width, int height, int inputWidth, int inputHeight) {
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

  private static void checkInputShape(long[] shape) {
    boolean ok =
        shape.length == 4
            && (shape[0] == 1 || shape[0] < 0)
            && shape[1] == 3
            && (shape[2] < 0) == (shape[3] < 0)
            && (shape[2] < 0 || shape[2] % ALIGN == 0)
            && (shape[3] < 0 || shape[3] % ALIGN == 0);
    if (!ok) {
      throw new IllegalArgumentException(
          "YuNet input must be [1,3,H,W] with H and W both multiples of 32 or both dynamic, got "
              + Arrays.toString(shape));
    }
  }

  /** The twelve outputs decoded, each checked to be there. */
  private static Set<String> checkOutputs(Map<String, long[]> outputs) {
    Set<String> names = new LinkedHashSet<>();
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
        names.add(head + stride);
      }
    }
    return Set.copyOf(names);
  }
}
