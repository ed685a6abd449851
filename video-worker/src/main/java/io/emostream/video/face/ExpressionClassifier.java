package io.emostream.video.face;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.emostream.inference.ModelManifest;
import io.emostream.inference.ModelManifest.ChannelOrder;
import io.emostream.inference.ModelManifest.FaceInput;

/**
 * Facial-expression classifier on ONNX Runtime: the OpenCV Zoo MobileFaceNet (aligned 112x112 RGB) by
 * default, or any one-input one-output model whose face input a manifest describes
 * ({@link FaceInput}), such as mini-XCEPTION (64x64 grey box crop).
 *
 * <p>In: faces already cut by {@link FaceCropper} to the model's size. They are packed NCHW, each
 * channel {@code ((x * rescale + offset) - mean[c]) / std[c]}. Out: per face, probabilities over the
 * labels in the order given to the constructor (softmax applied when the model outputs logits).
 *
 * <p>Faces go through the model in runs of at most {@code maxBatch} when its batch dimension is
 * dynamic, else one face per run (the 2022july int8 MobileFaceNet is fixed at batch 1). The session
 * is owned by the caller; this class keeps no mutable state; every tensor and result is closed.
 */
public final class ExpressionClassifier {

    private final OrtSession session;
    private final String inputName;
    private final List<String> labels;
    private final FaceInput input;
    private final boolean logits;
    private final boolean dynamicBatch;
    private final int maxBatch;

    /** The MobileFaceNet set-up: aligned 112x112 RGB input, logits out, up to 32 faces per run. */
    public ExpressionClassifier(OrtSession session, List<String> labels) throws OrtException {
        this(session, labels, FaceInput.ALIGNED_112, true, 32);
    }

    /**
     * @param session a session on the expression model, owned by the caller
     * @param labels class names in the order of the model's output
     * @param input the face input the model takes
     * @param logits whether the output is logits (softmax applied) rather than probabilities
     * @param maxBatch the most faces per model run (1 = one run per face)
     * @throws IllegalArgumentException if the model's input is not {@code [N,channels,size,size]}, its
     *     output size differs from {@code labels.size()} or {@code maxBatch < 1}
     * @throws OrtException if the model metadata cannot be read
     */
    public ExpressionClassifier(OrtSession session, List<String> labels, FaceInput input, boolean logits,
                                int maxBatch) throws OrtException {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        this.session = session;
        this.labels = List.copyOf(labels);
        this.input = input;
        this.logits = logits;
        this.maxBatch = maxBatch;
        if (session.getNumInputs() != 1 || session.getNumOutputs() != 1) {
            throw new IllegalArgumentException("expected one input and one output, model has "
                    + session.getInputNames() + " -> " + session.getOutputNames());
        }
        this.inputName = session.getInputNames().iterator().next();
        long[] in = ((TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
        checkInputShape(in, input);
        this.dynamicBatch = in[0] < 0;
        long[] out = ((TensorInfo) session.getOutputInfo().values().iterator().next().getInfo()).getShape();
        checkOutputShape(out, this.labels.size());
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
     * Classifies several faces, {@link #runSize()} per model run.
     *
     * @param faces faces of the model's size
     * @return one probability vector per face, in input order
     * @throws OrtException if inference fails
     */
    public float[][] probabilities(List<BufferedImage> faces) throws OrtException {
        float[][] out = new float[faces.size()][];
        int step = runSize();
        for (int from = 0; from < faces.size(); from += step) {
            List<BufferedImage> chunk = faces.subList(from, Math.min(faces.size(), from + step));
            float[][] rows = run(chunk);
            System.arraycopy(rows, 0, out, from, rows.length);
        }
        return out;
    }

    private float[][] run(List<BufferedImage> faces) throws OrtException {
        long[] shape = {faces.size(), input.channels(), input.size(), input.size()};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(toInput(faces, input)), shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            FloatBuffer scores = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[][] out = new float[faces.size()][labels.size()];
            for (float[] row : out) {
                scores.get(row);
                if (logits) {
                    softmaxInPlace(row);
                }
            }
            return out;
        }
    }

    /** Packs 112x112 RGB faces as MobileFaceNet wants them (NCHW, scaled to [-1, 1]). */
    static float[] toInput(List<BufferedImage> faces) {
        return toInput(faces, FaceInput.ALIGNED_112);
    }

    /**
     * Packs faces into one NCHW tensor: per channel {@code ((x * rescale + offset) - mean[c]) / std[c]};
     * GRAY is {@code 0.299 R + 0.587 G + 0.114 B} (as OpenCV's {@code COLOR_BGR2GRAY}), one channel.
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

    /** Softmax of logits, computed stably (max subtracted). */
    static float[] softmax(float[] logits) {
        float[] p = logits.clone();
        softmaxInPlace(p);
        return p;
    }

    private static void softmaxInPlace(float[] v) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.exp(v[i] - max);
            sum += v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / sum);
        }
    }

    private static float scale(FaceInput input, int channel, float value) {
        return (float) (((value * input.rescale() + input.offset()) - input.mean(channel)) / input.std(channel));
    }

    private static int[] rgbOf(BufferedImage face, int size) {
        if (face.getWidth() != size || face.getHeight() != size) {
            throw new IllegalArgumentException("expected a " + size + "x" + size + " face, got "
                    + face.getWidth() + "x" + face.getHeight());
        }
        return Pixels.rgb(face);
    }

    private static void checkInputShape(long[] shape, FaceInput input) {
        int c = input.channels();
        int s = input.size();
        if (shape.length != 4 || shape[1] != c || (shape[2] >= 0 && shape[2] != s) || (shape[3] >= 0 && shape[3] != s)) {
            throw new IllegalArgumentException("expression model input must be [N," + c + "," + s + "," + s
                    + "] as its face input says, got " + Arrays.toString(shape));
        }
    }

    private static void checkOutputShape(long[] shape, int labelCount) {
        if (shape.length != 2 || (shape[1] >= 0 && shape[1] != labelCount)) {
            throw new IllegalArgumentException("expression model output must be [N," + labelCount
                    + "] to match the labels, got " + Arrays.toString(shape));
        }
    }
}
