package io.emostream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether stderr, where progress goes, is a terminal. Java 17 cannot ask about one stream: {@code
 * System.console()} is null as soon as stdin or <em>stdout</em> is redirected, so {@code analyze
 * --json > results.json} lost its bar although stderr was still the terminal. The {@code
 * ./emostream} launcher asks the shell ({@code [ -t 2 ]}) and passes the answer as {@value
 * #PROPERTY}; without it (java run by hand) Linux's {@code /proc/self/fd/2} tells where stderr
 * goes.
 */
final class Terminal {

  /** Set by the launcher to {@code true} or {@code false}. */
  static final String PROPERTY = "emostream.stderr.tty";

  private Terminal() {}

  static boolean stderrIsTerminal() {
    return stderrIsTerminal(System.getProperty(PROPERTY), Path.of("/proc/self/fd/2"));
  }

  /**
   * {@code launcherSays}: the launcher's answer, or null; {@code fd2}: the link to stderr's open
   * file.
   */
  static boolean stderrIsTerminal(String launcherSays, Path fd2) {
    if (launcherSays != null && !launcherSays.isBlank()) {
      return Boolean.parseBoolean(launcherSays.strip());
    }
    try {
      String target = Files.readSymbolicLink(fd2).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false; // not Linux, or no /proc: plain lines, which are right everywhere
    }
  }
}
