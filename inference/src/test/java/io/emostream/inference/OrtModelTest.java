package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.testkit.TinyOnnx;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtModelTest {

  @TempDir Path dir;

  /** logits = mean(input_values) * [1, 2, 3]: for a constant input c, softmax(c, 2c, 3c). */
  private Path tinyAudioModel(String labels) throws IOException {
    TinyOnnx.graph()
        .input("input_values", "batch", "samples")
        .output("logits", "batch", 3)
        .initializer("w", new long[] {1, 3}, 1f, 2f, 3f)
        .node(
            "ReduceMean",
            List.of("input_values"),
            List.of("m"),
            Map.of("axes", new long[] {1}, "keepdims", 1L))
        .node("Mul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve("model.onnx"));
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(
        manifest,
        """
        {"name": "tiny", "version": "1", "modality": "AUDIO", "file": "model.onnx",
         "input": {"name": "input_values"}, "output": {"name": "logits", "kind": "LOGITS"},
         "labels": %s,
         "audio": {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 1.0, "minSeconds": 0.1}}
        """
            .formatted(labels));
    return manifest;
  }

  @Test
  void runsTheModelAndAppliesSoftmaxToLogits() throws Exception {
    try (OrtModel model = OrtModel.load(tinyAudioModel("[\"a\", \"b\", \"c\"]"), Device.CPU, 1)) {
      float[] ones = new float[16];
      Arrays.fill(ones, 1f);
      float[][] p = model.probabilities(ones, new long[] {1, 16});

      double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
      assertThat(p[0][0]).isCloseTo((float) (Math.exp(1) / z), within(1e-5f));
      assertThat(p[0][2]).isCloseTo((float) (Math.exp(3) / z), within(1e-5f));
      assertThat(model.device()).isEqualTo(Device.CPU);
    }
  }

  @Test
  void aClosedModelRefusesToRunInsteadOfTouchingItsFreedSession() throws Exception {
    OrtModel model = OrtModel.load(tinyAudioModel("[\"a\", \"b\", \"c\"]"), Device.CPU, 1);
    model.close();
    model.close();

    assertThatThrownBy(() -> model.probabilities(new float[16], new long[] {1, 16}))
        .isInstanceOf(OrtGuard.Closed.class)
        .hasMessageContaining("model tiny is closed");
    assertThatThrownBy(model::inputShapes).isInstanceOf(OrtGuard.Closed.class);
    assertThatThrownBy(
            () ->
                model.run(
                    Map.of("input_values", OrtModel.floats(new float[16], new long[] {1, 16})),
                    Set.of("logits")))
        .isInstanceOf(OrtGuard.Closed.class);
  }

  @Test
  void aManifestWhoseLabelsDoNotMatchTheModelFailsAtLoad() throws Exception {
    Path manifest = tinyAudioModel("[\"a\", \"b\"]");
    assertThatThrownBy(() -> OrtModel.load(manifest, Device.CPU, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outputs 3 classes but its manifest lists 2 labels");
  }

  @Test
  void aWrongInputNameFailsAtLoad() throws Exception {
    Path manifest = tinyAudioModel("[\"a\", \"b\", \"c\"]");
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replace("\"name\": \"input_values\"", "\"name\": \"pixel_values\""));
    assertThatThrownBy(() -> OrtModel.load(manifest, Device.CPU, 1))
        .hasMessageContaining("has no input 'pixel_values'");
  }

  @Test
  void cudaWithoutAGpuFallsBackToCpu() throws Exception {
    try (OrtModel model = OrtModel.load(tinyAudioModel("[\"a\", \"b\", \"c\"]"), Device.CUDA, 1)) {
      assertThat(model.device()).isEqualTo(Device.CPU);
    }
  }

  @Test
  void anIncompleteManifestIsRejectedWithTheMissingField() throws Exception {
    Path manifest = dir.resolve("bad.json");
    Files.writeString(manifest, "{\"name\": \"x\", \"modality\": \"AUDIO\", \"file\": \"m.onnx\"}");
    assertThatThrownBy(() -> ModelManifest.load(manifest))
        .hasMessageContaining("input.name is required");
  }

  @Test
  void floatInputsGoThroughADirectBufferPerInputReusedRunAfterRun() {
    OrtModel.Scratch scratch = new OrtModel.Scratch();

    FloatBuffer first = scratch.fill("input", new float[] {1, 2, 3, 4, 5});
    float[] read = new float[first.remaining()];
    first.get(read);
    FloatBuffer second = scratch.fill("input", new float[] {7, 8});
    FloatBuffer other = scratch.fill("state", new float[] {9});

    assertThat(first.isDirect()).isTrue();
    assertThat(first.order()).isEqualTo(ByteOrder.nativeOrder());
    assertThat(read).containsExactly(1, 2, 3, 4, 5);
    assertThat(second).isSameAs(first); // the same buffer, refilled: exactly the new values
    assertThat(second.position()).isZero();
    assertThat(second.remaining()).isEqualTo(2);
    assertThat(second.get(0)).isEqualTo(7f);
    assertThat(second.get(1)).isEqualTo(8f);
    assertThat(other).isNotSameAs(first);
    assertThat(scratch.fill("input", new float[100]).remaining()).isEqualTo(100);
  }

  @Test
  void pinnedOutputsGiveWhatARunGivesAndAWrongShapeFailsTheRun() throws Exception {
    try (OrtModel model = OrtModel.load(tinyAudioModel("[\"a\", \"b\", \"c\"]"), Device.CPU, 1)) {
      for (int batch : new int[] {2, 5, 1}) {
        float[] input = new float[batch * 8];
        for (int i = 0; i < input.length; i++) {
          input[i] = i % 7 - 3;
        }
        long[] shape = {batch, 8};
        Map<String, OrtModel.Output> plain =
            model.run(Map.of("input_values", OrtModel.floats(input, shape)), Set.of("logits"));
        Map<String, OrtModel.Output> pinned =
            model.runPinned(
                Map.of("input_values", OrtModel.floats(input, shape)),
                Map.of("logits", new long[] {batch, 3}));

        assertThat(pinned.get("logits").shape()).containsExactly(batch, 3);
        assertThat(pinned.get("logits").data())
            .as("batch %d", batch)
            .containsExactly(plain.get("logits").data());
      }
      assertThatThrownBy(
              () ->
                  model.runPinned(
                      Map.of("input_values", OrtModel.floats(new float[16], new long[] {2, 8})),
                      Map.of("logits", new long[] {3, 3})))
          .isInstanceOf(ai.onnxruntime.OrtException.class);
    }
  }

  @Test
  void outputBuffersAreDirectPerNameAndHoldExactlyTheAskedElements() {
    OrtModel.Scratch scratch = new OrtModel.Scratch();

    FloatBuffer first = scratch.output("kps_8", 38_400);
    FloatBuffer smaller = scratch.output("kps_8", 9_600);
    FloatBuffer input = scratch.fill("kps_8", new float[] {1});

    assertThat(first.isDirect()).isTrue();
    assertThat(first.order()).isEqualTo(ByteOrder.nativeOrder());
    assertThat(smaller).isSameAs(first);
    assertThat(smaller.position()).isZero();
    assertThat(smaller.remaining()).isEqualTo(9_600);
    assertThat(input).isNotSameAs(first); // inputs and outputs of one name do not share
  }
}
