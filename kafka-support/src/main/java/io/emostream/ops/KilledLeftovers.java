package io.emostream.ops;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a killed platform or service (kill -9, OOM killer, power cut) leaves in {@code
 * java.io.tmpdir}, removed when the next one starts (the embedded platform, and every service run
 * by {@link ServiceRunner}: the distributed workers left 28 MB of ONNX Runtime's libraries per
 * kill, found by helper-48): fusion's state folders ({@code emostream-fusion-<pid>-*}, the pid of
 * the process that made them) whose process is gone, and the native libraries RocksDB and ONNX
 * Runtime extract at every start ({@code librocksdbjni*.so}, {@code onnxruntime-java*}; 30-60 MB a
 * start) that no running process maps. A normal exit removes its own (shutdown hooks); this is for
 * the exits that run no hook. Only files this user may delete are touched, and a library only when
 * it is older than {@link #SETTLE} (so one another process has just extracted and not yet loaded
 * stays) and no process's {@code /proc/<pid>/maps} names it.
 */
public final class KilledLeftovers {

  private static final Logger LOG = LoggerFactory.getLogger(KilledLeftovers.class);
  static final String STATE_PREFIX = "emostream-fusion-";
  static final Duration SETTLE = Duration.ofMinutes(10);
  // fusion's and the broker's state folders, and upload spool files (BodySpool.SPOOL_PREFIX)
  private static final Pattern STATE =
      Pattern.compile("emostream-(?:fusion|kafka|upload)-(\\d+)-.*");
  private static final Pattern LIBRARY = Pattern.compile("librocksdbjni.*\\.so|onnxruntime-java.*");

  private KilledLeftovers() {}

  /** The prefix of this process's fusion state folder ({@link Files#createTempDirectory}). */
  public static String statePrefix() {
    return STATE_PREFIX + ProcessHandle.current().pid() + "-";
  }

  /** Removes the leftovers in the JVM's temporary folder; never fails the start. */
  public static void sweep() {
    sweep(Path.of(System.getProperty("java.io.tmpdir")));
  }

  /**
   * Removes the leftovers in {@code dir} (the temporary folder, or EMOSTREAM_WORK_DIR where upload
   * spools go); never fails the start.
   */
  public static void sweep(Path dir) {
    try {
      int removed =
          sweep(
              dir,
              pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
              () -> mappedLibraries(Path.of("/proc")),
              Instant.now());
      if (removed > 0) {
        LOG.info("removed {} leftover(s) of killed emostream processes from {}", removed, dir);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("no sweep of the temporary folder", e);
    }
  }

  /**
   * @param alive whether a process id is running
   * @param mappedPaths the paths some running process maps, null when unknown (then no library is
   *     removed); asked only when an old enough library is there, since it reads every process's
   *     maps
   * @return how many folders and files were removed
   */
  static int sweep(Path tmp, LongPredicate alive, Supplier<Set<Path>> mappedPaths, Instant now)
      throws IOException {
    int removed = 0;
    Set<Path> mapped = null;
    boolean mappedRead = false;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        Matcher state = STATE.matcher(name);
        boolean stale;
        if (state.matches()) {
          stale = !alive.test(Long.parseLong(state.group(1)));
        } else if (LIBRARY.matcher(name).matches()
            && Files.getLastModifiedTime(entry).toInstant().isBefore(now.minus(SETTLE))) {
          if (!mappedRead) {
            mapped = mappedPaths.get();
            mappedRead = true;
          }
          stale = mapped != null && !mapsAny(entry, mapped);
        } else {
          continue;
        }
        if (stale && Files.isWritable(tmp)) {
          deleteRecursively(entry);
          if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            removed++;
          }
        }
      }
    }
    return removed;
  }

  private static boolean mapsAny(Path entry, Set<Path> mapped) {
    return mapped.stream().anyMatch(p -> p.startsWith(entry));
  }

  /**
   * Every file path in the maps of the processes this user can read; null without {@code /proc}
   * (then no library is removed).
   */
  static Set<Path> mappedLibraries(Path proc) {
    Set<Path> mapped = new HashSet<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path pid : pids) {
        try (Stream<String> lines = Files.lines(pid.resolve("maps"))) {
          lines
              .filter(line -> line.indexOf('/') >= 0)
              .map(line -> line.substring(line.indexOf('/')).replace(" (deleted)", "").strip())
              .forEach(path -> mapped.add(Path.of(path)));
        } catch (IOException | RuntimeException e) {
          // gone, or not ours to read
        }
      }
    } catch (IOException e) {
      return null; // no /proc: what is mapped is unknown
    }
    return mapped;
  }

  /** Deletes {@code dir} and everything in it, as far as it can; a missing one is no error. */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete {}", dir, e);
    }
  }
}
