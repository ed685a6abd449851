package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Alternation} on a clock that each round moves by a fixed amount. */
class AlternationTest {

  private long now;
  private long cpu;
  private final List<String> ran = new ArrayList<>();

  private Alternation.Prepared side(String name, long wallMs, long cpuMs) {
    return () ->
        () -> {
          ran.add(name);
          now += wallMs * 1_000_000;
          cpu += cpuMs * 1_000_000;
          return Alternation.Done.items(2);
        };
  }

  @Test
  void warmsUpUntimedForAQuarterOfTheBudgetThenAlternatesTimedRounds() throws Exception {
    Alternation alternation = new Alternation(() -> now, () -> cpu);

    BenchFigures.Comparison comparison =
        alternation.compare(
            "stage",
            "clip",
            "subject",
            side("s", 30, 40),
            "limit",
            side("l", 20, 10),
            Duration.ofMillis(1000),
            3);

    // 250 ms of warm-up: 5 pairs of 50 ms; then 1,000 ms of timed pairs: 20
    assertThat(ran.subList(0, 10))
        .containsExactly("s", "l", "s", "l", "s", "l", "s", "l", "s", "l");
    assertThat(comparison.subject().wallMs()).hasSize(20).containsOnly(30.0);
    assertThat(comparison.limit().cpuMs()).hasSize(20).containsOnly(10.0);
    assertThat(ran).hasSize(50);
    assertThat(comparison.cpuRatio()).isEqualTo(4.0);
  }

  @Test
  void aRoundLongerThanTheBudgetStillWarmsUpOnceAndTimesTheMinimumRounds() throws Exception {
    Alternation alternation = new Alternation(() -> now, () -> cpu);

    BenchFigures.Comparison comparison =
        alternation.compare(
            "stage",
            "file",
            "subject",
            side("s", 5_000, 5_000),
            "limit",
            side("l", 5_000, 5_000),
            Duration.ofMillis(1000),
            3);

    assertThat(ran).hasSize(2 + 2 * 3);
    assertThat(comparison.subject().wallMs()).hasSize(3);
  }
}
