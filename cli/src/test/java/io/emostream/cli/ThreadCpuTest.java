package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

  @Test
  void parsesTheNameInParenthesesAndAddsUserAndSystemTicks() {
    // a real line of /proc/<pid>/task/<tid>/stat; utime 1234 and stime 56 ticks
    String stat =
        "4242 (C2 CompilerThre) S 4200 4200 4100 0 -1 1077936192 9 0 0 0 1234 56 0 0 20 0 40 0"
            + " 123 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 -1 1 0 0 0 0 0";
    ThreadCpu.Sample s = ThreadCpu.parse(stat);
    assertThat(s.name()).isEqualTo("C2 CompilerThre");
    assertThat(s.cpuSeconds()).isCloseTo(12.90, within(1e-9));
  }

  @Test
  void aNameWithParenthesesAndSpacesStillParses() {
    String stat = "7 (odd (name) x) R 1 1 1 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 5 0 0";
    ThreadCpu.Sample s = ThreadCpu.parse(stat);
    assertThat(s.name()).isEqualTo("odd (name) x");
    assertThat(s.cpuSeconds()).isCloseTo(4.0, within(1e-9));
  }

  @Test
  void threadsGoToTheirStageOrToTheBrokerJitOrOther() {
    assertThat(ThreadCpu.group("video-worker")).isEqualTo("video worker");
    assertThat(ThreadCpu.group("audio-worker-he")).isEqualTo("audio worker");
    assertThat(ThreadCpu.group("emostream-fusio")).startsWith("fusion");
    assertThat(ThreadCpu.group("av:h264:df0")).startsWith("ingest");
    assertThat(ThreadCpu.group("kafka-producer-")).isEqualTo("Kafka clients' threads");
    assertThat(ThreadCpu.group("data-plane-kafk")).isEqualTo("broker");
    assertThat(ThreadCpu.group("kafka-1-raft-io")).isEqualTo("broker");
    assertThat(ThreadCpu.group("C2 CompilerThre")).isEqualTo("JIT compiler");
    assertThat(ThreadCpu.group("Signal Dispatch")).isEqualTo("other");
  }

  @Test
  void spendingIsTheDifferenceAndANewThreadCountsFromZero() {
    Map<String, ThreadCpu.Sample> before =
        Map.of(
            "1", new ThreadCpu.Sample("video-worker", 10),
            "2", new ThreadCpu.Sample("C2 CompilerThre", 5),
            "3", new ThreadCpu.Sample("java", 1));
    Map<String, ThreadCpu.Sample> after =
        Map.of(
            "1", new ThreadCpu.Sample("video-worker", 12.5),
            "2", new ThreadCpu.Sample("C2 CompilerThre", 5.5),
            "4", new ThreadCpu.Sample("av:h264:df1", 0.75), // started in between
            "3", new ThreadCpu.Sample("java", 1.25));
    Map<String, Double> by = ThreadCpu.byGroup(before, after);
    assertThat(by.get("video worker")).isCloseTo(2.5, within(1e-9));
    assertThat(by.get("JIT compiler")).isCloseTo(0.5, within(1e-9));
    assertThat(by.get("ingest (calling thread, FFmpeg decoder threads)"))
        .isCloseTo(1.0, within(1e-9));
    assertThat(by.get("broker")).isZero();
    assertThat(by.keySet()).last().isEqualTo("other");
  }

  @Test
  void onThisLinuxMachineTheSnapshotSeesThisThread() {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
    assertThat(ThreadCpu.snapshot()).isNotEmpty();
  }

  @Test
  void javaThreadsAreFoundByAnyPartOfTheirFullNameAndTheirSpendingAddsUp() throws Exception {
    String name = "kafka-producer-network-thread | bench-app-" + System.nanoTime();
    Thread busy =
        new Thread(
            () -> {
              long until = System.nanoTime() + 50_000_000L;
              long x = 0;
              while (System.nanoTime() < until) {
                x += until % 7;
              }
              if (x == 42) {
                System.out.println(x);
              }
            },
            name);
    Map<Long, Long> before = ThreadCpu.javaThreadsNamed(name.substring(35)); // past /proc's 15
    busy.start();
    Map<Long, Long> during = ThreadCpu.javaThreadsNamed(name.substring(35));
    busy.join();

    assertThat(before).isEmpty();
    assertThat(during).containsOnlyKeys(busy.getId());
    assertThat(ThreadCpu.spentMs(Map.of(1L, 5_000_000L), Map.of(1L, 7_000_000L, 2L, 1_000_000L)))
        .isEqualTo(3.0); // 2 ms more on thread 1, 1 ms on thread 2, new since
  }
}
