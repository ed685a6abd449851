package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IngestHttpServerTest {

  @Test
  void displayNamesNeverCarryDirectories() {
    assertThat(IngestHttpServer.displayName("../../etc/passwd")).isEqualTo("passwd");
    assertThat(IngestHttpServer.displayName("C:\\calls\\a.mp4")).isEqualTo("a.mp4");
    assertThat(IngestHttpServer.displayName("..")).isEqualTo("upload");
    assertThat(IngestHttpServer.displayName(null)).isEqualTo("upload");
  }

  @Test
  void acceptsMediaContentTypesOnly() {
    assertThat(IngestHttpServer.acceptedContentType("video/mp4")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("audio/wav; codecs=1")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("application/octet-stream")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("text/html")).isFalse();
    assertThat(IngestHttpServer.acceptedContentType(null)).isFalse();
  }
}
