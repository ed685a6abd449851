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

/**
 * Facial-expression classifier for the OpenCV Zoo MobileFaceNet model
 * ({@code facial_expression_recognition_mobilefacenet_2022july_int8.onnx}) on ONNX Runtime.
 *
 * <p>In: faces already aligned to 112x112 by {@link FaceAligner}. They are fed as NCHW RGB floats
 * scaled {@code (x / 255 - 0.5) / 0.5}. Out: per face, softmax probabilities over the labels in the
 * order given to the constructor (the model's {@code labels.txt}).
 *
 * <p>A batch goes through the model in one run when its batch dimension is dynamic, else one face
 * per run (the 2022july int8 file is fixed at batch 1). The session is owned by the caller; this
 * class keeps no mutable state.
 */
public final class ExpressionClassifier {

    private final OrtSession session;
    private final String inputName;
    private final List<String> labels;
    private final boolean dynamicBatch;

    /**
     * @param session a session on the expression model, owned by the caller
     * @param labels class names in the order of the model's output
     * @throws IllegalArgumentException if the model's input is not {@code [N,3,112,112]} or its
     *     output size differs from {@code labels.size()}
     * @throws OrtException if the model metadata cannot be read
     */
    public ExpressionClassifier(OrtSession session, List<String> labels) throws OrtException {
        this.session = session;
        this.labels = List.copyOf(labels);
        if (session.getNumInputs() != 1 || session.getNumOutputs() != 1) {
            throw new IllegalArgumentException("expected one input and one output, model has "
                    + session.getInputNames() + " -> " + session.getOutputNames());
        }
        this.inputName = session.getInputNames().iterator().next();
        long[] in = ((TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
        checkInputShape(in);
        this.dynamicBatch = in[0] < 0;
        long[] out = ((TensorInfo) session.getOutputInfo().values().iterator().next().getInfo()).getShape();
        checkOutputShape(out, this.labels.size());
    }

    /** The class names, in output order. */
    public List<String> labels() {
        return labels;
    }

    /** Whether the model takes several faces per run. */
    public boolean batched() {
        return dynamicBatch;
    }

    /**
     * Classifies one aligned face.
     *
     * @param aligned112 a 112x112 face from {@link FaceAligner#align}
     * @return probabilities in {@link #labels()} order, summing to 1
     * @throws OrtException if inference fails
     */
    public float[] probabilities(BufferedImage aligned112) throws OrtException {
        return run(List.of(aligned112))[0];
    }

    /**
     * Classifies several aligned faces.
     *
     * @param batch 112x112 faces
     * @return one probability vector per face, in input order
     * @throws OrtException if inference fails
     */
    public float[][] probabilities(List<BufferedImage> batch) throws OrtException {
        if (dynamicBatch || batch.size() <= 1) {
            return batch.isEmpty() ? new float[0][] : run(batch);
        }
        float[][] out = new float[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            out[i] = run(List.of(batch.get(i)))[0];
        }
        return out;
    }

    private float[][] run(List<BufferedImage> faces) throws OrtException {
        long[] shape = {faces.size(), 3, FaceAligner.SIZE, FaceAligner.SIZE};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(toInput(faces)), shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            FloatBuffer logits = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[][] out = new float[faces.size()][labels.size()];
            for (float[] row : out) {
                logits.get(row);
                softmaxInPlace(row);
            }
            return out;
        }
    }

    /** Packs 112x112 images into one NCHW RGB tensor scaled to [-1, 1]. */
    static float[] toInput(List<BufferedImage> faces) {
        int plane = FaceAligner.SIZE * FaceAligner.SIZE;
        float[] out = new float[faces.size() * 3 * plane];
        for (int n = 0; n < faces.size(); n++) {
            int[] argb = rgbOf(faces.get(n));
            int base = n * 3 * plane;
            for (int i = 0; i < plane; i++) {
                out[base + i] = scale((argb[i] >>> 16) & 0xFF);
                out[base + plane + i] = scale((argb[i] >>> 8) & 0xFF);
                out[base + 2 * plane + i] = scale(argb[i] & 0xFF);
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

    private static float scale(int channel) {
        return (channel / 255f - 0.5f) / 0.5f;
    }

    private static int[] rgbOf(BufferedImage face) {
        if (face.getWidth() != FaceAligner.SIZE || face.getHeight() != FaceAligner.SIZE) {
            throw new IllegalArgumentException("expected a 112x112 aligned face, got "
                    + face.getWidth() + "x" + face.getHeight());
        }
        return Pixels.rgb(face);
    }

    private static void checkInputShape(long[] shape) {
        if (shape.length != 4 || shape[1] != 3 || shape[2] != FaceAligner.SIZE || shape[3] != FaceAligner.SIZE) {
            throw new IllegalArgumentException("expression model input must be [N,3,112,112], got "
                    + Arrays.toString(shape));
        }
    }

    private static void checkOutputShape(long[] shape, int labelCount) {
        if (shape.length != 2 || (shape[1] >= 0 && shape[1] != labelCount)) {
            throw new IllegalArgumentException("expression model output must be [N," + labelCount
                    + "] to match the labels, got " + Arrays.toString(shape));
        }
    }
}
