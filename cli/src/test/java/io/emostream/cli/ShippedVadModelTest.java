package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.emostream.audio.AudioPredictor;
import io.emostream.audio.AudioPreprocessor;
import io.emostream.audio.AudioWorkerMain;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.PredictionStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped Silero VAD on real speech, decoded by the production demuxer: RAVDESS and EmoDB clips
 * are speech (status OK through the audio predictor), the voiced sample counts equal those of a
 * Python rendering of the shared contract (onnxruntime; models/silero-vad/MODEL_CARD.md), and the
 * speech model sees exactly the voiced audio.
 */
class ShippedVadModelTest {

  static final Path VAD = Path.of("..").resolve(VadConfig.DEFAULT_MODEL);
  static final Path SPEECH_MODEL = Path.of("../models/speech-emotion-ravdess/manifest.json");
  static final Path RAVDESS = Path.of("../../shared/data/ravdess-speech-16k");
  static final Path EMODB = Path.of("../../shared/data/emodb-16k");

  private final VideoDemuxer demuxer =
      new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "60"))));

  @Test
  void voicedSamplesMatchThePythonRenderingOfTheContract() throws Exception {
    assumeTrue(
        Files.isDirectory(RAVDESS) && Files.isDirectory(EMODB),
        "../shared/data (RAVDESS, EmoDB) is absent: skipping the real-speech VAD check");
    try (SpeechDetector detector = SpeechDetector.load(VAD, Device.CPU, 1, 0.5, 0.5)) {
      SpeechDetector.Speech ravdess =
          detector.detect(samples(RAVDESS.resolve("Actor_01/03-01-01-01-01-01-01.flac")));
      SpeechDetector.Speech emodb = detector.detect(samples(EMODB.resolve("03a01Fa.flac")));

      assertThat(ravdess.probabilities()).hasSize(104);
      // training/audio/results-v2/vad_reference.json (python training/audio/vad.py)
      assertThat(ravdess.probabilities()[0]).isCloseTo(0.00261f, within(1e-4f));
      assertThat(ravdess.probabilities()[1]).isCloseTo(0.002664f, within(1e-4f));
      assertThat(ravdess.voiced()).hasSize(23_040);
      assertThat(emodb.probabilities()).hasSize(63);
      assertThat(emodb.probabilities()[0]).isCloseTo(0.038505f, within(1e-4f));
      assertThat(emodb.voiced()).hasSize(30_208);
      assertThat(ravdess.enough()).isTrue();
      assertThat(emodb.enough()).isTrue();
    }
  }

  /**
   * A fixed 4 s cut of a call falls in the middle of speech. Two of RAVDESS Actor 06's intense
   * angry takes back to back (each trimmed to its first and last sample above 1 % of full scale),
   * cut 0.2 s and 0.33 s in: from a zero state Silero scored them 0.45 and 0.00 voiced seconds
   * (NO_SPEECH, found by a hostile-user pass); from the primed state
   * (SpeechDetector.PRIMING_FRAMES) 2.27 and 2.02 s in the Python rendering.
   */
  @Test
  void loudSpeechCutMidUtteranceIsSpeech() throws Exception {
    assumeTrue(Files.isDirectory(RAVDESS), "../shared/data/ravdess-speech-16k is absent: skipping");
    float[] a = trimmed(samples(RAVDESS.resolve("Actor_06/03-01-05-02-01-01-06.flac")));
    float[] b = trimmed(samples(RAVDESS.resolve("Actor_06/03-01-05-02-01-02-06.flac")));
    float[] call = new float[a.length + b.length];
    System.arraycopy(a, 0, call, 0, a.length);
    System.arraycopy(b, 0, call, a.length, b.length);
    try (SpeechDetector detector = defaultDetector()) {
      for (double offset : new double[] {0.2, 0.33}) {
        int from = (int) Math.round(offset * 16_000);
        SpeechDetector.Speech speech =
            detector.detect(Arrays.copyOfRange(call, from, from + 4 * 16_000));

        assertThat(speech.enough()).as("cut %.2f s in", offset).isTrue();
        assertThat(speech.voicedSeconds()).as("cut %.2f s in", offset).isGreaterThan(1.5);
      }
    }
  }

  private static float[] trimmed(float[] samples) {
    int first = 0;
    while (Math.abs(samples[first]) <= 0.01f) {
      first++;
    }
    int last = samples.length - 1;
    while (Math.abs(samples[last]) <= 0.01f) {
      last--;
    }
    return Arrays.copyOfRange(samples, first, last + 1);
  }

  @Test
  void realSpeechIsOkAndTheSpeechModelSeesOnlyTheVoicedAudio() throws Exception {
    assumeTrue(
        Files.isDirectory(RAVDESS) && Files.isDirectory(EMODB),
        "../shared/data (RAVDESS, EmoDB) is absent: skipping the real-speech VAD check");
    List<Path> files =
        List.of(
            RAVDESS.resolve("Actor_01/03-01-05-01-01-01-01.flac"),
            RAVDESS.resolve("Actor_12/03-01-04-02-02-01-12.flac"),
            EMODB.resolve("03a01Wa.flac"),
            EMODB.resolve("14b10Tc.flac"));
    try (OrtModel model = OrtModel.load(SPEECH_MODEL, Device.CPU, 1);
        SpeechDetector detector = defaultDetector()) {
      AudioPredictor gated = new AudioPredictor(model, detector);
      // the voiced audio of the filtered clip, as it is: not filtered a second time
      AudioPredictor whole = AudioPredictor.keepingDcOffset(model, null);
      for (Path file : files) {
        float[] samples = samples(file);

        ClipPredictor.Outcome outcome = gated.predict("c", segment(samples));
        ClipPredictor.Outcome onVoiced =
            whole.predict(
                "c",
                segment(
                    detector.detect(AudioPreprocessor.removeDcOffset(samples, 16_000)).voiced()));

        assertThat(outcome.status()).as(file.toString()).isEqualTo(PredictionStatus.OK);
        // within the rounding of the filtered voiced audio to 16-bit PCM (segment): v1 moves
        // up to 0.006 with it
        assertThat(outcome.probabilities())
            .as(file.toString())
            .containsExactly(onVoiced.probabilities(), within(0.01f));
      }
    }
  }

  /**
   * A DC offset on real speech (a hostile-user pass: +0.1 of full scale on sad RAVDESS speech gave
   * a segment NO_SPEECH, +0.02 changed neutral segments' labels) changes neither the status nor the
   * shipped model's distribution beyond the PCM's rounding.
   */
  @Test
  void aDcOffsetChangesNeitherTheSpeechFoundNorTheEmotion() throws Exception {
    assumeTrue(
        Files.isDirectory(RAVDESS) && Files.isDirectory(EMODB),
        "../shared/data (RAVDESS, EmoDB) is absent: skipping the real-speech DC check");
    List<Path> files =
        List.of(
            RAVDESS.resolve("Actor_12/03-01-04-02-02-01-12.flac"),
            RAVDESS.resolve("Actor_03/03-01-01-01-01-01-03.flac"),
            EMODB.resolve("03a01Wa.flac"));
    try (OrtModel model =
            OrtModel.load(Path.of("..").resolve(AudioWorkerMain.DEFAULT_MODEL), Device.CPU, 1);
        SpeechDetector detector = defaultDetector()) {
      AudioPredictor predictor = new AudioPredictor(model, detector);
      for (Path file : files) {
        float[] clean = samples(file);
        float gain = Math.min(1f, 0.85f / peak(clean)); // room for the offsets below full scale
        for (int i = 0; i < clean.length; i++) {
          clean[i] *= gain;
        }
        ClipPredictor.Outcome expected = predictor.predict("c", segment(clean));
        assertThat(expected.status()).as(file.toString()).isEqualTo(PredictionStatus.OK);
        for (float dc : new float[] {0.02f, 0.1f, -0.1f}) {
          float[] offset = clean.clone();
          for (int i = 0; i < offset.length; i++) {
            offset[i] += dc;
          }
          assertThat(peak(offset)).as("%s + %s clips", file, dc).isLessThan(1f);

          ClipPredictor.Outcome outcome = predictor.predict("c", segment(offset));

          assertThat(outcome.status()).as("%s + %s", file, dc).isEqualTo(PredictionStatus.OK);
          assertThat(outcome.probabilities())
              .as("%s + %s", file, dc)
              .containsExactly(expected.probabilities(), within(0.01f));
        }
        // a drift: a ramp from -0.1 to +0.1 across the clip (calm RAVDESS speech went NO_SPEECH
        // with one from -0.15 to +0.15 when only the clip's mean was removed)
        float[] ramp = clean.clone();
        for (int i = 0; i < ramp.length; i++) {
          ramp[i] += -0.1f + 0.2f * i / ramp.length;
        }
        ClipPredictor.Outcome drifting = predictor.predict("c", segment(ramp));
        assertThat(drifting.status()).as("%s ramp", file).isEqualTo(PredictionStatus.OK);
        assertThat(drifting.probabilities())
            .as("%s ramp", file)
            .containsExactly(expected.probabilities(), within(0.05f));
      }
    }
  }

  private static float peak(float[] x) {
    float peak = 0;
    for (float v : x) {
      peak = Math.max(peak, Math.abs(v));
    }
    return peak;
  }

  /** The shipped Silero VAD with the default settings, as the worker runs it. */
  private static SpeechDetector defaultDetector() {
    return SpeechDetector.load(
        VAD, Device.CPU, 1, VadConfig.DEFAULT_THRESHOLD, VadConfig.DEFAULT_MIN_SPEECH_SECONDS);
  }

  private float[] samples(Path file) {
    List<DemuxedClip> clips = new ArrayList<>();
    demuxer.demux(file, clips::add);
    assertThat(clips).hasSize(1);
    return AudioPreprocessor.toMonoFloat(clips.get(0).pcm16le(), 1);
  }

  private static byte[] segment(float[] samples) {
    ByteBuffer pcm = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : samples) {
      pcm.putShort((short) Math.round(x * 32768f));
    }
    return new AvroSerde<>(AudioSegment.class)
        .encode(new AudioSegment("c", 16_000, 1, ByteBuffer.wrap(pcm.array()), 0L));
  }
}
