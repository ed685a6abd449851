package io.emostream.video.face;

import ai.onnxruntime.OrtException;
import io.emostream.inference.BatchRunner;
import io.emostream.inference.ModelManifest.ChannelOrder;
import io.emostream.inference.ModelManifest.FaceInput;
import io.emostream.inference.ModelManifest.OutputKind;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Facial-expression classifier on ONNX Runtime: the OpenCV Zoo MobileFaceNet (aligned 112x112 RGB)
 * by default, or any one-input one-output model whose face input a manifest describes ({@link
 * FaceInput}), such as mini-XCEPTION (64x64 grey box crop).
 *
 * <p>In: faces already cut by {@link FaceCropper} to the model's size. They are packed NCHW, each
 * channel {@code ((x * rescale + offset) - mean[c]) / std[c]}. Out: per face, probabilities over
 * the labels in the order given to the constructor ({@link Probabilities#of}: softmax applied when
 * the model outputs logits).
 *
 * <p>Faces go through the model in runs of at most {@code maxBatch} when its batch dimension is
 * dynamic, else one face per run (the 2022july int8 MobileFaceNet is fixed at batch 1): {@link
 * #run} is one model run, {@link #runner} chunks and retries ({@link BatchRunner}). The model is
 * owned by the caller and run through {@link OrtModel#run}, which closes every tensor and result;
 * this class keeps no mutable state.
 */
public final class ExpressionClassifier {

  private final OrtModel model;
  private final String inputName;
  private final String outputName;
  private final List<String> labels;
  private final FaceInput input;
  private final OutputKind kind;
  private final boolean dynamicBatch;
  private final int maxBatch;
  private final BatchRunner<BufferedImage> runner;

  /** The MobileFaceNet set-up: aligned 112x112 RGB input, logits out, up to 32 faces per run. */
  public ExpressionClassifier(OrtModel model, List<String> labels) {
    this(model, labels, FaceInput.ALIGNED_112, true, 32);
  }

  /**
   * @param model the expression model, owned by the caller
   * @param labels class names in the order of the model's output
   * @param input the face input the model takes
   * @param logits whether the output is logits (softmax applied) rather than probabilities
   * @param maxBatch the most faces per model run (1 = one run per face)
   * @throws IllegalArgumentException if the model's input is not {@code [N,channels,size,size]},
   *     its output size differs from {@code labels.size()} or {@code maxBatch < 1}
   * @throws IllegalStateException if the model metadata cannot be read
   */
  public ExpressionClassifier(
      OrtModel model, List<String> labels, FaceInput input, boolean logits, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
    }
    this.model = model;
    this.labels = List.copyOf(labels);
    this.input = input;
    this.kind = logits ? OutputKind.LOGITS : OutputKind.PROBABILITIES;
    this.maxBatch = maxBatch;
    Map<String, long[]> inputs = model.inputShapes();
    Map<String, long[]> outputs = model.outputShapes();
    if (inputs.size() != 1 || outputs.size() != 1) {
      throw new IllegalArgumentException(
          "expected one input and one output, model has "
              + inputs.keySet()
              + " -> "
              + outputs.keySet());
    }
    this.inputName = inputs.keySet().iterator().next();
    this.outputName = outputs.keySet().iterator().next();
    long[] in = inputs.get(inputName);
    checkInputShape(in, input);
    this.dynamicBatch = in[0] < 0;
    checkOutputShape(outputs.get(outputName), this.labels.size());
    this.runner = new BatchRunner<>("model " + model.name(), runSize(), this::run);
  }

  /** The class names, in output order. */
  public List<String> labels() {
    return labels;
  }

  /** The face input this model takes. */
  public FaceInput input() {
    return input;
  }

  /** Whether the model takes several faces per run. */
  public boolean batched() {
    return dynamicBatch && maxBatch > 1;
  }

  /** Faces per model run: {@code maxBatch} for a dynamic batch dimension, else 1. */
  public int runSize() {
    return batched() ? maxBatch : 1;
  }

  /**
   * Classifies one face.
   *
   * @param face a face of the model's size from {@link FaceCropper}
   * @return probabilities in {@link #labels()} order, summing to 1
   * @throws OrtException if inference fails
   */
  public float[] probabilities(BufferedImage face) throws OrtException {
    return run(List.of(face))[0];
  }

  /**
   * Classifies several faces, {@link #runSize()} per model run ({@link #runner}).
   *
   * @param faces faces of the model's size
   * @return one probability vector per face, in input order
   * @throws Exception the first failure of a face, if any (a failed run is retried face by face)
   */
  public float[][] probabilities(List<BufferedImage> faces) throws Exception {
    return runner.runAll(faces);
  }

  /** Faces through the model {@link #runSize()} at a time, a failed run retried face by face. */
  public BatchRunner<BufferedImage> runner() {
    return runner;
  }

  /**
   * One model run over {@code faces}.
   *
   * @return one probability vector per face, in {@link #labels()} order
   * @throws OrtException if inference fails
   * @throws IllegalArgumentException if a face is not of the model's size or a row is not a
   *     distribution
   */
  public float[][] run(List<BufferedImage> faces) throws OrtException {
    long[] shape = {faces.size(), input.channels(), input.size(), input.size()};
    float[][] rows = model.run(inputName, toInput(faces, input), shape, outputName);
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != labels.size()) {
        throw new IllegalStateException(
            "model "
                + model.name()
                + " gave "
                + rows[i].length
                + " scores for "
                + labels.size()
                + " labels");
      }
      out[i] = Probabilities.of(rows[i], kind);
    }
    return out;
  }

  /** Packs 112x112 RGB faces as MobileFaceNet wants them (NCHW, scaled to [-1, 1]). */
  static float[] toInput(List<BufferedImage> faces) {
    return toInput(faces, FaceInput.ALIGNED_112);
  }

  /**
   * Packs faces into one NCHW tensor: per channel {@code ((x * rescale + offset) - mean[c]) /
   * std[c]}; GRAY is {@code 0.299 R + 0.587 G + 0.114 B} (as OpenCV's {@code COLOR_BGR2GRAY}), one
   * channel.
   */
  static float[] toInput(List<BufferedImage> faces, FaceInput input) {
    int plane = input.size() * input.size();
    int channels = input.channels();
    float[] out = new float[faces.size() * channels * plane];
    for (int n = 0; n < faces.size(); n++) {
      int[] rgb = rgbOf(faces.get(n), input.size());
      int base = n * channels * plane;
      for (int i = 0; i < plane; i++) {
        int r = (rgb[i] >>> 16) & 0xFF;
        int g = (rgb[i] >>> 8) & 0xFF;
        int b = rgb[i] & 0xFF;
        if (input.channelOrder() == ChannelOrder.GRAY) {
          out[base + i] = scale(input, 0, 0.299f * r + 0.587f * g + 0.114f * b);
        } else {
          boolean bgr = input.channelOrder() == ChannelOrder.BGR;
          out[base + i] = scale(input, 0, bgr ? b : r);
          out[base + plane + i] = scale(input, 1, g);
          out[base + 2 * plane + i] = scale(input, 2, bgr ? r : b);
        }
      }
    }
    return out;
  }

  private static float scale(FaceInput input, int channel, float value) {
    return (float)
        (((value * input.rescale() + input.offset()) - input.mean(channel)) / input.std(channel));
  }

  private static int[] rgbOf(BufferedImage face, int size) {
    if (face.getWidth() != size || face.getHeight() != size) {
      throw new IllegalArgumentException(
          "expected a "
              + size
              + "x"
              + size
              + " face, got "
              + face.getWidth()
              + "x"
              + face.getHeight());
    }
    return Pixels.rgb(face);
  }

  private static void checkInputShape(long[] shape, FaceInput input) {
    int c = input.channels();
    int s = input.size();
    if (shape.length != 4
        || shape[1] != c
        || (shape[2] >= 0 && shape[2] != s)
        || (shape[3] >= 0 && shape[3] != s)) {
      throw new IllegalArgumentException(
          "expression model input must be [N,"
              + c
              + ","
              + s
              + ","
              + s
              + "] as its face input says, got "
              + Arrays.toString(shape));
    }
  }

  private static void checkOutputShape(long[] shape, int labelCount) {
    if (shape.length != 2 || (shape[1] >= 0 && shape[1] != labelCount)) {
      throw new IllegalArgumentException(
          "expression model output must be [N,"
              + labelCount
              + "] to match the labels, got "
              + Arrays.toString(shape));
    }
  }
}
