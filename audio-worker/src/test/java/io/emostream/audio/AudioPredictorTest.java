package io.emostream.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.NonSpeechSignals;
import io.emostream.inference.OrtModel;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.TinyOnnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the wav2vec2 sequence-classifier path on a tiny generated model with the signature of a
 * Hugging Face {@code Wav2Vec2ForSequenceClassification} exported by {@code optimum-cli export onnx
 * --task audio-classification}: float input {@code input_values} [batch_size, sequence_length],
 * both dynamic, → float output {@code logits} [batch_size, num_labels]. Here logits = mean(|x|) *
 * [1, 0, -1], so the posterior can be checked by hand. docs/models.md "Bring your own wav2vec2
 * model" points here.
 */
class AudioPredictorTest {

  static final Path VAD_MODEL = Path.of("..").resolve(VadConfig.DEFAULT_MODEL);

  @TempDir Path dir;

  private OrtModel tinyModel(String normalize) throws Exception {
    return tinyModel(normalize, 16000);
  }

  private OrtModel tinyModel(String normalize, int sampleRate) throws Exception {
    TinyOnnx.graph()
        .input("input_values", "batch_size", "sequence_length")
        .output("logits", "batch_size", 3)
        .initializer("w", new long[] {1, 3}, 1f, 0f, -1f)
        .node("Abs", List.of("input_values"), List.of("a"), Map.of())
        .node(
            "ReduceMean",
            List.of("a"),
            List.of("m"),
            Map.of("axes", new long[] {1}, "keepdims", 1L))
        .node("Mul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve("model.onnx"));
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"name": "tiny-wav2vec2", "version": "1", "modality": "AUDIO", "file": "model.onnx",
         "input": {"name": "input_values"}, "output": {"name": "logits", "kind": "LOGITS"},
         "labels": ["angry", "neutral", "sad"],
         "audio": {"sampleRate": %d, "normalize": "%s", "windowSeconds": 1.0, "minSeconds": 0.5}}
        """
            .formatted(sampleRate, normalize));
    return OrtModel.load(dir.resolve("manifest.json"), Device.CPU, 1);
  }

  /** The shipped Silero VAD with the default settings, as the worker runs it. */
  private static SpeechDetector defaultDetector() {
    return SpeechDetector.load(
        VAD_MODEL,
        Device.CPU,
        1,
        VadConfig.DEFAULT_THRESHOLD,
        VadConfig.DEFAULT_MIN_SPEECH_SECONDS);
  }

  private static byte[] segment(short amplitude, int samples) {
    ByteBuffer pcm = ByteBuffer.allocate(samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < samples; i++) {
      pcm.putShort((short) (i % 2 == 0 ? amplitude : -amplitude));
    }
    return new AvroSerde<>(AudioSegment.class)
        .encode(new AudioSegment("c1", 16000, 1, ByteBuffer.wrap(pcm.array()), 0L));
  }

  @Test
  void theTinyModelHasTheSignatureOfAnOptimumWav2vec2Export() throws Exception {
    try (OrtModel model = tinyModel("NONE")) {
      assertThat(model.inputShapes().keySet()).containsExactly("input_values");
      assertThat(model.inputShape("input_values")).containsExactly(-1L, -1L);
      assertThat(model.outputShapes().keySet()).containsExactly("logits");
      assertThat(model.outputShapes().get("logits")).containsExactly(-1L, 3L);
    }
  }

  @Test
  void averagesTheWindowPosteriorsOfALongSegment() throws Exception {
    try (OrtModel model = tinyModel("NONE")) {
      // 2.5 s → windows of 1 s, 1 s, 0.5 s; |x| = 0.5 everywhere → logits (0.5, 0, -0.5) in every
      // window
      // the offset kept: the figures below are of the raw samples (the DC blocker's gain at the
      // Nyquist rate of this alternating signal is 1.002)
      ClipPredictor.Outcome outcome =
          AudioPredictor.keepingDcOffset(model, null).predict("c1", segment((short) 16384, 40_000));

      double z = Math.exp(0.5) + 1 + Math.exp(-0.5);
      assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
      assertThat(outcome.itemsAnalysed()).isEqualTo(3);
      assertThat(outcome.probabilities()[0]).isCloseTo((float) (Math.exp(0.5) / z), within(1e-5f));
      assertThat(outcome.probabilities()[2]).isCloseTo((float) (Math.exp(-0.5) / z), within(1e-5f));
    }
  }

  @Test
  void normalisesEachWindowWhenTheManifestAsks() throws Exception {
    try (OrtModel model = tinyModel("ZERO_MEAN_UNIT_VARIANCE")) {
      // ±0.25 alternating has mean 0 and std 0.25 → normalised to ±1 → mean |x| = 1 → logits (1, 0,
      // -1)
      ClipPredictor.Outcome outcome =
          AudioPredictor.keepingDcOffset(model, null).predict("c1", segment((short) 8192, 16_000));
      double z = Math.exp(1) + 1 + Math.exp(-1);
      assertThat(outcome.probabilities()[0]).isCloseTo((float) (Math.exp(1) / z), within(1e-4f));
    }
  }

  @Test
  void aDcOffsetDoesNotChangeThePrediction() throws Exception {
    // the tiny model's logits follow mean |x|: 0.1 ± 0.1 alternating has mean |x| 0.1, the same
    // signal 0.3 above zero 0.3
    float[] clean = new float[16_000];
    float[] offset = new float[16_000];
    for (int i = 0; i < clean.length; i++) {
      clean[i] = i % 2 == 0 ? 0.1f : -0.1f;
      offset[i] = clean[i] + 0.3f;
    }
    try (OrtModel model = tinyModel("NONE")) {
      ClipPredictor.Outcome expected = new AudioPredictor(model).predict("c1", segment(clean));
      ClipPredictor.Outcome outcome = new AudioPredictor(model).predict("c1", segment(offset));

      assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
      assertThat(outcome.probabilities()).containsExactly(expected.probabilities(), within(1e-4f));
    }
  }

  @Test
  void withoutVoiceActivityDetectionSilenceIsNoSpeechNotAMadeUpEmotion() throws Exception {
    try (OrtModel model = tinyModel("NONE")) {
      ClipPredictor.Outcome outcome =
          new AudioPredictor(model).predict("c1", segment((short) 0, 16_000));
      assertThat(outcome.status()).isEqualTo(PredictionStatus.NO_SPEECH);
      assertThat(outcome.probabilities()).isEmpty();
    }
  }

  @Test
  void aTrackShorterThanTheModelsMinimumIsNoAudio() throws Exception {
    try (OrtModel model = tinyModel("NONE")) {
      ClipPredictor.Outcome outcome =
          new AudioPredictor(model).predict("c1", segment((short) 8192, 7_999));
      assertThat(outcome.status()).isEqualTo(PredictionStatus.NO_AUDIO);
      assertThat(outcome.error()).contains("0.50 s, shorter than 0.5 s");
      ClipPredictor.Outcome noTrack =
          new AudioPredictor(model).predict("c1", segment((short) 8192, 0));
      assertThat(noTrack.status()).isEqualTo(PredictionStatus.NO_AUDIO);
      assertThat(noTrack.error()).isEqualTo(AudioPredictor.NO_TRACK);
    }
  }

  @Test
  void withTheSileroDetectorSilenceAndAToneAreNoSpeechWithNoDistribution() throws Exception {
    try (OrtModel model = tinyModel("NONE");
        SpeechDetector detector = defaultDetector()) {
      AudioPredictor predictor = new AudioPredictor(model, detector);
      for (float[] audio :
          List.of(
              new float[64_000],
              NonSpeechSignals.tone(64_000, 300, 0.1),
              NonSpeechSignals.scaleToRms(NonSpeechSignals.white(64_000, 7), 0.03))) {
        ClipPredictor.Outcome outcome = predictor.predict("c1", segment(audio));

        assertThat(outcome.status()).isEqualTo(PredictionStatus.NO_SPEECH);
        assertThat(outcome.probabilities()).isEmpty();
        assertThat(outcome.error())
            .contains("s of speech in 4.00 s of audio, less than the minimum");
      }
      // the alternating full-band signal that the tiny model scores above is not speech either
      assertThat(predictor.predict("c1", segment((short) 8192, 16_000)).status())
          .isEqualTo(PredictionStatus.NO_SPEECH);
    }
  }

  @Test
  void clipsPredictedTogetherGetTheirOwnOutcomesAndABadRecordFailsAlone() throws Exception {
    try (OrtModel model = tinyModel("NONE");
        SpeechDetector detector = defaultDetector()) {
      AudioPredictor predictor = new AudioPredictor(model, detector);
      byte[] at8k =
          new AvroSerde<>(AudioSegment.class)
              .encode(new AudioSegment("c1", 8000, 1, ByteBuffer.wrap(new byte[16_000]), 0L));
      List<byte[]> values =
          List.of(
              segment(new float[64_000]),
              new byte[] {1, 2, 3},
              segment((short) 8192, 7_999),
              segment(NonSpeechSignals.tone(48_000, 300, 0.1)),
              at8k,
              segment(NonSpeechSignals.scaleToRms(NonSpeechSignals.white(64_000, 7), 0.03)));

      List<ClipPredictor.Result> together =
          predictor.predictAll(values.stream().map(v -> new ClipPredictor.Input("c", v)).toList());

      assertThat(together).hasSize(values.size());
      assertThat(together.stream().map(r -> r.outcome() == null ? null : r.outcome().status()))
          .containsExactly(
              PredictionStatus.NO_SPEECH,
              null,
              PredictionStatus.NO_AUDIO,
              PredictionStatus.NO_SPEECH,
              null,
              PredictionStatus.NO_SPEECH);
      assertThat(together.get(1).failure()).isNotNull();
      assertThat(together.get(4).failure()).hasMessageContaining("8000 Hz audio");
      for (int i : new int[] {0, 2, 3, 5}) {
        ClipPredictor.Outcome alone = predictor.predict("c", values.get(i));
        assertThat(together.get(i).outcome().error()).as("clip %d", i).isEqualTo(alone.error());
      }
    }
  }

  @Test
  void audioAtAnotherRateThanTheModelsIsRejectedBeforeTheDetectorRuns() throws Exception {
    try (OrtModel model = tinyModel("NONE");
        SpeechDetector detector = SpeechDetector.load(VAD_MODEL, Device.CPU, 1, 0.5, 0.5)) {
      byte[] at8k =
          new AvroSerde<>(AudioSegment.class)
              .encode(new AudioSegment("c1", 8000, 1, ByteBuffer.wrap(new byte[16_000]), 0L));
      assertThatThrownBy(() -> new AudioPredictor(model, detector).predict("c1", at8k))
          .hasMessageContaining("8000 Hz");
    }
  }

  @Test
  void aModelAtAnotherRateThan16kHzCannotBeGatedAndSaysSoAtStart() throws Exception {
    try (OrtModel model = tinyModel("NONE", 8000);
        SpeechDetector detector = SpeechDetector.load(VAD_MODEL, Device.CPU, 1, 0.5, 0.5)) {
      assertThatThrownBy(() -> new AudioPredictor(model, detector))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("takes 8000 Hz")
          .hasMessageContaining("EMOSTREAM_VAD=off");
      assertThat(new AudioPredictor(model)).isNotNull();
    }
  }

  private static byte[] segment(float[] samples) {
    ByteBuffer pcm = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : samples) {
      pcm.putShort((short) Math.round(Math.max(-1, Math.min(0.99997f, x)) * 32767));
    }
    return new AvroSerde<>(AudioSegment.class)
        .encode(new AudioSegment("c1", 16000, 1, ByteBuffer.wrap(pcm.array()), 0L));
  }
}
