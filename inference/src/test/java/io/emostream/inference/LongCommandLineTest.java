package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.testkit.TinyOnnx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: ONNX Runtime 1.29 creating its environment in a JVM whose command line is long (a
 * child JVM started with the full class path: ~8000 characters) recursed past the default 1 MiB
 * thread stack and the JVM died with a bare SIGSEGV (exit 139). OrtModel now does that on a
 * large-stack thread.
 */
class LongCommandLineTest {

  @TempDir Path dir;

  @Test
  void aJvmWithALongCommandLineLoadsAndRunsAModel() throws Exception {
    TinyOnnx.graph()
        .input("input_values", "batch", "samples")
        .output("logits", "batch", 2)
        .initializer("w", new long[] {1, 2}, 1f, -1f)
        .node(
            "ReduceMean",
            List.of("input_values"),
            List.of("m"),
            Map.of("axes", new long[] {1}, "keepdims", 1L))
        .node("Mul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve("model.onnx"));
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"name": "tiny", "modality": "AUDIO", "file": "model.onnx", "input": {"name": "input_values"},
         "output": {"name": "logits", "kind": "LOGITS"}, "labels": ["a", "b"],
         "audio": {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 1.0, "minSeconds": 0.1}}
        """);
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpadding=" + "x".repeat(8_000),
                "-cp",
                classPath,
                LoadModelMain.class.getName(),
                dir.resolve("manifest.json").toString())
            .redirectErrorStream(true)
            .start();

    assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("loaded tiny classes=2");
  }
}
