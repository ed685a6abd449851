package io.emostream.audio;

import io.emostream.audio.features.FeatureExtractor;
import io.emostream.inference.BatchRunner;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.NonSpeechSignals;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.Stopwatch;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * AudioSegment → speech-emotion posterior. The clip's DC offset is removed first ({@link
 * AudioPreprocessor#removeDcOffset}). With a {@link SpeechDetector} (the default, EMOSTREAM_VAD=on)
 * only the clip's voiced audio goes on, and a clip with too little of it is NO_SPEECH, with no
 * distribution; without one (EMOSTREAM_VAD=off) the whole clip goes on unless it is quieter than
 * {@link #SILENCE_RMS}, then NO_SPEECH. A missing or too short track (under the manifest's {@code
 * minSeconds}) is NO_AUDIO: ingest sends an empty segment for a clip with frames but no audio (a
 * video without an audio track, or past its end). What goes on is cut into the model's windows
 * (never cut short: see {@link AudioPreprocessor#windows}), each window normalised as its manifest
 * asks and run either as a [1, samples] waveform tensor or, for a model whose manifest names {@code
 * features}, as a log-mel or MFCC tensor in the manifest's layout ({@link FeatureExtractor}); the
 * windows go through the model by the {@link BatchRunner}, one window per run (windows differ in
 * length: the last one takes the remainder), and their posteriors are averaged.
 */
public final class AudioPredictor implements ClipPredictor {

  /** The NO_AUDIO reason of a clip without audio samples. */
  public static final String NO_TRACK =
      "no audio in this segment (the source has no audio track, or it ended before the segment)";

  /**
   * Without voice-activity detection, a clip below this RMS (about -60 dBFS) counts as silent: no
   * speech to judge. With it, the detector alone decides (a quiet but real voice is still speech;
   * digital silence has no voiced frame).
   */
  static final double SILENCE_RMS = 0.001;

  private final OrtModel model;
  private final ModelManifest.Audio audio;

  /** Null for a waveform model. */
  private final FeatureExtractor features;

  /** Null: no voice-activity gating. */
  private final SpeechDetector detector;

  /** The clips' topic: its serde decodes them. */
  private final Topics.Topic<AudioSegment> input;

  private final BatchRunner<Window> runner;

  private final boolean removeDcOffset;

  /** Without voice-activity gating (the model sees the whole clip). */
  public AudioPredictor(OrtModel model) {
    this(model, null);
  }

  /**
   * @param detector voice activity; null runs the model on the whole clip (EMOSTREAM_VAD=off)
   */
  public AudioPredictor(OrtModel model, SpeechDetector detector) {
    this(model, detector, Topics.defaults().audio());
  }

  /**
   * @param detector voice activity; null runs the model on the whole clip (EMOSTREAM_VAD=off)
   * @param input the topic the clips come from, whose serde decodes them
   */
  public AudioPredictor(OrtModel model, SpeechDetector detector, Topics.Topic<AudioSegment> input) {
    this(model, detector, input, true);
  }

  /**
   * As the models' training references were computed: the clip's DC offset kept. Only to check the
   * Java path against those references ({@code ShippedSpeechModelTest}); the worker removes it.
   */
  public static AudioPredictor keepingDcOffset(OrtModel model, SpeechDetector detector) {
    return new AudioPredictor(model, detector, Topics.defaults().audio(), false);
  }

  private AudioPredictor(
      OrtModel model,
      SpeechDetector detector,
      Topics.Topic<AudioSegment> input,
      boolean removeDcOffset) {
    this.removeDcOffset = removeDcOffset;
    this.input = input;
    this.detector = detector;
    this.model = model;
    this.audio = model.manifest().audio();
    if (audio == null) {
      throw new IllegalArgumentException(
          "model " + model.manifest().name() + " is not an AUDIO model");
    }
    this.features =
        audio.featureType() == ModelManifest.FeatureType.WAVEFORM
            ? null
            : new FeatureExtractor(FeatureExtractor.Spec.of(audio.features(), audio.sampleRate()));
    checkInputShape(model.inputShape(model.manifest().input().name()));
    this.runner = new BatchRunner<>("model " + model.manifest().name(), 1, this::run);
    if (detector != null && audio.sampleRate() != SpeechDetector.SAMPLE_RATE) {
      throw new IllegalStateException(
          "model "
              + model.manifest().name()
              + " takes "
              + audio.sampleRate()
              + " Hz audio"
              + " but voice-activity detection takes "
              + SpeechDetector.SAMPLE_RATE
              + " Hz; use a 16 kHz model or set"
              + " EMOSTREAM_VAD=off");
    }
  }

  /**
   * Fails at start-up unless the model's input takes what this predictor feeds it: [batch,
   * samples], or the feature layout's rank with the feature count where the model fixes it. The
   * frame (or sample) axis must be dynamic, since windows differ in length.
   */
  private void checkInputShape(long[] shape) {
    String name = model.manifest().name();
    if (features == null) {
      if (shape.length != 2 || shape[1] > 0) {
        throw new IllegalStateException(
            "waveform model "
                + name
                + " must take [batch, samples] with a dynamic samples"
                + " axis; its input is "
                + Arrays.toString(shape));
      }
      return;
    }
    FeatureExtractor.Spec spec = features.spec();
    long[] expected = FeatureExtractor.shape(spec.layout(), spec.features(), -1);
    boolean ok = shape.length == expected.length;
    for (int i = 1; ok && i < shape.length; i++) {
      ok = expected[i] == -1 ? shape[i] <= 0 : shape[i] <= 0 || shape[i] == expected[i];
    }
    if (!ok) {
      throw new IllegalStateException(
          "model "
              + name
              + " input "
              + Arrays.toString(shape)
              + " does not take "
              + spec.type()
              + " features in layout "
              + spec.layout()
              + " "
              + Arrays.toString(expected)
              + " (-1: any length; the frame axis must be dynamic)");
    }
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    return ClipPredictor.predictOne(this, clipId, value);
  }

  /**
   * The clips of one poll: each decoded on its own, their voice activity found together ({@link
   * SpeechDetector#probabilitiesAll}: the clips of one frame count in one VAD run), then each
   * clip's voiced windows through the model. A clip that fails fails alone; should the shared VAD
   * run fail, each clip is retried alone, so a failure stays with the clip that causes it. Each
   * clip's VAD time is its share of the shared run.
   */
  @Override
  public List<Result> predictAll(List<Input> inputs) {
    List<Clip> clips = new ArrayList<>(inputs.size());
    for (Input input : inputs) {
      clips.add(decode(input));
    }
    if (detector != null) {
      detectSpeech(clips.stream().filter(c -> c.samples != null).toList());
    }
    List<Result> results = new ArrayList<>(clips.size());
    for (Clip clip : clips) {
      try {
        results.add(Result.of(clip.outcome != null ? clip.outcome : classify(clip)));
      } catch (Exception e) {
        results.add(Result.failed(e));
      }
    }
    return results;
  }

  /** A clip on its way through {@link #predictAll}. */
  private static final class Clip {
    final String clipId;
    final Stopwatch watch = new Stopwatch();

    /** Null once the clip has its outcome or failure. */
    float[] samples;

    double decodeMs;
    SpeechDetector.Speech speech;
    double vadMs;
    Outcome outcome;
    Exception failure;

    Clip(String clipId) {
      this.clipId = clipId;
    }
  }

  /**
   * Decodes a clip's samples; a clip with no usable audio (too short: NO_AUDIO; without VAD,
   * silent: NO_SPEECH) gets its outcome here, a bad record its failure.
   */
  private Clip decode(Input input) {
    Clip clip = new Clip(input.clipId());
    try {
      AudioSegment segment = this.input.decode(input.value());
      if (segment.getSampleRate() != audio.sampleRate()) {
        throw new IllegalArgumentException(
            "clip "
                + clip.clipId
                + " has "
                + segment.getSampleRate()
                + " Hz audio but model "
                + model.manifest().name()
                + " takes "
                + audio.sampleRate()
                + " Hz");
      }
      byte[] pcm = new byte[segment.getPcm().remaining()];
      segment.getPcm().duplicate().get(pcm);
      float[] samples = AudioPreprocessor.toMonoFloat(pcm, segment.getChannels());
      if (removeDcOffset) {
        AudioPreprocessor.removeDcOffset(samples, audio.sampleRate());
      }
      clip.decodeMs = clip.watch.lapMs();
      if (samples.length < audio.minSeconds() * audio.sampleRate()) {
        clip.outcome =
            Outcome.without(
                PredictionStatus.NO_AUDIO,
                samples.length == 0
                    ? NO_TRACK
                    : String.format(
                        Locale.ROOT,
                        "audio of %.2f s, shorter than %s s",
                        (double) samples.length / audio.sampleRate(),
                        audio.minSeconds()),
                clip.decodeMs,
                clip.watch.lapMs(),
                0);
      } else if (detector == null && NonSpeechSignals.rms(samples) < SILENCE_RMS) {
        clip.outcome =
            Outcome.without(
                PredictionStatus.NO_SPEECH,
                "silent (RMS below " + SILENCE_RMS + ")",
                clip.decodeMs,
                clip.watch.lapMs(),
                0);
      } else {
        clip.samples = samples;
      }
    } catch (Exception e) {
      clip.failure = e;
    }
    return clip;
  }

  /** Finds the voiced audio of the clips, together, or each alone should that fail. */
  private void detectSpeech(List<Clip> clips) {
    if (clips.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    List<float[]> probabilities;
    try {
      probabilities = detector.probabilitiesAll(clips.stream().map(c -> c.samples).toList());
    } catch (Exception together) {
      for (Clip clip : clips) {
        long alone = System.nanoTime();
        try {
          clip.speech = detector.detect(clip.samples);
        } catch (Exception e) {
          clip.failure = e;
        }
        clip.vadMs = (System.nanoTime() - alone) / 1e6;
      }
      return;
    }
    double shareMs = (System.nanoTime() - start) / 1e6 / clips.size();
    for (int i = 0; i < clips.size(); i++) {
      Clip clip = clips.get(i);
      clip.speech = detector.speech(clip.samples, probabilities.get(i));
      clip.vadMs = shareMs;
    }
  }

  /** A decoded clip's outcome: NO_SPEECH, or the model's posterior over its voiced windows. */
  private Outcome classify(Clip clip) throws Exception {
    if (clip.failure != null) {
      throw clip.failure;
    }
    float[] samples = clip.samples;
    clip.watch.lapMs(); // the VAD's time is the clip's share, not the time it waited for others
    if (clip.speech != null) {
      SpeechDetector.Speech speech = clip.speech;
      if (!speech.enough()) {
        return Outcome.without(
            PredictionStatus.NO_SPEECH,
            String.format(
                Locale.ROOT,
                "%.2f s of speech in %.2f s of audio, less than the minimum %s s",
                speech.voicedSeconds(),
                (double) samples.length / audio.sampleRate(),
                detector.minSpeechSeconds()),
            clip.decodeMs,
            0,
            clip.vadMs);
      }
      samples = speech.voiced();
    }
    List<float[]> windows =
        AudioPreprocessor.windows(
            samples,
            (int) Math.round(audio.windowSeconds() * audio.sampleRate()),
            (int) Math.round(audio.minSeconds() * audio.sampleRate()));
    List<Window> inputs = new ArrayList<>(windows.size());
    for (float[] window : windows) {
      inputs.add(toInput(window));
    }
    double preprocessMs = clip.watch.lapMs();
    List<float[]> posteriors = List.of(runner.runAll(inputs));
    double inferenceMs = clip.vadMs + clip.watch.lapMs();
    return Outcome.ok(
        Probabilities.mean(posteriors), windows.size(), clip.decodeMs, preprocessMs, inferenceMs);
  }

  /**
   * One window as the model takes it: normalised, then a waveform [1, samples] or a feature tensor.
   */
  private Window toInput(float[] window) {
    float[] input = AudioPreprocessor.normalize(window, audio.normalize());
    if (features == null) {
      return new Window(input, new long[] {1, input.length});
    }
    float[][] matrix = features.extract(input);
    return new Window(
        FeatureExtractor.flatten(matrix, features.spec().layout()),
        FeatureExtractor.shape(features.spec().layout(), matrix.length, matrix[0].length));
  }

  /** One model run over windows of one shape, stacked on the batch axis. */
  private float[][] run(List<Window> chunk) throws Exception {
    long[] shape = chunk.get(0).shape().clone();
    float[] data = new float[chunk.size() * chunk.get(0).data().length];
    for (int i = 0; i < chunk.size(); i++) {
      Window w = chunk.get(i);
      if (!Arrays.equals(w.shape(), chunk.get(0).shape())) {
        throw new IllegalArgumentException(
            "windows of shapes "
                + Arrays.toString(chunk.get(0).shape())
                + " and "
                + Arrays.toString(w.shape())
                + " cannot share a run");
      }
      System.arraycopy(w.data(), 0, data, i * w.data().length, w.data().length);
    }
    shape[0] = chunk.size();
    return model.probabilities(data, shape);
  }

  /** A window's model input, batch axis of 1 first. */
  private record Window(float[] data, long[] shape) {}
}
