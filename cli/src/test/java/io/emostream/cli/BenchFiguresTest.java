package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BenchFiguresTest {

  @Test
  void percentilesInterpolateBetweenRanksLikeNumpy() {
    double[] x = {4, 1, 3, 2};
    assertThat(BenchFigures.percentile(x, 50)).isEqualTo(2.5);
    assertThat(BenchFigures.percentile(x, 0)).isEqualTo(1);
    assertThat(BenchFigures.percentile(x, 100)).isEqualTo(4);
    // numpy.percentile([1, 2, 3, 4], 90) = 3.7
    assertThat(BenchFigures.percentile(x, 90)).isCloseTo(3.7, within(1e-12));
    assertThat(BenchFigures.percentile(new double[] {7}, 90)).isEqualTo(7);
    assertThat(x).containsExactly(4, 1, 3, 2); // the samples are not reordered
  }

  @Test
  void percentileRefusesNoSamplesAndOutOfRangeRanks() {
    assertThatThrownBy(() -> BenchFigures.percentile(new double[0], 50))
        .hasMessageContaining("no samples");
    assertThatThrownBy(() -> BenchFigures.percentile(new double[] {1}, 101))
        .hasMessageContaining("[0, 100], got 101");
    assertThatThrownBy(() -> BenchFigures.percentile(new double[] {1}, Double.NaN))
        .hasMessageContaining("[0, 100]");
  }

  @Test
  void ratioIsPerItemAndUnknownWithoutALimit() {
    BenchFigures.Side subject =
        new BenchFigures.Side("s", new double[] {30, 10, 20}, new double[] {20, 20, 50}, 2);
    BenchFigures.Side limit =
        new BenchFigures.Side("l", new double[] {5, 5, 5}, new double[] {3, 3, 3}, 1);
    BenchFigures.Comparison c = new BenchFigures.Comparison("x", "clip", subject, limit);
    // subject: median 20 ms per 2 items = 10 ms/item, limit 5 ms/item
    assertThat(c.wallRatio()).isEqualTo(2.0);
    // subject: mean CPU 30 ms per 2 items = 15, limit 3
    assertThat(c.cpuRatio()).isEqualTo(5.0);
    assertThat(subject.itemsPerSecond()).isEqualTo(100.0);
    assertThat(BenchFigures.ratio(1, 0)).isNaN();
    assertThat(BenchFigures.ratio(Double.NaN, 1)).isNaN();
  }

  @Test
  void sideRefusesMismatchedSamplesAndNoItems() {
    assertThatThrownBy(() -> new BenchFigures.Side("a", new double[] {1}, new double[0], 1))
        .hasMessageContaining("a: wall and CPU samples");
    assertThatThrownBy(() -> new BenchFigures.Side("b", new double[] {1}, new double[] {1}, 0))
        .hasMessageContaining("b: items per round");
  }

  @Test
  void jsonHasMachineStagesComparisonsFiguresAndNullForUnknown() {
    BenchFigures.Report report = new BenchFigures.Report();
    report.machine().put("cpus", 2);
    BenchFigures.Side side =
        new BenchFigures.Side("p", new double[] {2}, new double[] {Double.NaN}, 1);
    report.add(new BenchFigures.Comparison("audio", "clip", side, side));
    report.figure("e2e", "realTimeStreamsPerCore", 2.5);
    report.skipped("ingest", "no ffmpeg");

    JsonNode json = report.toJson();

    assertThat(json.at("/machine/cpus").asInt()).isEqualTo(2);
    JsonNode audio = json.at("/stages/audio/comparisons/0");
    assertThat(audio.at("/item").asText()).isEqualTo("clip");
    assertThat(audio.at("/subject/name").asText()).isEqualTo("p");
    assertThat(audio.at("/subject/medianWallMs").asDouble()).isEqualTo(2.0);
    assertThat(audio.at("/wallRatio").asDouble()).isEqualTo(1.0);
    assertThat(audio.get("cpuRatio").isNull()).isTrue();
    assertThat(json.at("/stages/e2e/figures/realTimeStreamsPerCore").asDouble()).isEqualTo(2.5);
    assertThat(json.at("/stages/ingest/skipped").asText()).isEqualTo("no ffmpeg");
  }

  @Test
  void alternationRunsSubjectAndLimitInTurnAfterAWarmUpOfEach() throws Exception {
    AtomicLong wall = new AtomicLong();
    AtomicLong cpu = new AtomicLong();
    List<String> order = new ArrayList<>();
    Alternation alternation = new Alternation(wall::get, cpu::get);

    BenchFigures.Comparison c =
        alternation.compare(
            "t",
            "clip",
            "subject",
            () -> {
              order.add("prepare s");
              return () -> {
                order.add("s");
                wall.addAndGet(3_000_000); // 3 ms
                cpu.addAndGet(6_000_000); // 2 threads busy
                return Alternation.Done.items(3);
              };
            },
            "limit",
            () ->
                () -> {
                  order.add("l");
                  wall.addAndGet(1_000_000);
                  return new Alternation.Done(1, 0.5); // a child process's CPU
                },
            Duration.ofMillis(7),
            2);

    // warm-up of each, then rounds alternate until 7 ms of fake wall time have passed
    assertThat(order.subList(0, 6)).containsExactly("prepare s", "s", "l", "prepare s", "s", "l");
    assertThat(c.subject().wallMs()).containsOnly(3.0);
    assertThat(c.subject().wallMs().length).isEqualTo(2);
    assertThat(c.subject().meanCpuMs()).isEqualTo(6.0);
    assertThat(c.limit().meanCpuMs()).isEqualTo(0.5);
    assertThat(c.wallRatio()).isEqualTo(1.0); // 1 ms per item on both sides
    assertThat(c.cpuRatio()).isEqualTo(4.0);
  }

  @Test
  void roundsThatHandleDifferentItemCountsAreRefused() {
    AtomicLong wall = new AtomicLong();
    AtomicLong items = new AtomicLong();
    Alternation alternation = new Alternation(() -> wall.addAndGet(1_000_000), () -> 0);
    assertThatThrownBy(
            () ->
                alternation.compare(
                    "t",
                    "clip",
                    "s",
                    () -> () -> Alternation.Done.items((int) items.incrementAndGet()),
                    "l",
                    () -> () -> Alternation.Done.items(1),
                    Duration.ofMillis(100),
                    3))
        // the subject handles one more item each round: the second timed round is refused
        .hasMessageMatching("a round handled (\\d+) items, the first \\d+");
  }

  @Test
  void childCpuTimeIsReadFromBashTimes() {
    assertThat(IngestBench.childCpuMs("0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n"))
        .isCloseTo(62_750, within(1e-6));
    assertThatThrownBy(() -> IngestBench.childCpuMs("ffmpeg: error"))
        .hasMessageContaining("no children's times");
  }

  @Test
  void stagesParseInAnyCaseAndAnUnknownOneNamesTheChoices() {
    assertThat(BenchCommand.parseStages(List.of())).containsExactly(BenchCommand.Stage.values());
    assertThat(BenchCommand.parseStages(List.of("E2E", "audio")))
        .containsExactly(BenchCommand.Stage.AUDIO, BenchCommand.Stage.E2E);
    assertThatThrownBy(() -> BenchCommand.parseStages(List.of("vidio")))
        .hasMessageContaining("unknown stage 'vidio'")
        .hasMessageContaining("audio, face, ingest");
  }
}
