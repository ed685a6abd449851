package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cut rules on made-up frame probabilities (32 ms frames; 1.0 voiced, 0.0 not): minimum 2 s,
 * maximum 8 s, pause 320 ms (10 frames, so a cut lies 5 frames, 2560 samples, into the pause).
 */
class SpeechCutsTest {

  static final Segmentation VAD =
      new Segmentation(Segmentation.Mode.VAD, 2_000, 8_000, 320, Path.of("vad.onnx"), 0.5);
  static final int FRAME = 512;

  /** Runs {@code seconds} of speech (true) or pause (false) pieces; returns the cut samples. */
  static List<Long> cuts(SpeechCuts cuts, Object... pieces) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < pieces.length; i += 2) {
      boolean voiced = (Boolean) pieces[i];
      long frames = Math.round((Double) pieces[i + 1] * 16_000 / FRAME);
      for (long f = 0; f < frames; f++) {
        long cut = cuts.next(voiced ? 1f : 0f);
        if (cut >= 0) {
          out.add(cut);
        }
      }
    }
    return out;
  }

  static SpeechCuts stream() {
    return new SpeechCuts(VAD, 0, 1_000);
  }

  @Test
  void anUtteranceLongerThanTheMinimumEndsHalfAPauseIntoThePauseAfterIt() {
    // 2.56 s of speech (80 frames), then a pause: the cut is 5 frames into it.
    assertThat(cuts(stream(), true, 2.56, false, 1.0)).containsExactly(85L * FRAME);
  }

  @Test
  void aPauseBeforeTheMinimumDoesNotCutAndOneThatSpansItCutsAtTheMinimum() {
    // speech 0.96 s, pause 0.64 s, speech to 3.2 s, then a long pause from 3.2 s: no cut at 1.28 s.
    assertThat(cuts(stream(), true, 0.96, false, 0.64, true, 1.6, false, 1.0))
        .containsExactly(105L * FRAME); // 3.2 s + 5 frames
    // speech 1.6 s then a pause past the 2 s minimum: the cut is at the minimum (the first frame
    // boundary from it on: 2.016 s).
    assertThat(cuts(stream(), true, 1.6, false, 2.0)).containsExactly(63L * FRAME);
  }

  @Test
  void speechWithoutPausesIsCutAtTheMaximumOnceHalfAPauseMoreHasBeenHeard() {
    SpeechCuts cuts = stream();
    // 8 s + 5 frames - 1 frame: not yet decided.
    assertThat(cuts(cuts, true, 8.0 + 4 * 0.032)).isEmpty();
    assertThat(cuts(cuts, true, 0.032)).containsExactly(8_000L * 16);
    assertThat(cuts.start()).isEqualTo(8_000L * 16);
  }

  @Test
  void silenceIsCutAtTheMaximumAndSpeechAfterItStartsAClipHalfAPauseBeforeIt() {
    // 20 s of silence: 8 s clips, a tone or noise that the VAD hears as no speech alike.
    assertThat(cuts(stream(), false, 20.0)).containsExactly(8_000L * 16, 16_000L * 16);
    // 3.2 s of silence, then speech: the speech starts a clip a pause (10 frames) before its
    // first voiced frame.
    assertThat(cuts(stream(), false, 3.2, true, 1.0)).containsExactly(90L * FRAME);
    // 1.28 s of silence is under the minimum: the speech stays in the first clip.
    assertThat(cuts(stream(), false, 1.28, true, 1.0)).isEmpty();
  }

  @Test
  void withAKnownDurationNoCutLeavesLessThanTheTailMinimum() {
    // 4 s source, 1 s tail minimum: a pause at 2.56 s is cut, one at 3.2 s would leave 0.64 s.
    assertThat(cuts(new SpeechCuts(VAD, 4_000, 1_000), true, 2.56, false, 1.44))
        .containsExactly(85L * FRAME);
    assertThat(cuts(new SpeechCuts(VAD, 4_000, 1_000), true, 3.2, false, 0.8)).isEmpty();
    // 8.5 s of speech: the cut at the maximum would leave 0.5 s, so the clip runs to the end.
    assertThat(cuts(new SpeechCuts(VAD, 8_500, 1_000), true, 8.5)).isEmpty();
  }

  @Test
  void settingsComeFromTheEnvironmentWithDefaultsAndBadValuesAreRefused() {
    Segmentation defaults = Segmentation.fromEnv(new Env(Map.of()));
    assertThat(defaults.mode()).isEqualTo(Segmentation.Mode.FIXED);
    assertThat(defaults.vad()).isFalse();
    assertThat(defaults.minMs()).isEqualTo(2_000);
    assertThat(defaults.maxMs()).isEqualTo(8_000);
    assertThat(defaults.pauseMs()).isEqualTo(300);
    assertThat(defaults.vadModel())
        .isEqualTo(Path.of("models/silero-vad/silero_vad_v5_sequence.onnx"));

    Segmentation vad =
        Segmentation.fromEnv(
            new Env(
                Map.of(
                    "EMOSTREAM_SEGMENTATION", "vad",
                    "EMOSTREAM_VAD_SEGMENT_MIN_SECONDS", "1.5",
                    "EMOSTREAM_VAD_SEGMENT_MAX_SECONDS", "6",
                    "EMOSTREAM_VAD_SEGMENT_PAUSE_MS", "500",
                    "EMOSTREAM_VAD_THRESHOLD", "0.4")));
    assertThat(vad.vad()).isTrue();
    assertThat(vad.minMs()).isEqualTo(1_500);
    assertThat(vad.maxMs()).isEqualTo(6_000);
    assertThat(vad.pauseMs()).isEqualTo(500);
    assertThat(vad.threshold()).isEqualTo(0.4);

    assertThatThrownBy(
            () -> Segmentation.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENTATION", "pauses"))))
        .hasMessageContaining("EMOSTREAM_SEGMENTATION='pauses'")
        .hasMessageContaining("FIXED, VAD");
    assertThatThrownBy(
            () ->
                Segmentation.fromEnv(
                    new Env(
                        Map.of(
                            "EMOSTREAM_VAD_SEGMENT_MIN_SECONDS", "5",
                            "EMOSTREAM_VAD_SEGMENT_MAX_SECONDS", "4"))))
        .hasMessageContaining("minimum <= maximum");
    assertThatThrownBy(
            () -> Segmentation.fromEnv(new Env(Map.of("EMOSTREAM_VAD_SEGMENT_PAUSE_MS", "10"))))
        .hasMessageContaining("EMOSTREAM_VAD_SEGMENT_PAUSE_MS");
  }
}
