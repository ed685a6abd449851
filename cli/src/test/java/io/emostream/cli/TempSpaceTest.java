package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.cli.Main.InputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A temporary folder without room for the platform is refused in one line before anything starts (a
 * full one gave a library loader's stack trace, then a flood of the broker's errors).
 */
class TempSpaceTest {

  @TempDir Path tmp;

  @Test
  void aFolderWithTooLittleRoomIsOneLineNamingTheSetting() {
    assertThatThrownBy(() -> Preflight.checkTempSpace(tmp, Long.MAX_VALUE))
        .isInstanceOf(InputException.class)
        .hasMessageStartingWith("the temporary folder " + tmp + " has ")
        .hasMessageContaining("MB free; emostream needs at least")
        .hasMessageEndingWith("choose another with EMOSTREAM_JAVA_OPTS=-Djava.io.tmpdir=DIR");
    assertThatCode(() -> Preflight.checkTempSpace(tmp, 1)).doesNotThrowAnyException();
  }
}
