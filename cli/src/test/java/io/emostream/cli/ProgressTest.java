package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong nanos = new AtomicLong();

  @Test
  void aLineShowsBarCountsRateAndTimeLeft() {
    assertThat(Progress.line("fusion", 12, 24, "segments", 5.0))
        .isEqualTo("fusion [============>           ] 12/24 segments  2.4/s  ~5s left");
    assertThat(Progress.line("fusion", 24, 24, "segments", 10.0))
        .isEqualTo("fusion [========================] 24/24 segments  2.4/s");
    assertThat(Progress.line("ingest", 0, 3, "files", 0))
        .isEqualTo("ingest [>                       ] 0/3 files");
    // segments fused while their files are still read: the total is not known yet
    assertThat(Progress.line("fusion", 5, 2, "segments", 2.0))
        .isEqualTo("fusion [>                       ] 5/? segments  2.5/s");
  }

  @Test
  void theBarIsFullAtTheEndAndNeverOverflows() {
    assertThat(Progress.bar(0, 4, 8)).isEqualTo("[>       ]");
    assertThat(Progress.bar(2, 4, 8)).isEqualTo("[====>   ]");
    assertThat(Progress.bar(4, 4, 8)).isEqualTo("[========]");
    assertThat(Progress.bar(9, 4, 8)).isEqualTo("[========]");
  }

  @Test
  void onATerminalTheBarIsRedrawnInPlace() {
    Progress progress = new Progress(err, true, "fusion", "segments", 2, nanos::get);
    nanos.set(1_000_000_000L);
    progress.step(null);
    nanos.set(2_000_000_000L);
    progress.step(null);
    progress.finish();

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .startsWith("\rfusion [============>")
        .contains("\rfusion [========================] 2/2 segments")
        .endsWith(System.lineSeparator());
    assertThat(text.split(System.lineSeparator(), -1)).as("one line, ended by finish()").hasSize(2);
  }

  @Test
  void clearingErasesTheBarAndTheNextStepDrawsItAgain() {
    Progress progress = new Progress(err, true, "fusion", "segments", 2, nanos::get);
    progress.step(null);
    int drawn = bytes.size() - 1; // the bar's width, after its \r
    progress.clear();
    String cleared = bytes.toString(StandardCharsets.UTF_8);
    progress.step(null);

    assertThat(cleared).endsWith("\r" + " ".repeat(drawn) + "\r");
    assertThat(bytes.toString(StandardCharsets.UTF_8).substring(cleared.length()))
        .startsWith("\rfusion [====");
  }

  @Test
  void clearingElsewhereWritesNothing() {
    Progress progress = new Progress(err, false, "fusion", "segments", 2, nanos::get);
    progress.step(null);
    int before = bytes.size();
    progress.clear();

    assertThat(bytes.size()).isEqualTo(before);
  }

  @Test
  void elsewhereItPrintsPlainLinesOnlyAtEachTenth() {
    Progress progress = new Progress(err, false, "fusion", "segments", 40, nanos::get);
    for (int i = 0; i < 40; i++) {
      nanos.addAndGet(100_000_000L);
      progress.step(null);
    }
    progress.finish();

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("\r");
    assertThat(text.lines().count()).isEqualTo(10);
    assertThat(text.lines().toList().get(9))
        .isEqualTo("fusion [========================] 40/40 segments  10.0/s");
  }

  @Test
  void namedStepsArePrintedEachAndNotesKeepTheBarIntact() {
    Progress plain = new Progress(err, false, "ingest", "files", 2, nanos::get);
    plain.step("a.mp4: 3 segment(s)");
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .isEqualTo("ingest 1/2 files: a.mp4: 3 segment(s)" + System.lineSeparator());

    bytes.reset();
    Progress bar = new Progress(err, true, "ingest", "files", 2, nanos::get);
    bar.step("a.mp4");
    bar.note("emostream: b.mp4: not a media file");
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains("\r" + " ".repeat(5))
        .contains("\remostream: b.mp4: not a media file");
  }
}
