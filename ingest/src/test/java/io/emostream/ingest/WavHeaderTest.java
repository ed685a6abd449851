package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WAV file cut off mid-copy: FFmpeg trims its {@code data} chunk to the bytes in the file and
 * reads it as a shorter, complete recording; its header still says how long it was meant to be.
 */
class WavHeaderTest {

  @TempDir Path dir;

  @Test
  void aCompleteWavDeclaresItsOwnLength() throws IOException {
    Path wav = write("whole.wav", wav(8_000, 8_000 * 8, null, false));

    assertThat(WavHeader.declaredMs(wav)).isEqualTo(8_000);
  }

  @Test
  void chunksBeforeTheDataChunkAreSkippedWithTheirPadding() throws IOException {
    Path wav = write("list.wav", wav(8_000, 8_000 * 2, null, true));

    assertThat(WavHeader.declaredMs(wav)).isEqualTo(2_000);
  }

  @Test
  void aTruncatedWavStillDeclaresTheLengthItWasMeantToHave() throws IOException {
    byte[] whole = wav(16_000, 16_000 * 8, null, false);
    Path cut = write("cut.wav", Arrays.copyOf(whole, whole.length * 3 / 8));

    assertThat(WavHeader.declaredMs(cut)).isEqualTo(8_000);
  }

  @Test
  void placeholderSizesAndOtherFilesDeclareNothing() throws IOException {
    assertThat(WavHeader.declaredMs(write("pipe.wav", wav(8_000, 100, 0xFFFF_FFFF, false))))
        .isEqualTo(-1);
    assertThat(WavHeader.declaredMs(write("open.wav", wav(8_000, 100, 0, false)))).isEqualTo(-1);
    assertThat(WavHeader.declaredMs(write("short.wav", "RIFF".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo(-1);
    assertThat(WavHeader.declaredMs(write("x.mp4", new byte[64]))).isEqualTo(-1);
    assertThat(WavHeader.declaredMs(dir.resolve("missing.wav"))).isEqualTo(-1);
  }

  /**
   * Analysed as a file, a WAV cut at 3 of its 8 s is said to be truncated, its clips published; it
   * was analysed as a complete 3 s recording.
   */
  @Test
  void aTruncatedWavFileIsAnalysedUpToItsEndAndCalledTruncated() throws IOException {
    byte[] whole = wav(16_000, 16_000 * 8, null, false);
    Path cut = write("call.wav", Arrays.copyOf(whole, 44 + 16_000 * 2 * 3));
    VideoDemuxer demuxer =
        new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "4"))));
    List<DemuxedClip> clips = new ArrayList<>();

    assertThatThrownBy(() -> demuxer.demux(cut, clips::add))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("'call.wav' ends at 3.0 s of the 8.0 s its container declares")
        .hasMessageContaining("(1 clip(s) before it were published)");
    assertThat(clips).singleElement().satisfies(c -> assertThat(c.startMs()).isZero());
  }

  /**
   * A truncated 8 kHz mu-law WAV (a telephone recording): FFmpeg reports its declared duration, so
   * its last clip was said to end at the plan's 8 s, past the 5 s the file holds.
   */
  @Test
  void theLastClipOfATruncatedFileEndsWhereItsMediaEnds() throws IOException {
    byte[] whole = muLawWav(8_000 * 8);
    Path cut = write("call.wav", Arrays.copyOf(whole, 56 + 8_000 * 5));
    VideoDemuxer demuxer =
        new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "4"))));
    List<DemuxedClip> clips = new ArrayList<>();

    assertThatThrownBy(() -> demuxer.demux(cut, clips::add))
        .hasMessageContaining("'call.wav' ends at 5.0 s of the 8.0 s its container declares");
    assertThat(clips).extracting(DemuxedClip::startMs).containsExactly(0L, 4_000L);
    assertThat(clips.get(0).endMs()).isEqualTo(4_000L);
    // where the audio ends: 5 s, less the resampler's last 2 ms (it was 8 s, the plan's)
    assertThat(clips.get(1).endMs()).isBetween(4_990L, 5_000L);
  }

  @Test
  void aWholeWavFileIsNotCalledTruncated() throws IOException {
    Path wav = write("call.wav", wav(16_000, 16_000 * 8, null, false));
    VideoDemuxer demuxer =
        new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "4"))));
    List<DemuxedClip> clips = new ArrayList<>();

    demuxer.demux(wav, clips::add);

    assertThat(clips).extracting(DemuxedClip::startMs).containsExactly(0L, 4_000L);
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  /**
   * A 16-bit mono PCM WAV of a 440 Hz tone: {@code samples} samples, its data chunk's size field
   * {@code dataSize} (null: the real size), with an odd-sized LIST chunk before it when asked.
   */
  private static byte[] wav(int rate, int samples, Integer dataSize, boolean listChunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer fmt = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    fmt.put(ascii("fmt ")).putInt(16).putShort((short) 1).putShort((short) 1);
    fmt.putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
    ByteBuffer data = ByteBuffer.allocate(8 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    data.put(ascii("data")).putInt(dataSize != null ? dataSize : samples * 2);
    for (int i = 0; i < samples; i++) {
      data.putShort((short) (8_000 * Math.sin(2 * Math.PI * 440 * i / rate)));
    }
    byte[] list = new byte[0];
    if (listChunk) {
      ByteBuffer l = ByteBuffer.allocate(8 + 5 + 1).order(ByteOrder.LITTLE_ENDIAN);
      l.put(ascii("LIST")).putInt(5).put(ascii("INFOx")).put((byte) 0);
      list = l.array();
    }
    ByteBuffer riff = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    riff.put(ascii("RIFF")).putInt(4 + 24 + list.length + data.capacity()).put(ascii("WAVE"));
    out.writeBytes(riff.array());
    out.writeBytes(fmt.array());
    out.writeBytes(list);
    out.writeBytes(data.array());
    return out.toByteArray();
  }

  /**
   * An 8 kHz mono G.711 mu-law WAV of {@code samples} samples, with the {@code fact} chunk (its
   * sample count) from which FFmpeg takes the duration.
   */
  private static byte[] muLawWav(int samples) {
    ByteBuffer b = ByteBuffer.allocate(56 + samples).order(ByteOrder.LITTLE_ENDIAN);
    b.put(ascii("RIFF")).putInt(48 + samples).put(ascii("WAVE"));
    b.put(ascii("fmt ")).putInt(16).putShort((short) 7).putShort((short) 1);
    b.putInt(8_000).putInt(8_000).putShort((short) 1).putShort((short) 8);
    b.put(ascii("fact")).putInt(4).putInt(samples); // as FFmpeg and sox write for G.711
    b.put(ascii("data")).putInt(samples);
    for (int i = 0; i < samples; i++) {
      b.put((byte) (0x80 + (int) (40 * Math.sin(2 * Math.PI * 440 * i / 8_000))));
    }
    return b.array();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
