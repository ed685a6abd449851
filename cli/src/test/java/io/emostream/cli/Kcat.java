package io.emostream.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs Debian's kcat (the librdkafka command-line client) for tests, and parses its binary-safe
 * output.
 */
final class Kcat {

  /** Key, value length, newline, raw value, newline: binary values pass intact. */
  static final String FORMAT = "%k %S\\n%s\\n";

  private Kcat() {}

  static Optional<Path> find() {
    return onPath("kcat").or(() -> onPath("kafkacat"));
  }

  static Optional<Path> onPath(String name) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * Runs a command, feeding {@code stdin}; returns stdout; fails with stderr when it does not exit
   * 0 in time.
   */
  static byte[] run(List<String> command, byte[] stdin, Path workDir)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(workDir, "out-", ".bin");
    Path err = Files.createTempFile(workDir, "err-", ".txt");
    Path in = Files.write(Files.createTempFile(workDir, "in-", ".bin"), stdin);
    Process process =
        new ProcessBuilder(command)
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          command.get(0) + " did not finish in 60 s: " + Files.readString(err));
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          command + " exited " + process.exitValue() + ": " + Files.readString(err));
    }
    return Files.readAllBytes(out);
  }

  /**
   * Records of {@link #FORMAT} output, keyed by record key (a later record with the same key wins).
   */
  static Map<String, byte[]> parse(byte[] output) {
    Map<String, byte[]> records = new LinkedHashMap<>();
    int i = 0;
    while (i < output.length) {
      int space = indexOf(output, (byte) ' ', i);
      int newline = indexOf(output, (byte) '\n', space);
      String key = new String(output, i, space - i, StandardCharsets.UTF_8);
      int length =
          Integer.parseInt(
              new String(output, space + 1, newline - space - 1, StandardCharsets.US_ASCII));
      byte[] value = new byte[Math.max(0, length)];
      System.arraycopy(output, newline + 1, value, 0, value.length);
      records.put(key, value);
      i = newline + 1 + value.length + 1;
    }
    return records;
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new AssertionError("malformed kcat output at byte " + from);
  }

  static List<String> consume(Path kcat, String bootstrap, String topic) {
    List<String> command =
        new ArrayList<>(
            List.of(
                kcat.toString(),
                "-b",
                bootstrap,
                "-C",
                "-t",
                topic,
                "-X",
                "isolation.level=read_committed",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                FORMAT));
    return command;
  }
}
