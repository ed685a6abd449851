package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./emostream analyze} leaves nothing in the temporary folder: not the broker's log folder,
 * not the Kafka Streams state folder, not ONNX Runtime's library folder nor its telemetry client's
 * debug log; after a normal run and after Ctrl-C (SIGINT) mid-run. Each run is a child JVM ({@link
 * Main#main}, so the signal handling and exit are the real ones) with its own {@code
 * java.io.tmpdir} and {@code TMPDIR}, the real in-JVM broker and the committed models.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TempStateIT {

  @TempDir Path dir;

  @Test
  void aNormalRunLeavesNoTemporaryState() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path log = dir.resolve("run.log");
    Process run = analyze(tmp, log, "../samples/happy-speech.mp4");
    try {
      assertThat(run.waitFor(180, TimeUnit.SECONDS)).as("finished").isTrue();
      assertThat(run.exitValue()).as(Files.readString(log)).isZero();
      assertThat(Files.readString(log)).contains("happy-speech.mp4  0");
      assertThat(entries(tmp)).as("left in java.io.tmpdir").isEmpty();
    } finally {
      run.destroyForcibly();
    }
  }

  @Test
  void ctrlCMidRunLeavesNoTemporaryState() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path log = dir.resolve("run.log");
    Process run = analyze(tmp, log, "../samples/", "../samples/happy-speech.mp4");
    try {
      // the broker, fusion's state and the workers' ONNX Runtime are all up: each has its folder
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                List<String> names = entries(tmp);
                return names.stream().anyMatch(n -> n.startsWith("emostream-kafka-"))
                    && names.stream().anyMatch(n -> n.startsWith("emostream-fusion-"))
                    && names.stream().anyMatch(n -> n.startsWith("onnxruntime-java"));
              });
      Process kill =
          new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).inheritIO().start();
      assertThat(kill.waitFor()).isZero();

      assertThat(run.waitFor(120, TimeUnit.SECONDS)).as("stopped").isTrue();
      assertThat(run.exitValue()).as(Files.readString(log)).isEqualTo(128 + 2);
      assertThat(entries(tmp))
          .as("left in java.io.tmpdir; the run's log:%n%s", Files.readString(log))
          .isEmpty();
    } finally {
      run.destroyForcibly();
    }
  }

  /**
   * Ctrl-C once the results are printed, while the platform stops (a few seconds): the run ends as
   * it would have, exit 0 with its results, and removes its folders. The results used to come after
   * the platform's stop, and a signal during it exited 130 and left the broker's and fusion's
   * folders (the shutdown hook was removed before the stop began).
   */
  @Test
  void ctrlCWhileThePlatformStopsKeepsTheResultsAndLeavesNoTemporaryState() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path log = dir.resolve("run.log");
    Process run = analyze(tmp, log, "../samples/happy-speech.mp4");
    try {
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> Files.readString(log).contains("happy-speech.mp4  0") || !run.isAlive());
      Process kill =
          new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).inheritIO().start();
      assertThat(kill.waitFor()).as("still running: the platform stops after the results").isZero();

      assertThat(run.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
      String output = Files.readString(log);
      assertThat(run.exitValue()).as(output).isZero();
      assertThat(output).contains("finishing: stopping the platform");
      assertThat(entries(tmp)).as("left in java.io.tmpdir; the run's log:%n%s", output).isEmpty();
    } finally {
      run.destroyForcibly();
    }
  }

  /**
   * What the run left, but ONNX Runtime's {@code .ses}: its telemetry client's one file shared by
   * every process on the machine (see {@code OrtTempDir}), not ours to remove.
   */
  private static List<String> entries(Path tmp) throws IOException {
    try (Stream<Path> list = Files.list(tmp)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals(".ses"))
          .sorted()
          .toList();
    }
  }

  private static Process analyze(Path tmp, Path log, String... files) throws IOException {
    List<String> args = new ArrayList<>(List.of("analyze"));
    args.addAll(List.of(files));
    return ChildMain.builder(tmp, args.toArray(String[]::new))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}
