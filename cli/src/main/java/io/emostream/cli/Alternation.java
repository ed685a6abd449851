package io.emostream.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs a subject and its natural limit alternately, round by round, for a budget of wall time, so
 * both see the same machine and the same load. Untimed rounds of each, alternately, warm up first
 * for a quarter of the budget (at least one round each): the JIT, ONNX Runtime's plans per input
 * shape, and the JVM heap, whose growth into fresh memory pays a page fault per page touched the
 * first time (with one warm-up round the face stage's rounds had a p90 twice their median in an
 * 8-second run: docs/performance.md). Each round's wall time and process CPU time (all threads,
 * native ones too: ONNX Runtime's pool, FFmpeg decoders) are kept. Not thread-safe; one bench at a
 * time.
 */
final class Alternation {

  /** A timed round of work; answers what it did. */
  @FunctionalInterface
  interface Round {
    Done run() throws Exception;
  }

  /**
   * Untimed set-up of one round (fresh clip ids, say), answering the round to time. {@code () ->
   * round} when there is nothing to set up.
   */
  @FunctionalInterface
  interface Prepared {
    Round prepare() throws Exception;
  }

  /**
   * What a round did: items handled, and CPU time of child processes it waited for (the ffmpeg CLI;
   * 0 for work in this JVM).
   */
  record Done(int items, double childCpuMs) {
    static Done items(int items) {
      return new Done(items, 0);
    }
  }

  private final LongSupplier wallNanos;
  private final LongSupplier cpuNanos;

  Alternation(LongSupplier wallNanos, LongSupplier cpuNanos) {
    this.wallNanos = wallNanos;
    this.cpuNanos = cpuNanos;
  }

  /** On this JVM: {@link System#nanoTime} and the process's CPU time (NaN if the JVM cannot). */
  static Alternation ofThisProcess() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    LongSupplier cpu =
        os instanceof com.sun.management.OperatingSystemMXBean sun
            ? sun::getProcessCpuTime
            : () -> -1;
    return new Alternation(System::nanoTime, cpu);
  }

  /**
   * Alternates {@code subject} and {@code limit}, untimed for a quarter of {@code budget}, then
   * timed until {@code budget} has passed (at least {@code minRounds} timed rounds each).
   */
  BenchFigures.Comparison compare(
      String stage,
      String item,
      String subjectName,
      Prepared subject,
      String limitName,
      Prepared limit,
      Duration budget,
      int minRounds)
      throws Exception {
    long warm = wallNanos.getAsLong() + budget.toNanos() / 4;
    do {
      subject.prepare().run();
      limit.prepare().run();
    } while (wallNanos.getAsLong() < warm);
    Samples s = new Samples();
    Samples l = new Samples();
    long end = wallNanos.getAsLong() + budget.toNanos();
    while (s.size() < minRounds || wallNanos.getAsLong() < end) {
      s.add(timed(subject.prepare()));
      l.add(timed(limit.prepare()));
    }
    return new BenchFigures.Comparison(stage, item, s.side(subjectName), l.side(limitName));
  }

  /** One timed round: wall ms, CPU ms (NaN when unknown), items. */
  record Timing(double wallMs, double cpuMs, int items) {}

  Timing timed(Round round) throws Exception {
    long cpu0 = cpuNanos.getAsLong();
    long t0 = wallNanos.getAsLong();
    Done done = round.run();
    long t1 = wallNanos.getAsLong();
    long cpu1 = cpuNanos.getAsLong();
    double cpuMs = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e6 + done.childCpuMs();
    return new Timing((t1 - t0) / 1e6, cpuMs, done.items());
  }

  private static final class Samples {
    private final List<Timing> timings = new ArrayList<>();

    void add(Timing timing) {
      if (!timings.isEmpty() && timing.items() != timings.get(0).items()) {
        throw new IllegalStateException(
            "a round handled " + timing.items() + " items, the first " + timings.get(0).items());
      }
      timings.add(timing);
    }

    int size() {
      return timings.size();
    }

    BenchFigures.Side side(String name) {
      return new BenchFigures.Side(
          name,
          timings.stream().mapToDouble(Timing::wallMs).toArray(),
          timings.stream().mapToDouble(Timing::cpuMs).toArray(),
          timings.get(0).items());
    }
  }
}
