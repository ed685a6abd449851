package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** How a stream read while it arrives ends: at its source's end, or where it is told to. */
class MediaStreamTest {

  @Test
  void endedHereItReadsAsACompleteInputThatEndsThere() throws IOException {
    MediaStream stream = new MediaStream(new ByteArrayInputStream(new byte[100]), 1_000, n -> {});
    byte[] buffer = new byte[40];
    assertThat(stream.read(buffer, 0, 40)).isEqualTo(40);
    stream.endHere();
    assertThat(stream.read(buffer, 0, 40)).isEqualTo(-1);
    assertThat(stream.ended()).isTrue();
    assertThat(stream.failure()).as("not cut off: what was read is complete").isNull();
    assertThat(stream.bytesRead()).isEqualTo(40);
  }

  @Test
  void readToItsEndItHasEndedWithoutAFailure() throws IOException {
    MediaStream stream = new MediaStream(new ByteArrayInputStream(new byte[10]), 1_000, n -> {});
    assertThat(stream.read(new byte[64], 0, 64)).isEqualTo(10);
    assertThat(stream.read(new byte[64], 0, 64)).isEqualTo(-1);
    assertThat(stream.ended()).isTrue();
    assertThat(stream.failure()).isNull();
  }
}
