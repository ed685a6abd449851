package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.StreamSniffer.Sniff;
import io.emostream.ingest.StreamSniffer.Verdict;
import io.emostream.testkit.StreamedMedia;
import io.emostream.testkit.StreamedMedia.Container;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which uploads are demuxed while they arrive, decided from their first bytes. */
class StreamSnifferTest {

  private static Sniff sniff(byte[] body, boolean ended) {
    return StreamSniffer.sniff(body, body.length, ended);
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void theContainersFfmpegReadsWithoutSeekingAreStreamed(Container container) throws Exception {
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, container);
    byte[] head = Arrays.copyOf(media, Math.min(media.length, StreamSniffer.WINDOW));

    assertThat(sniff(head, false).verdict()).isEqualTo(Verdict.STREAM);
  }

  @Test
  void aPlainMp4IsSpooled() throws Exception {
    byte[] media = Files.readAllBytes(VideoDemuxerTest.SAMPLE);

    assertThat(sniff(media, true)).isEqualTo(new Sniff(Verdict.SPOOL, "mp4"));
    byte[] head = Arrays.copyOf(media, StreamSniffer.WINDOW);
    assertThat(sniff(head, false).verdict()).isEqualTo(Verdict.SPOOL);
  }

  @Test
  void aFewBytesAreNotEnoughUntilTheBodyEnds() {
    byte[] ebml = {0x1a, 0x45};
    assertThat(sniff(ebml, false).verdict()).isEqualTo(Verdict.MORE);
    assertThat(sniff(ebml, true).verdict()).isEqualTo(Verdict.SPOOL);
    assertThat(sniff(new byte[0], true).verdict()).isEqualTo(Verdict.SPOOL);

    byte[] ts = new byte[200];
    ts[0] = 0x47;
    ts[188] = 0x47;
    assertThat(sniff(ts, false)).isEqualTo(new Sniff(Verdict.MORE, "mpegts"));
    assertThat(sniff(ts, true).verdict()).isEqualTo(Verdict.SPOOL);
  }

  @Test
  void anMpegTsNeedsItsSyncByteEvery188Bytes() {
    byte[] ts = new byte[3 * 188];
    ts[0] = 0x47;
    ts[188] = 0x47;
    ts[376] = 0x47;
    assertThat(sniff(ts, false)).isEqualTo(new Sniff(Verdict.STREAM, "mpegts"));
    ts[376] = 0;
    assertThat(sniff(ts, false).verdict()).isEqualTo(Verdict.SPOOL);
  }

  @Test
  void anIsoFileWhoseMoovIsNotInTheWindowYetWaitsThenSpools() {
    byte[] ftypOnly = box("ftyp", 24);
    assertThat(sniff(ftypOnly, false)).isEqualTo(new Sniff(Verdict.MORE, "mp4"));
    byte[] window = new byte[StreamSniffer.WINDOW];
    System.arraycopy(ftypOnly, 0, window, 0, ftypOnly.length);
    byte[] free = box("free", StreamSniffer.WINDOW); // runs past the window
    System.arraycopy(free, 0, window, ftypOnly.length, free.length);
    assertThat(sniff(window, false)).isEqualTo(new Sniff(Verdict.SPOOL, "mp4"));
  }

  @Test
  void otherBodiesAreSpooled() {
    byte[] wav = "RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII);
    assertThat(sniff(wav, false)).isEqualTo(new Sniff(Verdict.SPOOL, "unknown"));
    assertThat(sniff("FLV\1".getBytes(StandardCharsets.US_ASCII), false))
        .isEqualTo(new Sniff(Verdict.STREAM, "flv"));
  }

  /** An ISO BMFF box header of {@code size} bytes, zero-filled. */
  private static byte[] box(String type, int size) {
    byte[] b = new byte[Math.min(size, 64)];
    b[0] = (byte) (size >>> 24);
    b[1] = (byte) (size >>> 16);
    b[2] = (byte) (size >>> 8);
    b[3] = (byte) size;
    System.arraycopy(type.getBytes(StandardCharsets.US_ASCII), 0, b, 4, 4);
    return b;
  }
}
