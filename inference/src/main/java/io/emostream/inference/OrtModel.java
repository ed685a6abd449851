package io.emostream.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session for one model, created once per process at start-up and checked against
 * its manifest there (input and output names, class count), so a wrong model fails at start, not at
 * the first message. {@link #run} is thread-safe (ONNX Runtime sessions are), tensors are closed.
 *
 * <p>Device: CUDA when asked for and it loads, otherwise CPU with a WARN line saying why. ONNX
 * Runtime lists CUDA as available in the GPU build even on a machine without a GPU, so the only
 * real test is creating the session with the CUDA provider.
 *
 * <p>Every native call on the session passes two {@link OrtGuard}s: the model's own, which {@link
 * #close} shuts (waiting for runs in flight) before it frees the session, and the process's ({@link
 * OrtGuard#process()}), which {@link OrderlyStop} shuts before the JVM's shutdown hooks free the
 * environment. A call after either is shut fails with {@link OrtGuard.Closed} instead of touching
 * freed native memory.
 *
 * <p>This is the one place in the project that runs an ONNX Runtime session: the emotion models
 * ({@link #probabilities}), the face detector and expression classifier, and the voice-activity
 * detector all call {@link #run(Map, Set)} or {@link #run(String, float[], long[], String)}; the
 * session itself never leaves this class. A caller that must make several runs without a stop in
 * between (the VAD's frames of one clip) wraps them in {@link #guarded}.
 *
 * <p>Over 300 lines: it is the only class that runs a session, so its start-up checks against the
 * manifest, the native guard and the runs live together.
 */
public final class OrtModel implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OrtModel.class);

  /** How long {@link #close} waits for runs in flight: longer than any one model run takes here. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

  private final String name;

  /**
   * Null for a model opened without a manifest of its own ({@link #open(String, Path, Device,
   * int)}).
   */
  private final ModelManifest manifest;

  private final OrtEnvironment env;
  private final OrtSession session;
  private final Device device;
  private final OrtGuard guard;
  private final AtomicBoolean freed = new AtomicBoolean();

  /** Each thread's direct input buffers, by input name ({@link #floats}). */
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  private OrtModel(
      String name, ModelManifest manifest, OrtEnvironment env, OrtSession session, Device device) {
    this.name = name;
    this.manifest = manifest;
    this.env = env;
    this.session = session;
    this.device = device;
    this.guard = new OrtGuard("model " + name);
  }

  /** Loads the manifest's model from {@code modelDir}. */
  public static OrtModel load(Path manifestFile, Device requested, int intraOpThreads) {
    ModelManifest manifest = ModelManifest.load(manifestFile);
    Path onnx = manifestFile.toAbsolutePath().getParent().resolve(manifest.file());
    OrtModel model = open(manifest, onnx, requested, intraOpThreads);
    model.checkSignature(
        manifest.input().name(), manifest.output().name(), manifest.labels().size());
    return model;
  }

  /** Opens any ONNX file with the same device policy (e.g. a face detector named by a manifest). */
  public static OrtModel open(
      ModelManifest manifest, Path onnx, Device requested, int intraOpThreads) {
    return open(manifest.name(), manifest, onnx, requested, intraOpThreads);
  }

  /**
   * Opens a model that is not an emotion model and has no manifest (a voice-activity detector),
   * with the same device policy; {@code name} names it in logs and errors, {@link #manifest()} is
   * null. The caller checks its inputs and outputs ({@link #checkNames}).
   */
  public static OrtModel open(String name, Path onnx, Device requested, int intraOpThreads) {
    if (!Files.isRegularFile(onnx)) {
      throw new IllegalStateException("model " + name + ": no such ONNX file " + onnx);
    }
    return open(name, null, onnx, requested, intraOpThreads);
  }

  private static OrtModel open(
      String name, ModelManifest manifest, Path onnx, Device requested, int intraOpThreads) {
    OrtEnvironment env = environment();
    if (requested == Device.CUDA) {
      try {
        OrtSession session = createSession(env, onnx, Device.CUDA, intraOpThreads);
        LOG.info("model {} ({}) runs on CUDA", name, onnx.getFileName());
        return new OrtModel(name, manifest, env, session, Device.CUDA);
      } catch (OrtException | RuntimeException | LinkageError e) {
        LOG.warn(
            "model {}: CUDA was asked for but could not be used ({}); falling back to CPU. Available providers: {}",
            name,
            e.getMessage(),
            availableProviders());
      }
    }
    try {
      OrtSession session = createSession(env, onnx, Device.CPU, intraOpThreads);
      LOG.info("model {} ({}) runs on CPU", name, onnx.getFileName());
      return new OrtModel(name, manifest, env, session, Device.CPU);
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load ONNX model " + onnx + ": " + e.getMessage(), e);
    }
  }

  /**
   * The process-wide ONNX Runtime environment, created on a large-stack thread: ONNX Runtime 1.29's
   * environment creation recurses over the process command line, and a long one (an 8000-character
   * {@code -cp}, as a child JVM started with the full test class path has) overflows a default 1
   * MiB thread stack and kills the JVM with a bare SIGSEGV (core dump: ~12 000 frames under {@code
   * OrtEnvironment.createHandle}).
   *
   * <p>Telemetry is switched off: the Linux build of ONNX Runtime 1.29 carries Microsoft's 1DS
   * telemetry client (it writes {@code mat-debug-<pid>.log} and {@code .ses} to {@code $TMPDIR}
   * when the environment is created); nothing about a customer's call is to leave the process
   * through it.
   */
  static OrtEnvironment environment() {
    // every process that runs a model removes what ONNX Runtime extracts to $TMPDIR when it exits
    // (the workers' own mains left an onnxruntime-java folder and mat-debug log per run; found by
    // helper-48); it was installed by the embedded platform only
    OrtTempDir.deleteOnExit();
    try {
      return onNativeStack(
          "onnx-environment-init",
          () -> {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            env.setTelemetry(false);
            return env;
          });
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("interrupted while starting ONNX Runtime", e);
    }
  }

  /**
   * Session creation optimises the graph in native code on the calling thread: give it a large
   * stack too. The options are closed once the session is made (the session keeps its own copy),
   * also when it fails.
   */
  private static OrtSession createSession(
      OrtEnvironment env, Path onnx, Device device, int intraOpThreads) throws OrtException {
    try {
      return onNativeStack(
          "onnx-session-init",
          () -> {
            try (OrtSession.SessionOptions options = options(device, intraOpThreads)) {
              return env.createSession(onnx.toString(), options);
            }
          });
    } catch (OrtException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("interrupted while loading " + onnx, e);
    }
  }

  /**
   * Runs {@code call} under the process's native guard ({@link OrtGuard}) on a thread named {@code
   * thread} with a large stack ({@link NativeStack}): how ONNX Runtime is started and a model
   * loaded.
   */
  private static <T> T onNativeStack(String thread, OrtGuard.NativeCall<T> call) throws Exception {
    return NativeStack.call(() -> OrtGuard.process().call(call), thread);
  }

  private static OrtSession.SessionOptions options(Device device, int intraOpThreads)
      throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
      }
      if (device == Device.CUDA) {
        options.addCUDA(0);
      }
      return options;
    } catch (OrtException | RuntimeException | LinkageError e) {
      options.close();
      throw e;
    }
  }

  private static Set<OrtProvider> availableProviders() {
    try {
      return OrtEnvironment.getAvailableProviders();
    } catch (RuntimeException e) {
      return Set.of();
    }
  }

  /**
   * Fails unless the model has exactly the named inputs and at least the named outputs, naming what
   * differs (for a model without a manifest, whose interface its caller knows).
   */
  public void checkNames(Set<String> inputNames, Set<String> outputNames) {
    try {
      Set<String> inputs = guarded(session::getInputInfo).keySet();
      Set<String> outputs = guarded(session::getOutputInfo).keySet();
      if (!inputs.equals(inputNames) || !outputs.containsAll(outputNames)) {
        throw new IllegalStateException(
            "model "
                + name
                + " has inputs "
                + inputs
                + " and outputs "
                + outputs
                + "; expected inputs "
                + inputNames
                + " and outputs "
                + outputNames);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot inspect model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless the model has the named input and output and (if known) {@code classes} outputs.
   */
  public void checkSignature(String inputName, String outputName, int classes) {
    try {
      Map<String, NodeInfo> inputs = guarded(session::getInputInfo);
      Map<String, NodeInfo> outputs = guarded(session::getOutputInfo);
      if (!inputs.containsKey(inputName)) {
        throw new IllegalStateException(
            "model " + name + " has no input '" + inputName + "'; it has " + inputs.keySet());
      }
      if (!outputs.containsKey(outputName)) {
        throw new IllegalStateException(
            "model " + name + " has no output '" + outputName + "'; it has " + outputs.keySet());
      }
      if (classes > 0 && outputs.get(outputName).getInfo() instanceof TensorInfo info) {
        long[] shape = info.getShape();
        long last = shape[shape.length - 1];
        if (last > 0 && last != classes) {
          throw new IllegalStateException(
              "model "
                  + name
                  + " outputs "
                  + last
                  + " classes but its manifest lists "
                  + classes
                  + " labels");
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot inspect model " + name + ": " + e.getMessage(), e);
    }
  }

  /** Input shape as the model declares it (-1 for a dynamic dimension). */
  public long[] inputShape(String inputName) {
    long[] shape = inputShapes().get(inputName);
    if (shape == null) {
      throw new IllegalStateException("model " + name + " has no input '" + inputName + "'");
    }
    return shape;
  }

  /**
   * Every input's shape as the model declares it (-1 for a dynamic dimension), in the model's input
   * order.
   */
  public Map<String, long[]> inputShapes() {
    try {
      return shapes(guarded(session::getInputInfo));
    } catch (OrtException e) {
      throw new IllegalStateException("cannot inspect model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The element type of the named input as the model declares it (e.g. {@code FLOAT}, {@code
   * UINT8}); null for an input that is not a tensor.
   *
   * @throws IllegalStateException if the model has no such input
   */
  public OnnxJavaType inputType(String inputName) {
    try {
      NodeInfo info = guarded(session::getInputInfo).get(inputName);
      if (info == null) {
        throw new IllegalStateException("model " + name + " has no input '" + inputName + "'");
      }
      return info.getInfo() instanceof TensorInfo t ? t.type : null;
    } catch (OrtException e) {
      throw new IllegalStateException("cannot inspect model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every output's shape as the model declares it (-1 for a dynamic dimension), in the model's
   * output order.
   */
  public Map<String, long[]> outputShapes() {
    try {
      return shapes(guarded(session::getOutputInfo));
    } catch (OrtException e) {
      throw new IllegalStateException("cannot inspect model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Tensor shapes by name; a value that is not a tensor (a map, a sequence) has the empty shape.
   */
  private static Map<String, long[]> shapes(Map<String, NodeInfo> infos) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    infos.forEach(
        (key, info) ->
            shapes.put(key, info.getInfo() instanceof TensorInfo t ? t.getShape() : new long[0]));
    return Collections.unmodifiableMap(shapes);
  }

  /** An input tensor, made in native memory for one run and closed after it. */
  @FunctionalInterface
  public interface Tensor {
    OnnxTensor create(OrtEnvironment env) throws OrtException;
  }

  /**
   * A float tensor of {@code shape} over {@code data} (row-major). {@link #run} copies it into a
   * direct buffer of its own thread and input, reused run after run: ONNX Runtime reads a direct
   * buffer in place, and for a heap array it would allocate a new direct buffer on every run (two
   * per Silero step, 125 steps per clip).
   */
  public static Tensor floats(float[] data, long[] shape) {
    return new Floats(data, shape);
  }

  /** {@link #floats}: the values and shape, made a tensor by {@link #run}. */
  record Floats(float[] data, long[] shape) implements Tensor {
    @Override
    public OnnxTensor create(OrtEnvironment env) throws OrtException {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
    }
  }

  /** A scalar int64 tensor (e.g. a sample rate). */
  public static Tensor scalar(long value) {
    return env -> OnnxTensor.createTensor(env, value);
  }

  /**
   * One thread's direct, native-order input buffers, one per input name, and pinned output buffers,
   * one per output name, each grown to the largest seen (to the next power of two). A buffer is
   * refilled only by its own thread's next run, after the tensor over it is closed.
   */
  static final class Scratch {
    private final Map<String, FloatBuffer> buffers = new HashMap<>();
    private final Map<String, FloatBuffer> outputs = new HashMap<>();

    /**
     * The output buffer of {@code output}, {@code elements} floats from position 0, which ONNX
     * Runtime writes a pinned output into ({@link #runPinned}).
     */
    FloatBuffer output(String output, int elements) {
      FloatBuffer buffer = grown(outputs, output, elements);
      buffer.clear();
      return buffer.limit(elements);
    }

    /** The buffer of {@code input} holding exactly {@code data}, from position 0. */
    FloatBuffer fill(String input, float[] data) {
      FloatBuffer buffer = grown(buffers, input, data.length);
      buffer.clear();
      buffer.put(data);
      return buffer.flip();
    }

    /** The buffer of {@code name} in {@code buffers}, replaced by a larger one when too small. */
    private static FloatBuffer grown(Map<String, FloatBuffer> buffers, String name, int elements) {
      FloatBuffer buffer = buffers.get(name);
      if (buffer == null || buffer.capacity() < elements) {
        int capacity = Integer.highestOneBit(Math.max(1, elements - 1)) << 1;
        buffer =
            ByteBuffer.allocateDirect(Math.max(elements, capacity) * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        buffers.put(name, buffer);
      }
      return buffer;
    }
  }

  /** A float output copied out of native memory: its values (row-major) and its shape. */
  public record Output(float[] data, long[] shape) {

    /**
     * The output as rows [batch][classes]: a matrix as it is, a vector as one row.
     *
     * @throws IllegalStateException for any other rank
     */
    public float[][] rows(String what) {
      if (shape.length == 1) {
        return new float[][] {data};
      }
      if (shape.length != 2) {
        throw new IllegalStateException(what + " is not a float matrix");
      }
      int n = Math.toIntExact(shape[0]);
      int width = Math.toIntExact(shape[1]);
      float[][] rows = new float[n][width];
      for (int i = 0; i < n; i++) {
        System.arraycopy(data, i * width, rows[i], 0, width);
      }
      return rows;
    }
  }

  /**
   * One run of the session: the inputs by name, the named float outputs copied out. Every tensor
   * and the result are closed before it returns; the run passes {@link #guarded}.
   *
   * @throws IllegalStateException if an asked-for output is missing or not a float tensor
   */
  public Map<String, Output> run(Map<String, Tensor> inputs, Set<String> outputNames)
      throws OrtException {
    return guarded(() -> runUnguarded(inputs, outputNames, Map.of()));
  }

  /**
   * As {@link #run}, for outputs whose shapes the caller knows before the run: ONNX Runtime writes
   * each straight into a direct buffer of this thread ("pinned" outputs), from which it is copied
   * in bulk. {@link #run} reads an output through {@code OnnxTensor.getFloatBuffer()}, whose copy
   * into a heap buffer goes float by float on JDK 17 ({@code HeapFloatBuffer.put(FloatBuffer)}):
   * about 0.5 ms for YuNet's largest output (38,400 floats) against 7 µs in bulk.
   *
   * @param outputShapes the outputs wanted and the shape each will have
   * @throws OrtException if inference fails, e.g. when an output's shape is not the one given
   */
  public Map<String, Output> runPinned(Map<String, Tensor> inputs, Map<String, long[]> outputShapes)
      throws OrtException {
    return guarded(() -> runUnguarded(inputs, outputShapes.keySet(), outputShapes));
  }

  private Map<String, Output> runUnguarded(
      Map<String, Tensor> inputs, Set<String> outputNames, Map<String, long[]> pinnedShapes)
      throws OrtException {
    List<OnnxTensor> created = new ArrayList<>(inputs.size() + pinnedShapes.size());
    try {
      Map<String, OnnxTensor> feed = new HashMap<>();
      for (Map.Entry<String, Tensor> input : inputs.entrySet()) {
        OnnxTensor tensor =
            input.getValue() instanceof Floats floats
                ? OnnxTensor.createTensor(
                    env, scratch.get().fill(input.getKey(), floats.data()), floats.shape())
                : input.getValue().create(env);
        created.add(tensor);
        feed.put(input.getKey(), tensor);
      }
      if (!pinnedShapes.isEmpty()) {
        Map<String, OnnxTensor> pinned = new HashMap<>();
        Map<String, FloatBuffer> buffers = new HashMap<>();
        for (Map.Entry<String, long[]> output : pinnedShapes.entrySet()) {
          FloatBuffer buffer =
              scratch
                  .get()
                  .output(
                      output.getKey(),
                      Math.toIntExact(
                          Arrays.stream(output.getValue()).reduce(1, Math::multiplyExact)));
          OnnxTensor tensor = OnnxTensor.createTensor(env, buffer, output.getValue());
          created.add(tensor);
          pinned.put(output.getKey(), tensor);
          buffers.put(output.getKey(), buffer);
        }
        try (OrtSession.Result result = session.run(feed, pinned)) {
          Map<String, Output> outputs = new HashMap<>();
          buffers.forEach(
              (name, buffer) -> {
                float[] data = new float[buffer.remaining()];
                buffer.get(0, data);
                outputs.put(name, new Output(data, pinnedShapes.get(name).clone()));
              });
          return outputs;
        }
      }
      try (OrtSession.Result result = session.run(feed, outputNames)) {
        Map<String, Output> outputs = new HashMap<>();
        for (String outputName : outputNames) {
          outputs.put(outputName, floatOutput(result, outputName));
        }
        return outputs;
      }
    } finally {
      created.forEach(OnnxTensor::close);
    }
  }

  private Output floatOutput(OrtSession.Result result, String outputName) {
    OnnxValue value =
        result
            .get(outputName)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "model " + name + " returned no output '" + outputName + "'"));
    if (!(value instanceof OnnxTensor tensor) || tensor.getInfo().type != OnnxJavaType.FLOAT) {
      throw new IllegalStateException(
          "model " + name + " output '" + outputName + "' is not a float tensor");
    }
    FloatBuffer buffer = tensor.getFloatBuffer();
    float[] data = new float[buffer.remaining()];
    buffer.get(data);
    return new Output(data, tensor.getInfo().getShape());
  }

  /** Runs the model on one float tensor and returns the named output as rows [batch][classes]. */
  public float[][] run(String inputName, float[] data, long[] shape, String outputName)
      throws OrtException {
    return run(Map.of(inputName, floats(data, shape)), Set.of(outputName))
        .get(outputName)
        .rows("model " + name + " output '" + outputName + "'");
  }

  /** Runs the manifest's input and output; applies softmax when the output holds logits. */
  public float[][] probabilities(float[] data, long[] shape) throws OrtException {
    float[][] rows = run(manifest.input().name(), data, shape, manifest.output().name());
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = Probabilities.of(rows[i], manifest.output().kind());
    }
    return out;
  }

  /**
   * Runs native code on this model's session (and the environment) while neither this model nor the
   * process's ONNX Runtime is closed; {@link #close} and {@link OrderlyStop} wait for it to return.
   * Runs nest: a caller may wrap several {@link #run}s in one call so that a stop waits for all of
   * them.
   *
   * @throws OrtGuard.Closed if the model or the process's ONNX Runtime is closed
   */
  public <T> T guarded(OrtGuard.NativeCall<T> call) throws OrtException {
    return OrtGuard.process().call(() -> guard.call(call));
  }

  /** The model's manifest; null for a model opened by name without one. */
  public ModelManifest manifest() {
    return manifest;
  }

  public String name() {
    return name;
  }

  public Device device() {
    return device;
  }

  /**
   * Refuses new runs, waits for those in flight (up to {@link #CLOSE_WAIT}), then frees the
   * session; a second close does nothing. After the process's ONNX Runtime is closed the session is
   * left to the environment's own release.
   */
  @Override
  public void close() {
    if (guard.isClosed()) {
      return;
    }
    if (!guard.close(CLOSE_WAIT)) {
      LOG.warn(
          "model {}: a run was still going after {}; its session is not freed", name, CLOSE_WAIT);
      return;
    }
    if (!freed.compareAndSet(false, true)) {
      return;
    }
    try {
      OrtGuard.process()
          .call(
              () -> {
                session.close();
                return null;
              });
    } catch (OrtGuard.Closed e) {
      LOG.debug("model {}: ONNX Runtime is already closed, the session goes with it", name);
    } catch (OrtException e) {
      LOG.warn("closing model {} failed", name, e);
    }
  }
}
