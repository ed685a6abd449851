package io.emostream.inference;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Removes the folder ONNX Runtime extracts its native libraries to ({@code onnxruntime-java*} in
 * {@code java.io.tmpdir}) and the debug log of its telemetry client ({@link #telemetryLog()}) when
 * the JVM exits.
 *
 * <p>Why: ONNX Runtime 1.29 marks the extracted libraries and then their folder with {@link
 * File#deleteOnExit()}, and the JVM deletes such files in the reverse order of marking: the folder
 * first (not empty yet, so it stays), then the libraries. Every process left an empty folder
 * behind. The folder is private to {@code ai.onnxruntime.OnnxRuntime} (read here by reflection, as
 * ONNX Runtime offers no way to ask); this hook, an ordinary shutdown hook, runs before the JVM's
 * delete-on-exit step and removes the libraries and the folder itself. Unlinking a loaded library
 * leaves the running code mapped (POSIX); where the OS refuses (a loaded DLL on Windows), the
 * folder stays as before.
 */
public final class OrtTempDir {

  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private OrtTempDir() {}

  /** Installs the hook (once per process; later calls do nothing). */
  public static void deleteOnExit() {
    if (INSTALLED.compareAndSet(false, true)) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(OrtTempDir::deleteNow, "emostream-ort-temp-cleanup"));
    }
  }

  /**
   * The debug log ONNX Runtime's telemetry client (1DS, in the Linux build of 1.29) opens for this
   * process when the environment is created: {@code mat-debug-<pid>.log} in {@code $TMPDIR} (else
   * {@code /tmp}), empty unless that client logs. Its {@code .ses} file beside it is shared by
   * every process and left alone.
   */
  static Path telemetryLog() {
    String tmp = System.getenv("TMPDIR");
    return Path.of(
        tmp == null || tmp.isBlank() ? "/tmp" : tmp,
        "mat-debug-" + ProcessHandle.current().pid() + ".log");
  }

  private static void deleteTelemetryLog() {
    try {
      Files.deleteIfExists(telemetryLog());
    } catch (IOException | RuntimeException e) {
      // exiting: the file stays
    }
  }

  /**
   * ONNX Runtime's extraction folder in this process, or null when it extracted nothing (or is not
   * loaded).
   */
  static Path folder() {
    try {
      Class<?> runtime =
          Class.forName("ai.onnxruntime.OnnxRuntime", false, OrtTempDir.class.getClassLoader());
      Field field = runtime.getDeclaredField("tempDirectory");
      field.setAccessible(true);
      return (Path) field.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // another ONNX Runtime version: its own clean-up is all there is
    }
  }

  static void deleteNow() {
    deleteTelemetryLog();
    Path folder = folder();
    if (folder == null || !Files.isDirectory(folder)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // exiting: nothing to tell anyone, the folder stays as ONNX Runtime left it
    }
  }
}
