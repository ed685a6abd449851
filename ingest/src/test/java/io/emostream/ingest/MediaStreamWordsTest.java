package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * What a cut-off upload's ENDED event and answer say: a hostile pass found {@code ...: null} and
 * {@code java.util.concurrent.TimeoutException: Idle timeout expired: 30001/30000 ms} there, and a
 * spool file's name in place of the upload's.
 */
class MediaStreamWordsTest {

  @Test
  void aStreamFailureIsSaidInWords() {
    assertThat(MediaStream.inWords(new EOFException())).isEqualTo("the connection ended");
    assertThat(
            MediaStream.inWords(
                new IOException(
                    "java.util.concurrent.TimeoutException: Idle timeout expired",
                    new TimeoutException("Idle timeout expired: 30001/30000 ms"))))
        .isEqualTo("nothing arrived within the idle timeout");
    assertThat(
            MediaStream.inWords(
                new IOException("org.eclipse.jetty.io.EofException: reset by peer")))
        .isEqualTo("reset by peer");
  }

  @Test
  void aSpoolFilesNameAndFolderGiveWayToTheUploadsName() {
    Path spool = Path.of("/var/spool/emostream/emostream-upload-7-123.media");
    assertThat(
            RequestChecks.withoutServerPaths(
                "'emostream-upload-7-123.media' ends at 1.4 s", spool, "cls.mp4"))
        .isEqualTo("'cls.mp4' ends at 1.4 s");
    // a file in the root folder: its folder "/" is not removed from the message
    assertThat(
            RequestChecks.withoutServerPaths("cannot open /x.mp4 at a/b", Path.of("/x.mp4"), "x"))
        .isEqualTo("cannot open x at a/b");
  }
}
