package io.emostream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/read_fused.py} prints the JSON shape of {@link FusedSegmentJson}: the golden
 * segment, Avro-encoded as on the fused topic and framed as kcat writes it, decodes to exactly the
 * golden JSON. Runs where a python3 with the avro package is installed (Debian: python3-avro), else
 * skips saying so.
 */
class ReadFusedExampleTest {

  private static final Path SCRIPT = Path.of("../examples/read_fused.py");

  @Test
  void thePythonExamplePrintsTheGoldenShape(@TempDir Path dir) throws Exception {
    Optional<Path> python = pythonWithAvro();
    assumeTrue(
        python.isPresent(),
        "no python3 with the avro package: skipping (apt-get install -y python3-avro)");
    FusedEmotion segment = FusedSegmentJsonTest.segment();
    byte[] value = new AvroSerde<>(FusedEmotion.class).serialize("fused", segment);

    List<String> lines = run(python.get(), SCRIPT, segment.getClipId(), value, dir);

    assertThat(lines).hasSize(1);
    ObjectMapper mapper = new ObjectMapper();
    assertThat(mapper.readTree(lines.get(0)))
        .isEqualTo(mapper.readTree(FusedSegmentJsonTest.golden()));
    assertThat(lines.get(0))
        .as("same field order as Java")
        .startsWith("{\"clipId\":")
        .contains("\"latencyMs\":1500}");
  }

  /**
   * Runs {@code script} on one record framed as kcat's {@code -f '%k %S\n%s\n'} writes it; checks
   * that it exits 0 and returns its non-blank output lines.
   */
  static List<String> run(Path python, Path script, String key, byte[] value, Path dir)
      throws IOException, InterruptedException {
    ByteArrayOutputStream kcat = new ByteArrayOutputStream();
    kcat.write((key + " " + value.length + "\n").getBytes(StandardCharsets.UTF_8));
    kcat.write(value);
    kcat.write('\n');
    Path in = Files.write(dir.resolve("kcat.out"), kcat.toByteArray());
    Process p =
        new ProcessBuilder(python.toString(), script.toString())
            .redirectInput(in.toFile())
            .redirectError(dir.resolve("stderr").toFile())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("stderr"))).isZero();
    return out.lines().filter(l -> !l.isBlank()).toList();
  }

  static Optional<Path> pythonWithAvro() {
    for (String candidate : List.of("/usr/bin/python3", "python3")) {
      try {
        Process p =
            new ProcessBuilder(candidate, "-c", "import avro.io")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return Optional.of(Path.of(candidate));
        }
      } catch (IOException e) {
        // not installed: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
