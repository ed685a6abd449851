package io.emostream.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class AudioPreprocessorTest {

  @Test
  void removeDcOffsetTakesAConstantOffsetAndADriftOutAndKeepsSpeechBands() {
    int rate = 16_000;
    float[] tone = new float[rate];
    float[] withOffset = new float[rate];
    float[] withDrift = new float[rate];
    for (int i = 0; i < rate; i++) {
      tone[i] = (float) (0.2 * Math.sin(2 * Math.PI * 200 * i / rate));
      withOffset[i] = tone[i] + 0.3f;
      withDrift[i] = tone[i] + (float) (0.05 * Math.sin(2 * Math.PI * 0.2 * i / rate)) + 0.1f;
    }
    float[] clean = AudioPreprocessor.removeDcOffset(tone.clone(), rate);

    // a constant offset changes nothing at all
    assertThat(AudioPreprocessor.removeDcOffset(withOffset, rate))
        .containsExactly(clean, within(1e-6f));
    // a slow swing is all but gone; the 200 Hz tone keeps its level (after the first 250 ms)
    AudioPreprocessor.removeDcOffset(withDrift, rate);
    for (int i = 4_000; i < rate; i++) {
      assertThat(withDrift[i]).as("sample %d", i).isCloseTo(clean[i], within(0.008f));
      assertThat(clean[i]).as("sample %d", i).isCloseTo(tone[i], within(0.02f));
    }
    assertThat(AudioPreprocessor.removeDcOffset(new float[0], rate)).isEmpty();
  }

  @Test
  void convertsLittleEndianPcmAndAveragesChannels() {
    // frame 1: L=16384 (0x4000), R=0 → 0.25; frame 2: L=-32768 (0x8000), R=-32768 → -1.0
    byte[] pcm = {0x00, 0x40, 0x00, 0x00, 0x00, (byte) 0x80, 0x00, (byte) 0x80};
    assertThat(AudioPreprocessor.toMonoFloat(pcm, 2)).containsExactly(0.25f, -1.0f);
  }

  @Test
  void convertsMonoPcmSampleBySample() {
    // 1, 32767, -32768, -1, little-endian
    byte[] pcm = {0x01, 0x00, (byte) 0xff, 0x7f, 0x00, (byte) 0x80, (byte) 0xff, (byte) 0xff};
    assertThat(AudioPreprocessor.toMonoFloat(pcm, 1))
        .containsExactly(1 / 32768f, 32767 / 32768f, -1.0f, -1 / 32768f);
  }

  @Test
  void rejectsPcmThatIsNotWholeFrames() {
    assertThatThrownBy(() -> AudioPreprocessor.toMonoFloat(new byte[3], 1))
        .hasMessageContaining("not a whole number");
  }

  @Test
  void windowsKeepEverySample() {
    float[] x = new float[25];
    List<float[]> w = AudioPreprocessor.windows(x, 10, 4);
    // 10 + 10 + a 5-sample tail (>= min 4) as its own window
    assertThat(w).extracting(a -> a.length).containsExactly(10, 10, 5);
    // a 3-sample tail (< min) joins the last full window rather than being cut
    assertThat(AudioPreprocessor.windows(new float[23], 10, 4))
        .extracting(a -> a.length)
        .containsExactly(10, 13);
    // shorter than one window: one window of what there is
    assertThat(AudioPreprocessor.windows(new float[7], 10, 4))
        .extracting(a -> a.length)
        .containsExactly(7);
  }

  @Test
  void zeroMeanUnitVarianceMatchesTheHuggingFaceFormula() {
    float[] out = AudioPreprocessor.zeroMeanUnitVariance(new float[] {1f, 3f});
    // mean 2, variance 1 → (x - 2) / sqrt(1 + 1e-7)
    assertThat(out[0]).isCloseTo(-1f, within(1e-6f));
    assertThat(out[1]).isCloseTo(1f, within(1e-6f));
  }
}
