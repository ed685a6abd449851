package io.emostream.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads by group, read from Linux's {@code /proc/self/task/<tid>/stat}
 * (the kernel's per-thread user + system time, native threads included: ONNX Runtime's, FFmpeg's
 * decoders, the JIT compiler's). The groups come from the thread names the kernel holds (at most 15
 * characters): what the e2e bench spends outside the stages shows up as broker, Kafka clients, JIT
 * or GC. Elsewhere than Linux {@link #snapshot()} is empty.
 */
final class ThreadCpu {

  static final String VIDEO_WORKER = "video worker";
  static final String AUDIO_WORKER = "audio worker";

  /** Groups in print order, each with the thread-name prefixes it takes (first match wins). */
  static final Map<String, List<String>> GROUPS = groups();

  private static final Path TASKS = Path.of("/proc/self/task");
  private static final double TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux ABI Java runs

  private ThreadCpu() {}

  private static Map<String, List<String>> groups() {
    Map<String, List<String>> g = new LinkedHashMap<>();
    g.put(VIDEO_WORKER, List.of("video-worker"));
    g.put(AUDIO_WORKER, List.of("audio-worker"));
    g.put("fusion (Kafka Streams, RocksDB)", List.of("emostream-fusio", "rocksdb:"));
    g.put("ingest (calling thread, FFmpeg decoder threads)", List.of("java", "av:"));
    g.put(
        "Kafka clients' threads",
        List.of(
            "kafka-producer-",
            "kafka-coordinat",
            "kafka-admin-cli",
            "consumer_",
            "micrometer-kafk"));
    g.put(
        "broker",
        List.of(
            "data-plane-kafk",
            "kafka-",
            "broker-",
            "controller-",
            "quorum-controll",
            "raft-",
            "group-coordinat",
            "share-",
            "transaction-log",
            "TxnMarkerSender",
            "AddPartitionsTo",
            "ExpirationReape",
            "executor-",
            "metrics-meter-t",
            "client-metrics-",
            "SensorExpiryThr",
            "LogDirFailureHa",
            "PersisterStateM",
            "persister-state",
            "network-partiti",
            "log-closing-"));
    g.put("JIT compiler", List.of("C1 CompilerThre", "C2 CompilerThre"));
    g.put("garbage collector", List.of("GC Thread", "G1 ", "VM Thread"));
    return g;
  }

  /** The group of a kernel thread name; "other" when no prefix matches. */
  static String group(String threadName) {
    for (Map.Entry<String, List<String>> e : GROUPS.entrySet()) {
      for (String prefix : e.getValue()) {
        if (threadName.startsWith(prefix)) {
          return e.getKey();
        }
      }
    }
    return "other";
  }

  /** One thread's CPU seconds: name and utime + stime from a {@code stat} line. */
  record Sample(String name, double cpuSeconds) {}

  /**
   * Parses a {@code /proc/.../stat} line: the name sits in parentheses (it may hold spaces and
   * parentheses itself), utime and stime are the 12th and 13th fields after it.
   */
  static Sample parse(String stat) {
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    String[] f = stat.substring(close + 2).trim().split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return new Sample(stat.substring(open + 1, close), ticks / TICKS_PER_SECOND);
  }

  /** CPU seconds per thread id now; empty where there is no {@code /proc}. */
  static Map<String, Sample> snapshot() {
    Map<String, Sample> out = new HashMap<>();
    if (!Files.isDirectory(TASKS)) {
      return out;
    }
    try (Stream<Path> tasks = Files.list(TASKS)) {
      tasks.forEach(t -> read(t).ifPresent(s -> out.put(t.getFileName().toString(), s)));
    } catch (IOException e) {
      return Map.of();
    }
    return out;
  }

  private static Optional<Sample> read(Path task) {
    try {
      return Optional.of(parse(Files.readString(task.resolve("stat"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // the thread ended between the listing and the read
    }
  }

  /**
   * CPU seconds spent between two snapshots, by group, in {@link #GROUPS} order then "other"; a
   * thread that started in between counts from zero, one that ended is lost (its time is not in
   * /proc any more), so the total can be below the process's.
   */
  static Map<String, Double> byGroup(Map<String, Sample> before, Map<String, Sample> after) {
    Map<String, Double> out = new LinkedHashMap<>();
    GROUPS.keySet().forEach(g -> out.put(g, 0.0));
    out.put("other", 0.0);
    after.forEach(
        (tid, s) -> {
          Sample b = before.get(tid);
          double spent =
              s.cpuSeconds() - (b != null && b.name().equals(s.name()) ? b.cpuSeconds() : 0);
          out.merge(group(s.name()), spent, Double::sum);
        });
    return out;
  }

  /**
   * CPU nanoseconds so far of each live Java thread whose full name holds {@code part}, by thread
   * id, from the JVM ({@code ThreadMXBean}): for threads told apart by more than the 15 characters
   * {@code /proc} keeps (a Streams app's producer thread is {@code kafka-producer-network-thread |
   * <application id>-...}). A thread that ends in between loses its time, so a figure can only be
   * low.
   */
  static Map<Long, Long> javaThreadsNamed(String part) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains(part)) {
        long cpu = threads.getThreadCpuTime(info.getThreadId());
        if (cpu >= 0) {
          out.put(info.getThreadId(), cpu);
        }
      }
    }
    return out;
  }

  /**
   * CPU milliseconds spent between two {@link #javaThreadsNamed} snapshots (new threads from 0).
   */
  static double spentMs(Map<Long, Long> before, Map<Long, Long> after) {
    long nanos = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      nanos += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return nanos / 1e6;
  }
}
