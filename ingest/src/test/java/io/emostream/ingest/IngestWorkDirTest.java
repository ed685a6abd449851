package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EMOSTREAM_WORK_DIR is checked at start: a missing folder was accepted, and then every spooled
 * upload was answered "503 try again later".
 */
class IngestWorkDirTest {

  @TempDir Path tmp;

  @Test
  void aMissingFolderIsMadeAndOneThatCannotBeIsRefusedNamingTheVariable() throws Exception {
    Path missing = tmp.resolve("a/b");
    IngestConfig config =
        IngestConfig.fromEnv(new Env(Map.of(IngestConfig.WORK_DIR_ENV, missing.toString())));
    assertThat(config.workDir()).isEqualTo(missing).isDirectory();

    Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
    assertThatThrownBy(
            () ->
                IngestConfig.fromEnv(
                    new Env(Map.of(IngestConfig.WORK_DIR_ENV, file.resolve("spool").toString()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "EMOSTREAM_WORK_DIR="
                + file.resolve("spool")
                + " cannot be created; give a folder uploads may be spooled to");
  }
}
