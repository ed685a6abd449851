package io.emostream.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of one phase on stderr. On a terminal: one bar redrawn in place with counts, rate and
 * time left; elsewhere (a pipe, a log file, CI): plain lines, one per named step and one per tenth
 * of the total, so logs stay short.
 */
final class Progress {

  static final int BAR_WIDTH = 24;

  private final PrintStream err;
  private final boolean interactive;
  private final String phase;
  private final String unit;
  private int total;
  private final LongSupplier nanoTime;
  private final long startNanos;
  private int done;
  private int lastTenth;
  private int drawnWidth;

  Progress(
      PrintStream err,
      boolean interactive,
      String phase,
      String unit,
      int total,
      LongSupplier nanoTime) {
    this.err = err;
    this.interactive = interactive;
    this.phase = phase;
    this.unit = unit;
    this.total = total;
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
  }

  /**
   * Raises the total to {@code total} (never lowers it): a phase whose items are still being found
   * (segments fused while their files are still read).
   */
  synchronized void atLeast(int total) {
    this.total = Math.max(this.total, total);
  }

  /** One more done; {@code detail} (may be null) names it, e.g. the file just ingested. */
  synchronized void step(String detail) {
    done++;
    double seconds = (nanoTime.getAsLong() - startNanos) / 1e9;
    String status = line(phase, done, total, unit, seconds);
    if (interactive) {
      draw(status + (detail == null ? "" : "  " + Terminal.printable(detail)));
      return;
    }
    int tenth = total == 0 ? 10 : done * 10 / total;
    if (done > total) { // the total is not known yet: a line every tenth item
      if (done % 10 == 0) {
        err.println(status);
      }
      return;
    }
    if (detail != null) {
      err.println(
          phase + " " + done + "/" + total + " " + unit + ": " + Terminal.printable(detail));
    } else if (tenth > lastTenth || done == total) {
      err.println(status);
    }
    lastTenth = tenth;
  }

  /** A message between progress updates (e.g. a file that failed), on its own line. */
  synchronized void note(String message) {
    clear();
    err.println(Terminal.printable(message));
  }

  /**
   * Erases the bar (on a terminal), so other output can take its line; the next step draws it
   * again.
   */
  synchronized void clear() {
    if (interactive && drawnWidth > 0) {
      err.print("\r" + " ".repeat(drawnWidth) + "\r");
      err.flush();
      drawnWidth = 0;
    }
  }

  /** Ends the phase: the bar's line is finished so later output starts on a new one. */
  synchronized void finish() {
    if (interactive && drawnWidth > 0) {
      err.println();
      drawnWidth = 0;
    }
  }

  private void draw(String text) {
    String padded =
        text.length() < drawnWidth ? text + " ".repeat(drawnWidth - text.length()) : text;
    err.print("\r" + padded);
    err.flush();
    drawnWidth = text.length();
  }

  /** E.g. {@code fusion [==========> ] 12/24 segments 2.4/s ~5s left}. Pure. */
  static String line(String phase, int done, int total, String unit, double seconds) {
    boolean known = total >= done; // not yet, while items are still being found (atLeast)
    StringBuilder b =
        new StringBuilder(phase)
            .append(' ')
            .append(bar(known ? done : 0, known ? total : 1, BAR_WIDTH))
            .append(' ')
            .append(done)
            .append('/')
            .append(known ? Integer.toString(total) : "?")
            .append(' ')
            .append(unit);
    if (seconds > 0 && done > 0) {
      double rate = done / seconds;
      b.append(String.format(Locale.ROOT, "  %.1f/s", rate));
      if (done < total) {
        b.append("  ~").append(Math.round((total - done) / rate)).append("s left");
      }
    }
    return b.toString();
  }

  static String bar(int done, int total, int width) {
    int filled = total <= 0 ? width : (int) Math.min(width, (long) done * width / total);
    StringBuilder b = new StringBuilder("[");
    b.append("=".repeat(filled));
    if (filled < width) {
      b.append('>').append(" ".repeat(width - filled - 1));
    }
    return b.append(']').toString();
  }
}
