package io.emostream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Whether stderr, where progress goes, is a terminal. Java 17 cannot ask about one stream: {@code
 * System.console()} is null as soon as stdin or <em>stdout</em> is redirected, so {@code analyze
 * --json > results.json} lost its bar although stderr was still the terminal. The {@code
 * ./emostream} launcher asks the shell ({@code [ -t 2 ]}) and passes the answer as {@value
 * #PROPERTY}; without it (java run by hand) Linux's {@code /proc/self/fd/2} tells where stderr
 * goes.
 */
final class Terminal {

  /** Control characters but newline and tab, and the bidirectional overrides. */
  private static final Pattern UNPRINTABLE =
      Pattern.compile("[\\p{Cntrl}&&[^\\n\\t]]|[\\u202A-\\u202E\\u2066-\\u2069]");

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

  /**
   * The columns a terminal gives {@code text}: two for East Asian wide and fullwidth characters
   * (CJK, Hangul, kana, fullwidth forms, most emoji), none for combining marks and format
   * characters, one otherwise; what {@code wcwidth} answers for these ranges. JLine's {@code
   * WCWidth} does the same; one function did not warrant the dependency.
   */
  static int width(String text) {
    int columns = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      int type = Character.getType(cp);
      if (type == Character.NON_SPACING_MARK
          || type == Character.ENCLOSING_MARK
          || type == Character.FORMAT) {
        continue;
      }
      columns += isWide(cp) ? 2 : 1;
    }
    return columns;
  }

  /** {@code text} followed by spaces up to {@code columns} terminal columns. */
  static String padRight(String text, int columns) {
    int pad = columns - width(text);
    return pad <= 0 ? text : text + " ".repeat(pad);
  }

  private static boolean isWide(int cp) {
    return (cp >= 0x1100 && cp <= 0x115F)
        || (cp >= 0x2E80 && cp <= 0x303E)
        || (cp >= 0x3041 && cp <= 0x33FF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0xA000 && cp <= 0xA4CF)
        || (cp >= 0xAC00 && cp <= 0xD7A3)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0xFE30 && cp <= 0xFE4F)
        || (cp >= 0xFF00 && cp <= 0xFF60)
        || (cp >= 0xFFE0 && cp <= 0xFFE6)
        || (cp >= 0x1F300 && cp <= 0x1F64F)
        || (cp >= 0x1F900 && cp <= 0x1F9FF)
        || (cp >= 0x20000 && cp <= 0x3FFFD);
  }

  /**
   * {@code text} safe to print: control characters other than newline and tab (terminal escape
   * sequences, a bell, a carriage return, from a file's name) and bidirectional overrides become
   * {@code ?}, so a name cannot clear the screen, retitle the window, overwrite the line it is on
   * or show it reversed.
   */
  static String printable(String text) {
    return text == null ? null : UNPRINTABLE.matcher(text).replaceAll("?");
  }
}
