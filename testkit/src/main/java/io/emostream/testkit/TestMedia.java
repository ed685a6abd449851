package io.emostream.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Small media files written by hand for tests. */
public final class TestMedia {

  private TestMedia() {}

  /** A 440 Hz mono 16-bit PCM WAV of {@code seconds} at {@code rate} Hz. */
  public static Path writeToneWav(Path file, int rate, double seconds) throws IOException {
    return writeWav(file, rate, seconds, new double[][] {{440, 8000}});
  }

  /**
   * A stereo 16-bit PCM WAV: a sine of {@code leftHz} at amplitude {@code leftAmplitude} on the
   * left channel and one of {@code rightHz} at {@code rightAmplitude} on the right, so a test can
   * tell the channels apart.
   */
  public static Path writeStereoToneWav(
      Path file,
      int rate,
      double seconds,
      double leftHz,
      int leftAmplitude,
      double rightHz,
      int rightAmplitude)
      throws IOException {
    return writeWav(
        file, rate, seconds, new double[][] {{leftHz, leftAmplitude}, {rightHz, rightAmplitude}});
  }

  /** A mono 16-bit PCM WAV of {@code samples} at {@code rate} Hz. */
  public static Path writeMonoWav(Path file, int rate, short[] samples) throws IOException {
    ByteBuffer b = header(rate, 1, samples.length);
    for (short sample : samples) {
      b.putShort(sample);
    }
    return Files.write(file, b.array());
  }

  /**
   * A made-up conversation: the {@code utterances} in order with {@code gapSamples} of digital
   * silence between them.
   */
  public static short[] conversation(List<short[]> utterances, int gapSamples) {
    short[] all = new short[0];
    for (short[] speech : utterances) {
      int at = all.length == 0 ? 0 : all.length + gapSamples;
      all = Arrays.copyOf(all, at + speech.length);
      System.arraycopy(speech, 0, all, at, speech.length);
    }
    return all;
  }

  /** A 16-bit PCM WAV with one sine per channel; {@code tones[c]} = {frequency Hz, amplitude}. */
  public static Path writeWav(Path file, int rate, double seconds, double[][] tones)
      throws IOException {
    int n = (int) (rate * seconds);
    ByteBuffer b = header(rate, tones.length, n);
    for (int i = 0; i < n; i++) {
      for (double[] tone : tones) {
        b.putShort((short) (tone[1] * Math.sin(2 * Math.PI * tone[0] * i / rate)));
      }
    }
    return Files.write(file, b.array());
  }

  /** A buffer for the whole file with its 44-byte header written, positioned at the samples. */
  private static ByteBuffer header(int rate, int channels, int n) {
    int frameBytes = 2 * channels;
    ByteBuffer b = ByteBuffer.allocate(44 + n * frameBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII))
        .putInt(36 + n * frameBytes)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII))
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) channels)
        .putInt(rate)
        .putInt(rate * frameBytes)
        .putShort((short) frameBytes)
        .putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII))
        .putInt(n * frameBytes);
    return b;
  }
}
