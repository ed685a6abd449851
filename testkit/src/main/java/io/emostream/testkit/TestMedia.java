package io.emostream.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small media files written by hand for tests. */
public final class TestMedia {

  private TestMedia() {
  }

  /** A 440 Hz mono 16-bit PCM WAV of {@code seconds} at {@code rate} Hz. */
  public static Path writeToneWav(Path file, int rate, double seconds) throws IOException {
    int n = (int) (rate * seconds);
    ByteBuffer b = ByteBuffer.allocate(44 + n * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + n * 2).put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate)
        .putInt(rate * 2).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(n * 2);
    for (int i = 0; i < n; i++) {
      b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
    }
    return Files.write(file, b.array());
  }

  /**
   * A stereo 16-bit PCM WAV: a sine of {@code leftHz} at amplitude {@code leftAmplitude} on the left channel
   * and one of {@code rightHz} at {@code rightAmplitude} on the right, so a test can tell the channels apart.
   */
  public static Path writeStereoToneWav(Path file, int rate, double seconds, double leftHz, int leftAmplitude,
      double rightHz, int rightAmplitude) throws IOException {
    int n = (int) (rate * seconds);
    ByteBuffer b = ByteBuffer.allocate(44 + n * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + n * 4).put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 2).putInt(rate)
        .putInt(rate * 4).putShort((short) 4).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(n * 4);
    for (int i = 0; i < n; i++) {
      b.putShort((short) (leftAmplitude * Math.sin(2 * Math.PI * leftHz * i / rate)));
      b.putShort((short) (rightAmplitude * Math.sin(2 * Math.PI * rightHz * i / rate)));
    }
    return Files.write(file, b.array());
  }
}
