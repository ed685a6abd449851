package io.emostream.audio;

import java.util.ArrayList;
import java.util.List;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.inference.Stopwatch;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;

/**
 * AudioSegment → speech-emotion posterior. The segment is cut into the model's windows, each window
 * normalised as its manifest asks and run as a [1, samples] tensor; the window posteriors are averaged.
 */
public final class AudioPredictor implements ClipPredictor {

  /** Below this RMS (about -60 dBFS) a clip counts as silent: there is no speech to judge. */
  static final double SILENCE_RMS = 0.001;

  private final OrtModel model;
  private final ModelManifest.Audio audio;
  private final AvroSerde<AudioSegment> serde = new AvroSerde<>(AudioSegment.class);

  public AudioPredictor(OrtModel model) {
    this.model = model;
    this.audio = model.manifest().audio();
    if (audio == null) {
      throw new IllegalArgumentException("model " + model.manifest().name() + " is not an AUDIO model");
    }
  }

  @Override
  public Outcome predict(String clipId, byte[] value) throws Exception {
    Stopwatch watch = new Stopwatch();
    AudioSegment segment = serde.decode(value);
    if (segment.getSampleRate() != audio.sampleRate()) {
      throw new IllegalArgumentException("clip " + clipId + " has " + segment.getSampleRate() + " Hz audio but model "
          + model.manifest().name() + " takes " + audio.sampleRate() + " Hz");
    }
    byte[] pcm = new byte[segment.getPcm().remaining()];
    segment.getPcm().duplicate().get(pcm);
    float[] samples = AudioPreprocessor.toMonoFloat(pcm, segment.getChannels());
    double decodeMs = watch.lapMs();
    if (samples.length < audio.minSeconds() * audio.sampleRate() || rms(samples) < SILENCE_RMS) {
      return Outcome.without(Status.NO_AUDIO, "audio shorter than " + audio.minSeconds() + " s or silent", decodeMs,
          watch.lapMs(), 0);
    }
    List<float[]> windows = AudioPreprocessor.windows(samples, (int) Math.round(audio.windowSeconds() * audio.sampleRate()),
        (int) Math.round(audio.minSeconds() * audio.sampleRate()));
    double preprocessMs = watch.lapMs();
    List<float[]> posteriors = new ArrayList<>(windows.size());
    double inferenceMs = 0;
    for (float[] window : windows) {
      float[] input = AudioPreprocessor.normalize(window, audio.normalize());
      preprocessMs += watch.lapMs();
      posteriors.add(model.probabilities(input, new long[] {1, input.length})[0]);
      inferenceMs += watch.lapMs();
    }
    return Outcome.ok(Probabilities.mean(posteriors), windows.size(), decodeMs, preprocessMs, inferenceMs);
  }

  static double rms(float[] x) {
    double sum = 0;
    for (float v : x) {
      sum += v * v;
    }
    return Math.sqrt(sum / Math.max(1, x.length));
  }
}
