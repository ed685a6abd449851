package io.emostream.inference;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Voice activity with Silero VAD v5 ({@code models/silero-vad/}), implementing the voiced-audio
 * contract that the speech model is trained on (training/audio does the same in Python; keep both
 * identical):
 *
 * <ul>
 *   <li>16 kHz mono; frames of {@value #FRAME} samples, the last partial frame zero-padded; each
 *       frame is fed with the previous {@value #CONTEXT} samples prepended (576 samples; zeros
 *       before the first frame), as Silero's own wrapper does; the recurrent {@code state} [2, 1,
 *       128] is carried from frame to frame. Each clip starts from the state that {@value
 *       #PRIMING_FRAMES} frames of digital silence (0.512 s) leave from zeros, as if the clip came
 *       after a pause ({@link #PRIMING_FRAMES} says why). The graph is either Silero's own, one
 *       frame per run, or the same weights taking all of a clip's frames in one run ({@link Form});
 *       they agree within float rounding.
 *   <li>A frame is voiced when its speech probability is {@code >= threshold}.
 *   <li>Voiced audio: the clip's samples of the voiced frames after dilating the voiced-frame mask
 *       by {@value #DILATION_FRAMES} frames (96 ms) on each side, concatenated in order. Voiced
 *       seconds: its length. A clip with fewer voiced seconds than {@code minSpeechSeconds} has no
 *       speech.
 * </ul>
 *
 * <p>The session is owned by this detector; it keeps no state between calls and is safe to share
 * between threads as far as ONNX Runtime's {@code run} is. The framing, mask, dilation and
 * concatenation are pure static functions.
 */
public final class SpeechDetector implements AutoCloseable {

  public static final int SAMPLE_RATE = 16_000;
  public static final int FRAME = 512;
  public static final int CONTEXT = 64;
  public static final int DILATION_FRAMES = 3;
  public static final int STATE_ROW = 128;

  /** Clips per model input of {@link #probabilitiesAll} (a worker's poll brings 8 by default). */
  static final int MAX_BATCH = 32;

  static final int STATE_SIZE = 2 * STATE_ROW;

  /**
   * Frames of digital silence (0.512 s) run from a zero state before every clip; the state they
   * leave is where each clip starts. Silero's state from zeros, fed a clip that begins in the
   * middle of loud speech (a fixed 4 s cut of a call), can stay at "no speech" for the whole clip:
   * RAVDESS Actor 06's angry takes back to back, cut 0.1 s in, scored 0.00 voiced seconds, 2.6 s
   * after a pause. Measured in Python with the same contract ({@code docs/models.md}: continuous
   * intense RAVDESS speech cut every 4 s, 5 of 248 clips under 0.5 voiced s unprimed, 1 primed; the
   * generated non-speech signals all stay under 0.5 s).
   */
  public static final int PRIMING_FRAMES = 16;

  /** Most frames per run of the sequence graph: 1024 (32.8 s). */
  public static final int MAX_STEPS = 1024;

  /**
   * The two graphs of Silero VAD v5 this detector runs: the stock one, one frame per run ({@code
   * input} [rows, 576], {@code state}, {@code sr}; {@code silero_vad_v5.onnx}), and the same
   * weights taking a run of frames per call ({@code frames} [rows, steps, 576], {@code state};
   * {@code silero_vad_v5_sequence.onnx}, the default, built and checked against the stock graph by
   * {@code training/audio/silero_sequence.py}). Both answer {@code output} and {@code stateN}.
   */
  enum Form {
    STEP(Set.of("input", "state", "sr")),
    SEQUENCE(Set.of("frames", "state"));

    final Set<String> inputs;

    Form(Set<String> inputs) {
      this.inputs = inputs;
    }

    /** The form whose inputs a model has; STEP (whose check then names what is wrong) otherwise. */
    static Form of(Set<String> inputs) {
      return inputs.equals(SEQUENCE.inputs) ? SEQUENCE : STEP;
    }
  }

  static final Set<String> OUTPUTS = Set.of("output", "stateN");

  private final OrtModel model;
  private final Form form;
  private final double threshold;
  private final double minSpeechSeconds;

  /**
   * The state {@value #PRIMING_FRAMES} frames of silence leave, [2, 1, 128]; every clip's start.
   */
  private final float[] primedState;

  /**
   * @param model a session on Silero VAD v5, owned by this detector from now on (closed with it)
   * @param threshold speech probability from which a frame is voiced, in (0, 1)
   * @param minSpeechSeconds voiced seconds below which a clip has no speech, >= 0
   */
  public SpeechDetector(OrtModel model, double threshold, double minSpeechSeconds) {
    this(model, threshold, minSpeechSeconds, PRIMING_FRAMES);
  }

  /**
   * As above, priming each clip's state on {@code primingFrames} frames of silence instead of
   * {@value #PRIMING_FRAMES} (0: from zeros, the contract before 2026-11-30, which the shipped
   * speech models' reference outputs were computed with).
   */
  public SpeechDetector(
      OrtModel model, double threshold, double minSpeechSeconds, int primingFrames) {
    if (primingFrames < 0) {
      throw new IllegalArgumentException("priming frames must be >= 0, got " + primingFrames);
    }
    if (!(threshold > 0 && threshold < 1)) {
      throw new IllegalArgumentException("VAD threshold must be in (0, 1), got " + threshold);
    }
    if (!(minSpeechSeconds >= 0)) {
      throw new IllegalArgumentException(
          "minimum speech seconds must be >= 0, got " + minSpeechSeconds);
    }
    this.form = Form.of(model.inputShapes().keySet());
    model.checkNames(form.inputs, OUTPUTS);
    this.model = model;
    this.threshold = threshold;
    this.minSpeechSeconds = minSpeechSeconds;
    try {
      this.primedState =
          primingFrames == 0
              ? new float[STATE_SIZE]
              : run(
                      new float[primingFrames * (CONTEXT + FRAME)],
                      1,
                      primingFrames,
                      new float[STATE_SIZE])
                  .state();
    } catch (OrtException e) {
      throw new IllegalStateException("the VAD model failed on silence: " + e.getMessage(), e);
    }
  }

  /** {@link #primedState} for each of {@code rows} rows: [2, rows, 128]. */
  private float[] primedStates(int rows) {
    float[] state = new float[2 * rows * STATE_ROW];
    for (int layer = 0; layer < 2; layer++) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(
            primedState, layer * STATE_ROW, state, (layer * rows + r) * STATE_ROW, STATE_ROW);
      }
    }
    return state;
  }

  /**
   * Opens the Silero ONNX file on the given device (CPU fallback as for every model) and checks its
   * interface.
   */
  public static SpeechDetector load(
      Path onnx, Device device, int threads, double threshold, double minSpeechSeconds) {
    return load(onnx, device, threads, threshold, minSpeechSeconds, PRIMING_FRAMES);
  }

  /** As above, priming on {@code primingFrames} frames of silence (tests of older references). */
  public static SpeechDetector load(
      Path onnx,
      Device device,
      int threads,
      double threshold,
      double minSpeechSeconds,
      int primingFrames) {
    OrtModel model = OrtModel.open("silero-vad", onnx, device, threads);
    try {
      return new SpeechDetector(model, threshold, minSpeechSeconds, primingFrames);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** What the detector found in one clip. */
  public record Speech(
      float[] probabilities, boolean[] voicedFrames, float[] voiced, boolean enough) {

    public double voicedSeconds() {
      return (double) voiced.length / SAMPLE_RATE;
    }
  }

  /** Runs the contract on one clip's 16 kHz mono samples. */
  public Speech detect(float[] samples) throws OrtException {
    return speech(samples, probabilities(samples));
  }

  /**
   * The contract's result for a clip whose frame probabilities are known ({@link #probabilities} or
   * {@link #probabilitiesAll}).
   */
  public Speech speech(float[] samples, float[] probabilities) {
    boolean[] voicedFrames = dilate(mask(probabilities, threshold), DILATION_FRAMES);
    float[] voiced = voicedAudio(samples, voicedFrames);
    return new Speech(
        probabilities, voicedFrames, voiced, voiced.length >= minSpeechSeconds * SAMPLE_RATE);
  }

  /**
   * {@link #probabilities} of several clips at once, one array per clip in order: clips of the same
   * frame count run together ({@link #batches}), up to {@value #MAX_BATCH} in one model input, each
   * clip a row with its own recurrent state. The rows are independent: each clip gets what it gets
   * alone, up to float rounding between batch sizes ({@code SpeechDetectorTest}). One {@link
   * OrtModel#guarded} call per batch.
   */
  public List<float[]> probabilitiesAll(List<float[]> clips) throws OrtException {
    float[][] out = new float[clips.size()][];
    for (Batch batch : batches(clips)) {
      float[][] rows = model.guarded(() -> runBatch(batch, clips));
      for (int r = 0; r < rows.length; r++) {
        out[batch.clips()[r]] = rows[r];
      }
    }
    return Arrays.asList(out);
  }

  private float[][] runBatch(Batch batch, List<float[]> clips) throws OrtException {
    int rows = batch.clips().length;
    float[] probabilities =
        run(batch.frames(clips), rows, batch.steps(), primedStates(rows)).probabilities();
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(probabilities, r * batch.steps(), (r + 1) * batch.steps());
    }
    return out;
  }

  /**
   * Clips that run in one model input: the same frame count ({@code steps}), at most {@value
   * #MAX_BATCH}; {@code clips} are indices into the list given, in its order.
   */
  public record Batch(int[] clips, int steps) {

    /**
     * The model input [rows, steps, 576], row r holding the frames of clip {@code clips()[r]} of
     * {@code all} ({@link #frameInput} each).
     */
    public float[] frames(List<float[]> all) {
      float[] frames =
          new float[Math.multiplyExact(Math.multiplyExact(clips.length, steps), CONTEXT + FRAME)];
      for (int r = 0; r < clips.length; r++) {
        for (int t = 0; t < steps; t++) {
          frameInto(all.get(clips[r]), t, frames, (r * steps + t) * (CONTEXT + FRAME));
        }
      }
      return frames;
    }
  }

  /**
   * The clips grouped by frame count, in order of first appearance, each group cut into batches of
   * at most {@value #MAX_BATCH}. Pure; the benchmark's bare loop runs the same batches.
   */
  public static List<Batch> batches(List<float[]> clips) {
    Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
    for (int i = 0; i < clips.size(); i++) {
      byLength.computeIfAbsent(frameCount(clips.get(i).length), k -> new ArrayList<>()).add(i);
    }
    List<Batch> out = new ArrayList<>();
    byLength.forEach(
        (steps, members) -> {
          for (int from = 0; from < members.size(); from += MAX_BATCH) {
            int[] rows =
                members.subList(from, Math.min(members.size(), from + MAX_BATCH)).stream()
                    .mapToInt(Integer::intValue)
                    .toArray();
            out.add(new Batch(rows, steps));
          }
        });
    return out;
  }

  /** Frame probabilities [rows * steps], row by row, and the state after the last step. */
  private record Run(float[] probabilities, float[] state) {}

  /**
   * Runs {@code steps} frames of {@code rows} signals from {@code state}: frames [rows, steps, 576]
   * as {@link Batch#frames} lays them out. The sequence graph takes up to {@value #MAX_STEPS} steps
   * per run (a long clip in several runs, so one clip cannot grow ONNX Runtime's memory without
   * bound), Silero's own graph one; each run starts from the previous run's {@code stateN}.
   */
  private Run run(float[] frames, int rows, int steps, float[] state) throws OrtException {
    int chunk = form == Form.SEQUENCE ? MAX_STEPS : 1;
    float[] probabilities = new float[rows * steps];
    for (int t0 = 0; t0 < steps; t0 += chunk) {
      int n = Math.min(chunk, steps - t0);
      float[] input = n == steps ? frames : steps(frames, rows, steps, t0, n);
      Map<String, OrtModel.Tensor> inputs =
          form == Form.SEQUENCE
              ? Map.of(
                  "frames", OrtModel.floats(input, new long[] {rows, n, CONTEXT + FRAME}),
                  "state", OrtModel.floats(state, new long[] {2, rows, STATE_ROW}))
              : Map.of(
                  "input", OrtModel.floats(input, new long[] {rows, CONTEXT + FRAME}),
                  "state", OrtModel.floats(state, new long[] {2, rows, STATE_ROW}),
                  "sr", OrtModel.scalar(SAMPLE_RATE));
      Map<String, OrtModel.Output> result = model.run(inputs, OUTPUTS);
      float[] output = checked(result.get("output").data(), rows * n, rows);
      state = checkedState(result, rows);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(output, r * n, probabilities, r * steps + t0, n);
      }
    }
    return new Run(probabilities, state);
  }

  /** Steps {@code [from, from + n)} of every row of frames [rows, steps, 576]: [rows, n, 576]. */
  private static float[] steps(float[] frames, int rows, int steps, int from, int n) {
    int width = CONTEXT + FRAME;
    float[] out = new float[rows * n * width];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(frames, (r * steps + from) * width, out, r * n * width, n * width);
    }
    return out;
  }

  private static float[] checked(float[] output, int expected, int rows) {
    if (output.length != expected) {
      throw new IllegalStateException(
          "VAD model returned "
              + output.length
              + " probabilities for a batch of "
              + rows
              + ", expected "
              + expected);
    }
    return output;
  }

  private static float[] checkedState(Map<String, OrtModel.Output> result, int rows) {
    float[] state = result.get("stateN").data();
    if (state.length != 2 * rows * STATE_ROW) {
      throw new IllegalStateException(
          "VAD model returned a state of "
              + state.length
              + " values for a batch of "
              + rows
              + ", expected "
              + 2 * rows * STATE_ROW);
    }
    return state;
  }

  /**
   * The speech probability of every frame ({@link #frameCount} of them), in one {@link
   * OrtModel#guarded} call, so a stop waits for the clip's last frame instead of failing it half
   * way.
   */
  public float[] probabilities(float[] samples) throws OrtException {
    return probabilitiesAll(List.of(samples)).get(0);
  }

  /** A new {@link Stream} on this detector's session, from the primed state, context zero. */
  public Stream stream() {
    return new Stream();
  }

  /**
   * The contract's frame probabilities of one continuous signal fed in pieces (a source as it is
   * demuxed): the recurrent state and the {@value #CONTEXT}-sample context go on from piece to
   * piece, so any split of a signal gives the probabilities {@link #probabilities} gives on the
   * whole. The frames a piece completes run together once its samples are in; {@link #flush} runs a
   * last partial one zero-padded. One per signal, used by one thread at a time.
   */
  public final class Stream {
    /** The frame being filled, after its {@value #CONTEXT} samples of context. */
    private final float[] input = new float[CONTEXT + FRAME];

    private float[] state = primedState.clone();
    private int filled;
    private long frames;

    private Stream() {}

    /**
     * Appends {@code samples[from, to)}; returns the probabilities of the frames they completed, in
     * order (none while a frame is still filling).
     */
    public float[] accept(float[] samples, int from, int to) throws OrtException {
      int complete = (filled + to - from) / FRAME;
      float[] batch = new float[complete * (CONTEXT + FRAME)];
      int n = 0;
      for (int at = from; at < to; ) {
        int take = Math.min(FRAME - filled, to - at);
        System.arraycopy(samples, at, input, CONTEXT + filled, take);
        filled += take;
        at += take;
        if (filled == FRAME) {
          System.arraycopy(input, 0, batch, n++ * (CONTEXT + FRAME), CONTEXT + FRAME);
          System.arraycopy(input, FRAME, input, 0, CONTEXT);
          filled = 0;
        }
      }
      return runFrames(batch, complete);
    }

    /** Runs the partial frame, zero-padded (the end of the signal); empty when there is none. */
    public float[] flush() throws OrtException {
      if (filled == 0) {
        return new float[0];
      }
      Arrays.fill(input, CONTEXT + filled, input.length, 0f);
      float[] frame = input.clone();
      System.arraycopy(input, FRAME, input, 0, CONTEXT);
      filled = 0;
      return runFrames(frame, 1);
    }

    /** Frames run so far. */
    public long frames() {
      return frames;
    }

    private float[] runFrames(float[] batch, int steps) throws OrtException {
      Run result = run(batch, 1, steps, state);
      state = result.state();
      frames += steps;
      return result.probabilities();
    }
  }

  /**
   * The contract's voiced seconds of a clip of {@code samples} samples, from its frame
   * probabilities.
   */
  public static double voicedSeconds(float[] probabilities, int samples, double threshold) {
    boolean[] voiced = dilate(mask(probabilities, threshold), DILATION_FRAMES);
    long n = 0;
    for (int i = 0; i < voiced.length; i++) {
      if (voiced[i]) {
        n += Math.min(samples, (i + 1) * FRAME) - (long) i * FRAME;
      }
    }
    return (double) n / SAMPLE_RATE;
  }

  /** Frames covering {@code samples} samples: the last partial frame counts (it is zero-padded). */
  static int frameCount(int samples) {
    return (samples + FRAME - 1) / FRAME;
  }

  /**
   * Frame {@code index}'s model input: the {@value #CONTEXT} samples before it (zeros before the
   * clip's start), then its {@value #FRAME} samples, zero-padded past the clip's end.
   */
  static float[] frameInput(float[] samples, int index) {
    float[] input = new float[CONTEXT + FRAME];
    frameInto(samples, index, input, 0);
    return input;
  }

  /**
   * {@link #frameInput} written into {@code out} from {@code offset}; the positions outside the
   * clip are left as they are (zero in a new array).
   */
  private static void frameInto(float[] samples, int index, float[] out, int offset) {
    int start = index * FRAME - CONTEXT;
    int from = Math.max(0, start);
    int to = Math.min(samples.length, start + CONTEXT + FRAME);
    if (to > from) {
      System.arraycopy(samples, from, out, offset + from - start, to - from);
    }
  }

  /** Frames whose probability is {@code >= threshold}. */
  static boolean[] mask(float[] probabilities, double threshold) {
    boolean[] mask = new boolean[probabilities.length];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = probabilities[i] >= threshold;
    }
    return mask;
  }

  /** Every frame within {@code frames} frames of a voiced one becomes voiced. */
  static boolean[] dilate(boolean[] mask, int frames) {
    boolean[] out = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      if (mask[i]) {
        Arrays.fill(out, Math.max(0, i - frames), Math.min(mask.length, i + frames + 1), true);
      }
    }
    return out;
  }

  /** The samples of the voiced frames, in order (the last frame only as far as the clip goes). */
  static float[] voicedAudio(float[] samples, boolean[] voicedFrames) {
    if (voicedFrames.length != frameCount(samples.length)) {
      throw new IllegalArgumentException(
          voicedFrames.length
              + " frame flags for "
              + samples.length
              + " samples ("
              + frameCount(samples.length)
              + " frames)");
    }
    float[] out = new float[samples.length];
    int n = 0;
    for (int i = 0; i < voicedFrames.length; i++) {
      if (voicedFrames[i]) {
        int from = i * FRAME;
        int to = Math.min(samples.length, from + FRAME);
        System.arraycopy(samples, from, out, n, to - from);
        n += to - from;
      }
    }
    return Arrays.copyOf(out, n);
  }

  public double threshold() {
    return threshold;
  }

  public double minSpeechSeconds() {
    return minSpeechSeconds;
  }

  @Override
  public void close() {
    model.close();
  }
}
