package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TerminalTest {

  @Test
  void theLaunchersAnswerWins(@TempDir Path dir) throws Exception {
    Path toFile = Files.createSymbolicLink(dir.resolve("2"), Path.of("/tmp/results.json"));

    assertThat(Terminal.stderrIsTerminal("true", toFile)).isTrue();
    assertThat(Terminal.stderrIsTerminal("false", Path.of("/dev/pts/0"))).isFalse();
  }

  @Test
  void withoutTheLauncherStderrsOpenFileDecides(@TempDir Path dir) throws Exception {
    assertThat(
            Terminal.stderrIsTerminal(
                null, Files.createSymbolicLink(dir.resolve("pts"), Path.of("/dev/pts/3"))))
        .isTrue();
    assertThat(
            Terminal.stderrIsTerminal(
                "", Files.createSymbolicLink(dir.resolve("tty"), Path.of("/dev/tty1"))))
        .isTrue();
    assertThat(
            Terminal.stderrIsTerminal(
                null, Files.createSymbolicLink(dir.resolve("pipe"), Path.of("pipe:[12345]"))))
        .isFalse();
    assertThat(
            Terminal.stderrIsTerminal(
                null, Files.createSymbolicLink(dir.resolve("file"), Path.of("/tmp/err.log"))))
        .isFalse();
    assertThat(Terminal.stderrIsTerminal(null, dir.resolve("missing"))).isFalse();
  }

  @Test
  void wideCharactersTakeTwoColumnsAndCombiningMarksNone() {
    assertThat(Terminal.width("call.mp4")).isEqualTo(8);
    assertThat(Terminal.width("通话.mp4")).isEqualTo(8);
    assertThat(Terminal.width("통화")).isEqualTo(4);
    assertThat(Terminal.width("ｃａｌｌ")).isEqualTo(8); // fullwidth
    assertThat(Terminal.width("cafe\u0301")).isEqualTo(4); // e + combining acute
    assertThat(Terminal.padRight("通话", 6)).isEqualTo("通话  ");
  }

  @Test
  void escapeSequencesInANameArePrintedHarmless() {
    assertThat(Terminal.printable("../bad/z\u001b[2J\u001b]0;PWN\u0007q.mp4: not media"))
        .isEqualTo("../bad/z?[2J?]0;PWN?q.mp4: not media");
    assertThat(Terminal.printable("two\nlines\tok")).isEqualTo("two\nlines\tok");
    assertThat(Terminal.printable("call\u202E4pm.mp4")).isEqualTo("call?4pm.mp4");
  }
}
