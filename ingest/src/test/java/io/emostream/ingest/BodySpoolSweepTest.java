package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest service's start deletes the upload spool files of killed ingest processes (a kill -9
 * runs no hook): a helper found a 2.6 MB spool still there after the restarted service was ready.
 */
class BodySpoolSweepTest {

  @TempDir Path dir;

  @Test
  void spoolsOfGoneProcessesAreDeletedAndNothingElse() throws Exception {
    Path killed = Files.createFile(dir.resolve("emostream-upload-4242-123.media"));
    Path running = Files.createFile(dir.resolve("emostream-upload-7-456.media"));
    Path other = Files.createFile(dir.resolve("emostream-upload-notes.txt"));
    Path foreign = Files.createFile(dir.resolve("upload-4242-1.media"));

    assertThat(BodySpool.deleteKilledSpools(dir, pid -> pid == 7)).isEqualTo(1);

    assertThat(killed).doesNotExist();
    assertThat(running).exists();
    assertThat(other).exists();
    assertThat(foreign).exists();
  }

  @Test
  void aMissingFolderIsNoError() {
    assertThat(BodySpool.deleteKilledSpools(dir.resolve("missing"), pid -> false)).isZero();
  }
}
