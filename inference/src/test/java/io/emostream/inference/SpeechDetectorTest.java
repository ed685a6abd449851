package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The voiced-audio contract's pure parts (framing with context, mask, dilation, concatenation) by
 * hand, and the shipped Silero VAD v5 on generated non-speech, which must hold too little speech to
 * pass the default minimum. Real speech (RAVDESS, EmoDB) is checked in the cli module, which can
 * decode FLAC ({@code ShippedVadModelTest}).
 */
class SpeechDetectorTest {

  static final Path MODEL = Path.of("..").resolve(VadConfig.DEFAULT_MODEL);

  private static SpeechDetector detector;

  @BeforeAll
  static void load() {
    detector =
        SpeechDetector.load(
            MODEL,
            Device.CPU,
            1,
            VadConfig.DEFAULT_THRESHOLD,
            VadConfig.DEFAULT_MIN_SPEECH_SECONDS);
  }

  @AfterAll
  static void close() {
    detector.close();
  }

  @Test
  void framesCoverTheClipAndTheLastPartialFrameCounts() {
    assertThat(SpeechDetector.frameCount(0)).isZero();
    assertThat(SpeechDetector.frameCount(1)).isEqualTo(1);
    assertThat(SpeechDetector.frameCount(512)).isEqualTo(1);
    assertThat(SpeechDetector.frameCount(513)).isEqualTo(2);
  }

  @Test
  void eachFrameGetsThePrevious64SamplesAsContextAndIsZeroPadded() {
    float[] samples = new float[600];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = i + 1;
    }

    float[] first = SpeechDetector.frameInput(samples, 0);
    float[] second = SpeechDetector.frameInput(samples, 1);

    assertThat(first).hasSize(576);
    assertThat(first[63]).isZero();
    assertThat(first[64]).isEqualTo(1f);
    assertThat(first[575]).isEqualTo(512f);
    assertThat(second[0]).isEqualTo(449f); // samples 448..511 (0-based) are the context
    assertThat(second[63]).isEqualTo(512f);
    assertThat(second[64]).isEqualTo(513f);
    assertThat(second[64 + 87]).isEqualTo(600f);
    assertThat(second[64 + 88]).isZero();
    assertThat(second[575]).isZero();
  }

  @Test
  void aFrameIsVoicedFromTheThresholdOn() {
    assertThat(SpeechDetector.mask(new float[] {0.49f, 0.5f, 0.9f, 0.1f}, 0.5))
        .containsExactly(false, true, true, false);
  }

  @Test
  void dilationWidensEachVoicedFrameByThreeFramesEachSideWithinTheClip() {
    boolean[] mask = new boolean[12];
    mask[1] = true;
    mask[9] = true;

    boolean[] dilated = SpeechDetector.dilate(mask, 3);

    assertThat(dilated)
        .containsExactly(true, true, true, true, true, false, true, true, true, true, true, true);
    assertThat(SpeechDetector.dilate(new boolean[5], 3)).containsOnly(false);
  }

  @Test
  void voicedAudioIsTheVoicedFramesSamplesInOrderTheLastOnlyAsFarAsTheClip() {
    float[] samples = new float[1100];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = i;
    }

    float[] voiced = SpeechDetector.voicedAudio(samples, new boolean[] {true, false, true});

    assertThat(voiced).hasSize(512 + 76);
    assertThat(voiced[511]).isEqualTo(511f);
    assertThat(voiced[512]).isEqualTo(1024f);
    assertThat(voiced[voiced.length - 1]).isEqualTo(1099f);
    assertThat(SpeechDetector.voicedSeconds(new float[] {0.9f, 0f, 0f}, 1100, 0.5))
        .isEqualTo(1100 / 16_000.0);
    assertThatThrownBy(() -> SpeechDetector.voicedAudio(samples, new boolean[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 frames");
  }

  @Test
  void settingsOutOfRangeAreRejected() {
    assertThatThrownBy(() -> new VadConfig(true, MODEL, 1.0, 0.5))
        .hasMessageContaining("threshold");
    assertThatThrownBy(() -> new VadConfig(true, MODEL, 0.5, -1))
        .hasMessageContaining("minimum speech");
    assertThatThrownBy(() -> SpeechDetector.load(Path.of("no-such.onnx"), Device.CPU, 1, 0.5, 0.5))
        .hasMessageContaining("no-such.onnx");
  }

  @Test
  void anotherModelInPlaceOfSileroFailsAtLoadNamingItsInterface() {
    assertThatThrownBy(
            () ->
                SpeechDetector.load(
                    Path.of("../models/speech-emotion-ravdess/model.onnx"),
                    Device.CPU,
                    1,
                    0.5,
                    0.5))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("model silero-vad has inputs [input_values]")
        .hasMessageContaining("expected inputs")
        .hasMessageContaining("stateN");
  }

  @Test
  void generatedNonSpeechHasTooLittleSpeech() throws Exception {
    for (Map.Entry<String, float[]> signal : NonSpeechSignals.all(4.0).entrySet()) {
      SpeechDetector.Speech speech = detector.detect(signal.getValue());

      assertThat(speech.probabilities()).as(signal.getKey()).hasSize(125);
      assertThat(speech.enough())
          .as("%s: %.2f voiced s", signal.getKey(), speech.voicedSeconds())
          .isFalse();
      assertThat(speech.voicedSeconds())
          .as(signal.getKey())
          .isLessThan(VadConfig.DEFAULT_MIN_SPEECH_SECONDS);
    }
  }

  @Test
  void eachClipStartsFromTheSameState() throws Exception {
    float[] tone = NonSpeechSignals.tone(16_000, 300, 0.1);

    assertThat(detector.probabilities(tone)).containsExactly(detector.probabilities(tone));
  }

  @Test
  void aSignalFedInPiecesGetsTheProbabilitiesOfTheWhole() throws Exception {
    float[] signal = new float[3 * 16_000 + 100];
    Random random = new Random(11);
    for (int i = 0; i < signal.length; i++) {
      // a tone that comes and goes in white noise, so the state has something to carry
      signal[i] =
          (float)
              (0.3 * Math.sin(2 * Math.PI * 220 * i / 16_000) * ((i / 4_000) % 2)
                  + 0.05 * random.nextGaussian());
    }
    float[] whole = detector.probabilities(signal);

    SpeechDetector.Stream stream = detector.stream();
    float[] pieces = new float[0];
    int at = 0;
    for (int size : new int[] {1, 511, 700, 5_000, 20_000}) {
      pieces = concat(pieces, stream.accept(signal, at, at + size));
      at += size;
    }
    pieces = concat(pieces, stream.accept(signal, at, signal.length));
    assertThat(stream.frames()).isEqualTo(whole.length - 1);
    pieces = concat(pieces, stream.flush());

    assertThat(pieces).containsExactly(whole);
    assertThat(stream.flush()).isEmpty();
  }

  @Test
  void clipsRunTogetherGetWhatEachGetsAlone() throws Exception {
    List<float[]> clips = clips(2 * SpeechDetector.MAX_BATCH + 3, 5);

    List<float[]> together = detector.probabilitiesAll(clips);

    assertThat(together).hasSize(clips.size());
    for (int i = 0; i < clips.size(); i++) {
      float[] alone = detector.probabilities(clips.get(i));
      assertThat(together.get(i)).as("clip %d", i).hasSize(alone.length);
      for (int t = 0; t < alone.length; t++) {
        assertThat(together.get(i)[t])
            .as("clip %d frame %d", i, t)
            .isCloseTo(alone[t], within(1e-4f));
      }
    }
    assertThat(detector.probabilitiesAll(List.of())).isEmpty();
  }

  @Test
  void clipsOfTheSameFrameCountShareABatchOfAtMostMaxBatch() {
    List<float[]> clips = new ArrayList<>();
    for (int i = 0; i < SpeechDetector.MAX_BATCH + 2; i++) {
      clips.add(new float[i == 1 ? 1_000 : 64_000]);
    }
    clips.add(new float[64_000 - 511]); // the same 125 frames, the last one partial
    clips.add(new float[0]);

    List<SpeechDetector.Batch> batches = SpeechDetector.batches(clips);

    assertThat(batches).extracting(SpeechDetector.Batch::steps).containsExactly(125, 125, 2, 0);
    assertThat(batches.get(0).clips()).hasSize(SpeechDetector.MAX_BATCH).startsWith(0, 2, 3);
    assertThat(batches.get(1).clips()).containsExactly(33, 34);
    assertThat(batches.get(2).clips()).containsExactly(1);
    assertThat(batches.get(3).clips()).containsExactly(35);
    assertThat(batches.stream().mapToInt(b -> b.clips().length).sum()).isEqualTo(clips.size());

    float[] first = clips.get(0);
    first[512] = 7f;
    float[] frames = batches.get(0).frames(clips);
    assertThat(frames).hasSize(SpeechDetector.MAX_BATCH * 125 * 576);
    assertThat(Arrays.copyOfRange(frames, 576, 2 * 576))
        .containsExactly(SpeechDetector.frameInput(first, 1));
  }

  @Test
  void theSequenceGraphAnswersWhatSilerosOwnGraphAnswersFrameByFrame() throws Exception {
    assertThat(MODEL.getFileName().toString()).isEqualTo("silero_vad_v5_sequence.onnx");
    List<float[]> clips = clips(12, 9);
    clips.addAll(NonSpeechSignals.all(4.0).values());
    // longer than one run of the sequence graph: two runs, the state carried
    float[] tone = NonSpeechSignals.tone(SpeechDetector.MAX_STEPS * 512 + 1_000, 220, 0.2);
    float[] noise = clips(2, 17).get(1);
    for (int i = 0; i < tone.length; i++) {
      tone[i] += noise[i % noise.length] * ((i / 24_000) % 2);
    }
    clips.add(tone);
    try (SpeechDetector stock =
        SpeechDetector.load(
            MODEL.resolveSibling("silero_vad_v5.onnx"),
            Device.CPU,
            1,
            VadConfig.DEFAULT_THRESHOLD,
            VadConfig.DEFAULT_MIN_SPEECH_SECONDS)) {
      List<float[]> expected = stock.probabilitiesAll(clips);
      List<float[]> got = detector.probabilitiesAll(clips);
      for (int i = 0; i < clips.size(); i++) {
        assertThat(got.get(i)).as("clip %d", i).hasSize(expected.get(i).length);
        for (int t = 0; t < expected.get(i).length; t++) {
          assertThat(got.get(i)[t])
              .as("clip %d frame %d", i, t)
              .isCloseTo(expected.get(i)[t], within(1e-5f));
        }
        assertThat(detector.speech(clips.get(i), got.get(i)).voicedFrames())
            .as("clip %d", i)
            .containsExactly(stock.speech(clips.get(i), expected.get(i)).voicedFrames());
      }

      float[] signal = clips.get(0);
      SpeechDetector.Stream stream = stock.stream();
      float[] pieces =
          concat(stream.accept(signal, 0, 700), stream.accept(signal, 700, signal.length));
      pieces = concat(pieces, stream.flush());
      assertThat(pieces).containsExactly(expected.get(0));
    }
  }

  /**
   * {@code n} clips of a tone that comes and goes in noise: two of three 4 s long (one frame count,
   * so they share batches), one empty, the others of random lengths that end at other frames.
   */
  private static List<float[]> clips(int n, long seed) {
    Random random = new Random(seed);
    List<float[]> clips = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int length = i == 3 ? 0 : i % 3 != 0 ? 64_000 : 8_000 + random.nextInt(3 * 16_000);
      float[] clip = new float[length];
      double f = 150 + random.nextInt(300);
      for (int k = 0; k < length; k++) {
        clip[k] =
            (float)
                (0.3 * Math.sin(2 * Math.PI * f * k / 16_000) * ((k / 3_000) % 2)
                    + 0.05 * random.nextGaussian());
      }
      clips.add(clip);
    }
    return clips;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
