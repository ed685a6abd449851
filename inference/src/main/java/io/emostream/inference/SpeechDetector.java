package io.emostream.inference;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Voice activity with Silero VAD v5 ({@code models/silero-vad/}), implementing the voiced-audio
 * contract that the speech model is trained on (training/audio does the same in Python; keep both
 * identical):
 *
 * <ul>
 *   <li>16 kHz mono; frames of {@value #FRAME} samples, the last partial frame zero-padded; each
 *       frame is fed with the previous {@value #CONTEXT} samples prepended (input [1, 576]; zeros
 *       before the first frame), as Silero's own wrapper does; the recurrent {@code state} [2, 1,
 *       128] is carried from frame to frame, starting from zeros for each clip.
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

  /** Clips per lockstep run of {@link #probabilitiesAll} (a worker's poll brings 8 by default). */
  static final int MAX_BATCH = 32;

  static final int STATE_SIZE = 2 * STATE_ROW;
  static final Set<String> INPUTS = Set.of("input", "state", "sr");
  static final Set<String> OUTPUTS = Set.of("output", "stateN");

  private final OrtModel model;
  private final double threshold;
  private final double minSpeechSeconds;

  /**
   * @param model a session on Silero VAD v5, owned by this detector from now on (closed with it)
   * @param threshold speech probability from which a frame is voiced, in (0, 1)
   * @param minSpeechSeconds voiced seconds below which a clip has no speech, >= 0
   */
  public SpeechDetector(OrtModel model, double threshold, double minSpeechSeconds) {
    if (!(threshold > 0 && threshold < 1)) {
      throw new IllegalArgumentException("VAD threshold must be in (0, 1), got " + threshold);
    }
    if (!(minSpeechSeconds >= 0)) {
      throw new IllegalArgumentException(
          "minimum speech seconds must be >= 0, got " + minSpeechSeconds);
    }
    model.checkNames(INPUTS, OUTPUTS);
    this.model = model;
    this.threshold = threshold;
    this.minSpeechSeconds = minSpeechSeconds;
  }

  /**
   * Opens the Silero ONNX file on the given device (CPU fallback as for every model) and checks its
   * interface.
   */
  public static SpeechDetector load(
      Path onnx, Device device, int threads, double threshold, double minSpeechSeconds) {
    OrtModel model = OrtModel.open("silero-vad", onnx, device, threads);
    try {
      return new SpeechDetector(model, threshold, minSpeechSeconds);
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
   * {@link #probabilities} of several clips at once, one array per clip in order: the clips' frames
   * run in lockstep, frame {@code t} of every clip that has one in one model run of batch up to
   * {@value #MAX_BATCH}, each clip with its own row of the recurrent state. Silero's per-frame
   * compute is small and ONNX Runtime's per-run cost is not, so eight 4 s clips cost about half as
   * much as one by one. The rows are independent: each clip gets what it gets alone, up to float
   * rounding between batch sizes ({@code SpeechDetectorTest}). One {@link OrtModel#guarded} call
   * per batch.
   */
  public List<float[]> probabilitiesAll(List<float[]> clips) throws OrtException {
    List<float[]> out = new ArrayList<>(clips.size());
    for (int from = 0; from < clips.size(); from += MAX_BATCH) {
      List<float[]> chunk = clips.subList(from, Math.min(clips.size(), from + MAX_BATCH));
      out.addAll(model.guarded(() -> runLockstep(chunk)));
    }
    return out;
  }

  private List<float[]> runLockstep(List<float[]> clips) throws OrtException {
    Lockstep plan = Lockstep.of(clips);
    float[][] probabilities = new float[clips.size()][];
    for (int i = 0; i < clips.size(); i++) {
      probabilities[i] = new float[frameCount(clips.get(i).length)];
    }
    int rows = plan.steps() == 0 ? 0 : plan.rows(0);
    float[] state = new float[2 * rows * STATE_ROW];
    for (int t = 0; t < plan.steps(); t++) {
      int active = plan.rows(t);
      if (active < rows) {
        state = keepRows(state, rows, active);
        rows = active;
      }
      Map<String, OrtModel.Output> result =
          model.run(
              Map.of(
                  "input", OrtModel.floats(plan.input(t), new long[] {rows, CONTEXT + FRAME}),
                  "state", OrtModel.floats(state, new long[] {2, rows, STATE_ROW}),
                  "sr", OrtModel.scalar(SAMPLE_RATE)),
              OUTPUTS);
      state = result.get("stateN").data();
      float[] output = result.get("output").data();
      if (state.length != 2 * rows * STATE_ROW || output.length != rows) {
        throw new IllegalStateException(
            "VAD model returned a state of "
                + state.length
                + " values and "
                + output.length
                + " outputs for a batch of "
                + rows
                + ", expected "
                + 2 * rows * STATE_ROW
                + " and "
                + rows);
      }
      for (int r = 0; r < rows; r++) {
        probabilities[plan.clip(r)][t] = output[r];
      }
    }
    return Arrays.asList(probabilities);
  }

  /**
   * The frame steps of clips run together: the clips ordered longest first, so the clips that have
   * a frame {@code t} are always the first {@link #rows(int) rows(t)}; the input of step {@code t}
   * stacks their frame {@code t} ({@link #frameInput}) in that order. Pure; the benchmark's bare
   * loop runs the same steps.
   */
  public static final class Lockstep {
    private final List<float[]> clips;
    private final int[] order;

    private Lockstep(List<float[]> clips, int[] order) {
      this.clips = clips;
      this.order = order;
    }

    public static Lockstep of(List<float[]> clips) {
      int[] order =
          IntStream.range(0, clips.size())
              .boxed()
              .sorted(
                  Comparator.comparingInt((Integer i) -> frameCount(clips.get(i).length))
                      .reversed())
              .mapToInt(Integer::intValue)
              .toArray();
      return new Lockstep(List.copyOf(clips), order);
    }

    /** Frame steps: the longest clip's frame count. */
    public int steps() {
      return order.length == 0 ? 0 : frameCount(clips.get(order[0]).length);
    }

    /** Clips that have a frame {@code t}. */
    public int rows(int t) {
      int rows = order.length;
      while (rows > 0 && frameCount(clips.get(order[rows - 1]).length) <= t) {
        rows--;
      }
      return rows;
    }

    /** The clip (its index in the list given) whose frames are in row {@code row}. */
    public int clip(int row) {
      return order[row];
    }

    /** Step {@code t}'s input: [rows(t), 576], row r holding frame t of clip(r). */
    public float[] input(int t) {
      int rows = rows(t);
      float[] input = new float[rows * (CONTEXT + FRAME)];
      for (int r = 0; r < rows; r++) {
        frameInto(clips.get(order[r]), t, input, r * (CONTEXT + FRAME));
      }
      return input;
    }
  }

  /** The state [2, rows, 128] with only its first {@code keep} rows in each of the two layers. */
  public static float[] keepRows(float[] state, int rows, int keep) {
    float[] out = new float[2 * keep * STATE_ROW];
    for (int layer = 0; layer < 2; layer++) {
      System.arraycopy(
          state, layer * rows * STATE_ROW, out, layer * keep * STATE_ROW, keep * STATE_ROW);
    }
    return out;
  }

  /**
   * The speech probability of every frame ({@link #frameCount} of them). Each frame is one {@link
   * OrtModel#run}; the frames of a clip run inside one {@link OrtModel#guarded} call, so a stop
   * waits for the clip's last frame instead of failing it half way.
   */
  public float[] probabilities(float[] samples) throws OrtException {
    return model.guarded(() -> runFrames(samples));
  }

  private float[] runFrames(float[] samples) throws OrtException {
    Stream stream = stream();
    float[] head = stream.accept(samples, 0, samples.length);
    float[] tail = stream.flush();
    float[] probabilities = Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, probabilities, head.length, tail.length);
    return probabilities;
  }

  /** A new {@link Stream} on this detector's session, state and context zero. */
  public Stream stream() {
    return new Stream();
  }

  /**
   * The contract's frame probabilities of one continuous signal fed in pieces (a source as it is
   * demuxed): the recurrent state and the {@value #CONTEXT}-sample context go on from piece to
   * piece, so any split of a signal gives the probabilities {@link #probabilities} gives on the
   * whole. A frame is run once its {@value #FRAME} samples are in; {@link #flush} runs a last
   * partial one zero-padded. One per signal, used by one thread at a time.
   */
  public final class Stream {
    private final float[] input = new float[CONTEXT + FRAME];
    private float[] state = new float[STATE_SIZE];
    private int filled;
    private long frames;

    private Stream() {}

    /**
     * Appends {@code samples[from, to)}; returns the probabilities of the frames they completed, in
     * order (none while a frame is still filling).
     */
    public float[] accept(float[] samples, int from, int to) throws OrtException {
      float[] out = new float[(filled + to - from) / FRAME];
      int n = 0;
      for (int at = from; at < to; ) {
        int take = Math.min(FRAME - filled, to - at);
        System.arraycopy(samples, at, input, CONTEXT + filled, take);
        filled += take;
        at += take;
        if (filled == FRAME) {
          out[n++] = runFrame();
        }
      }
      return out;
    }

    /** Runs the partial frame, zero-padded (the end of the signal); empty when there is none. */
    public float[] flush() throws OrtException {
      if (filled == 0) {
        return new float[0];
      }
      Arrays.fill(input, CONTEXT + filled, input.length, 0f);
      return new float[] {runFrame()};
    }

    /** Frames run so far. */
    public long frames() {
      return frames;
    }

    private float runFrame() throws OrtException {
      Map<String, OrtModel.Output> result =
          model.run(
              Map.of(
                  "input", OrtModel.floats(input, new long[] {1, CONTEXT + FRAME}),
                  "state", OrtModel.floats(state, new long[] {2, 1, 128}),
                  "sr", OrtModel.scalar(SAMPLE_RATE)),
              OUTPUTS);
      state = result.get("stateN").data();
      if (state.length != STATE_SIZE) {
        throw new IllegalStateException(
            "VAD model returned a state of " + state.length + " values, expected " + STATE_SIZE);
      }
      System.arraycopy(input, FRAME, input, 0, CONTEXT);
      filled = 0;
      frames++;
      return result.get("output").data()[0];
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
