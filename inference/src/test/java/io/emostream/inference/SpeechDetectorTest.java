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
  void theStateStartsFromZerosForEachClip() throws Exception {
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
    Random random = new Random(5);
    // lengths that end at different frames, a partial last frame, one empty clip, and more clips
    // than one lockstep batch holds
    int[] lengths = new int[SpeechDetector.MAX_BATCH + 3];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = i == 3 ? 0 : 8_000 + random.nextInt(3 * 16_000);
    }
    List<float[]> clips = new ArrayList<>();
    for (int length : lengths) {
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
  void keepingRowsKeepsTheFirstRowsOfEachLayer() {
    int row = SpeechDetector.STATE_ROW;
    float[] state = new float[2 * 3 * row];
    for (int i = 0; i < state.length; i++) {
      state[i] = i;
    }

    float[] kept = SpeechDetector.keepRows(state, 3, 2);

    assertThat(kept).hasSize(2 * 2 * row);
    assertThat(Arrays.copyOfRange(kept, 0, 2 * row))
        .containsExactly(Arrays.copyOfRange(state, 0, 2 * row));
    assertThat(Arrays.copyOfRange(kept, 2 * row, 4 * row))
        .containsExactly(Arrays.copyOfRange(state, 3 * row, 5 * row));
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
