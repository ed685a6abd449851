package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.cli.Main.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {

  @TempDir Path dir;

  @Test
  void aFolderInUseIsRefusedNamingItsHolderAndIsFreeOnceReleased() throws Exception {
    try (DataDirLock held = DataDirLock.acquire(dir, "EMOSTREAM_KAFKA_DATA_DIR")) {
      assertThat(Files.readString(dir.resolve(DataDirLock.NAME)).trim())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));

      assertThatThrownBy(() -> DataDirLock.acquire(dir, "EMOSTREAM_KAFKA_DATA_DIR"))
          .isInstanceOf(InputException.class)
          .hasMessage(
              "EMOSTREAM_KAFKA_DATA_DIR="
                  + dir
                  + " is in use by another ./emostream (pid "
                  + ProcessHandle.current().pid()
                  + "): stop it first, or give each instance its own folder");
    }
    DataDirLock.acquire(dir, "EMOSTREAM_KAFKA_DATA_DIR").close();
  }
}
