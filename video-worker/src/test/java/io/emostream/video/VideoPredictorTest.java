package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.TinyOnnx;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clip-level (ViViT-shaped) path on a tiny generated model with ViViT's names and shapes:
 * pixel_values [batch, 32, 3, 224, 224] → logits [batch, 2], where logits = mean over (C, H, W) per
 * frame, times W (frame 0 weight +1 for class 0 and -1 for class 1).
 *
 * <p>Batching across clips on smaller models of the same form (PER_CLIP [batch, 4, 3, 8, 8],
 * PER_FRAME [batch, 3, 8, 8]), whose logits for a batch row depend on that row alone, so a clip's
 * posterior must be the same whether it runs alone or with others, and a wrong split or order
 * shows.
 */
class VideoPredictorTest {

  @TempDir Path dir;

  private OrtModel tinyVivit() throws Exception {
    float[] w = new float[32 * 2];
    w[0] = 1f; // frame 0 → class 0
    w[1] = -1f; // frame 0 → class 1
    TinyOnnx.graph()
        .input("pixel_values", "batch", 32, 3, 224, 224)
        .output("logits", "batch", 2)
        .initializer("w", new long[] {32, 2}, w)
        .node(
            "ReduceMean",
            List.of("pixel_values"),
            List.of("m"),
            Map.of("axes", new long[] {2, 3, 4}, "keepdims", 0L))
        .node("MatMul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve("vivit.onnx"));
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"name": "tiny-vivit", "version": "1", "modality": "VIDEO", "file": "vivit.onnx",
         "input": {"name": "pixel_values"}, "output": {"name": "logits", "kind": "LOGITS"},
         "labels": ["happy", "sad"],
         "video": {"mode": "PER_CLIP", "frames": 32, "resizeShortestEdge": 256, "cropWidth": 224, "cropHeight": 224,
                   "channelOrder": "RGB", "rescale": 0.00784313725490196, "offset": -1.0,
                   "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "layout": "NTCHW"}}
        """);
    return OrtModel.load(dir.resolve("manifest.json"), Device.CPU, 1);
  }

  private static byte[] frames(int count, Color color) throws Exception {
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setColor(color);
      g.fillRect(0, 0, 320, 240);
      g.dispose();
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(image, "jpeg", jpeg);
      frames.add(new Frame((long) i * 40, 320, 240, ByteBuffer.wrap(jpeg.toByteArray())));
    }
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c1", frames));
  }

  @Test
  void runsAClipLevelModelOnThirtyTwoFrames() throws Exception {
    try (OrtModel model = tinyVivit()) {
      // 20 white frames are re-sampled to 32; white → every normalised value 1 → frame-0 mean 1 →
      // logits (1, -1)
      ClipPredictor.Outcome outcome =
          new VideoPredictor(model).predict("c1", frames(20, Color.WHITE));

      assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
      assertThat(outcome.itemsAnalysed()).isEqualTo(32);
      double expected = Math.exp(1) / (Math.exp(1) + Math.exp(-1));
      assertThat(outcome.probabilities()[0]).isCloseTo((float) expected, within(2e-3f));
    }
  }

  @Test
  void aClipWithoutFramesIsAnErrorNotADistribution() throws Exception {
    try (OrtModel model = tinyVivit()) {
      ClipPredictor.Outcome outcome =
          new VideoPredictor(model).predict("c1", frames(0, Color.WHITE));
      assertThat(outcome.status()).isEqualTo(PredictionStatus.ERROR);
      assertThat(outcome.probabilities()).isEmpty();
    }
  }

  // ---- batching across clips ----

  private static final float[] CLIP_W = {1f, -1f, 0.5f, 0.25f, -0.5f, 1f, 2f, 0f};
  private static final float[] FRAME_W = {1f, -1f, -2f, 0.5f, 0.75f, 1.5f};

  /**
   * PER_CLIP [batch, 4, 3, 8, 8] → logits = (mean over C, H, W per frame) · W[4, 2]; batch dim
   * "batch" or 1.
   */
  private OrtModel tinyClipModel(String file, Object batch, int frames) throws Exception {
    TinyOnnx.graph()
        .input("pixel_values", batch, frames, 3, 8, 8)
        .output("logits", batch, 2)
        .initializer("w", new long[] {frames, 2}, Arrays.copyOf(CLIP_W, frames * 2))
        .node(
            "ReduceMean",
            List.of("pixel_values"),
            List.of("m"),
            Map.of("axes", new long[] {2, 3, 4}, "keepdims", 0L))
        .node("MatMul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve(file + ".onnx"));
    return load(file, "PER_CLIP", "NTCHW");
  }

  /** PER_FRAME [batch, 3, 8, 8] → logits = (mean over H, W per channel) · W[3, 2]. */
  private OrtModel tinyFrameModel(String file, Object batch) throws Exception {
    TinyOnnx.graph()
        .input("pixel_values", batch, 3, 8, 8)
        .output("logits", batch, 2)
        .initializer("w", new long[] {3, 2}, FRAME_W)
        .node(
            "ReduceMean",
            List.of("pixel_values"),
            List.of("m"),
            Map.of("axes", new long[] {2, 3}, "keepdims", 0L))
        .node("MatMul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve(file + ".onnx"));
    return load(file, "PER_FRAME", "NCHW");
  }

  private OrtModel load(String file, String mode, String layout) throws Exception {
    Path manifest = dir.resolve(file + ".json");
    Files.writeString(
        manifest,
        """
        {"name": "%s", "version": "1", "modality": "VIDEO", "file": "%s.onnx",
         "input": {"name": "pixel_values"}, "output": {"name": "logits", "kind": "LOGITS"},
         "labels": ["happy", "sad"],
         "video": {"mode": "%s", "frames": 4, "width": 8, "height": 8, "channelOrder": "RGB",
                   "rescale": 0.00784313725490196, "offset": -1.0, "layout": "%s"}}
        """
            .formatted(file, file, mode, layout));
    return OrtModel.load(manifest, Device.CPU, 1);
  }

  /**
   * Clip {@code k}: {@code count} uniform 16x12 frames whose colour changes with k and the frame
   * index.
   */
  private static byte[] clip(int k, int count) throws Exception {
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(16, 12, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setColor(
          new Color(
              (40 * k + 30 * i) % 256, (200 - 35 * k + 10 * i) % 256, (90 + 50 * k * i) % 256));
      g.fillRect(0, 0, 16, 12);
      g.dispose();
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(image, "jpeg", jpeg);
      frames.add(new Frame((long) i * 40, 16, 12, ByteBuffer.wrap(jpeg.toByteArray())));
    }
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c" + k, frames));
  }

  private static List<ClipPredictor.Input> clips(int n, int frames) throws Exception {
    List<ClipPredictor.Input> inputs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      inputs.add(new ClipPredictor.Input("c" + k, clip(k, frames + k % 3)));
    }
    return inputs;
  }

  /** Each clip alone, through a predictor that runs one item per model run. */
  private static List<float[]> alone(OrtModel model, List<ClipPredictor.Input> inputs)
      throws Exception {
    VideoPredictor single = new VideoPredictor(model, 1);
    List<float[]> out = new ArrayList<>();
    for (ClipPredictor.Input input : inputs) {
      out.add(single.predict(input.clipId(), input.value()).probabilities());
    }
    return out;
  }

  private static void assertSamePosteriors(
      List<ClipPredictor.Result> together, List<float[]> alone) {
    assertThat(together).hasSameSizeAs(alone);
    for (int i = 0; i < alone.size(); i++) {
      assertThat(together.get(i).failure()).as("clip %d", i).isNull();
      assertThat(together.get(i).outcome().probabilities())
          .as("clip %d", i)
          .containsExactly(alone.get(i), within(1e-5f));
    }
  }

  @Test
  void clipLevelModelRunsSeveralClipsInOneBatchWithTheSamePosteriorsAsAlone() throws Exception {
    try (OrtModel model = tinyClipModel("clip", "batch", 4)) {
      List<ClipPredictor.Input> inputs = clips(5, 3);
      List<float[]> alone = alone(model, inputs);
      // the clips differ, so a mix-up of rows would show
      assertThat(Math.abs(alone.get(0)[0] - alone.get(4)[0])).isGreaterThan(0.01f);

      VideoPredictor predictor = new VideoPredictor(model, 8);
      List<ClipPredictor.Result> together = predictor.predictAll(inputs);

      assertSamePosteriors(together, alone);
      assertThat(predictor.runs()).isEqualTo(1);
      assertThat(together.get(0).outcome().itemsAnalysed()).isEqualTo(4);
    }
  }

  @Test
  void clipLevelRunsAreSplitAtMaxBatch() throws Exception {
    try (OrtModel model = tinyClipModel("clip", "batch", 4)) {
      List<ClipPredictor.Input> inputs = clips(5, 3);
      VideoPredictor predictor = new VideoPredictor(model, 2);
      assertThat(predictor.runSize()).isEqualTo(2);

      List<ClipPredictor.Result> together = predictor.predictAll(inputs);

      assertThat(predictor.runs()).as("5 clips, 2 per run").isEqualTo(3);
      assertSamePosteriors(together, alone(model, inputs));
    }
  }

  @Test
  void perFrameModelRunsTheFramesOfAllWaitingClipsInRunsOfMaxBatch() throws Exception {
    try (OrtModel model = tinyFrameModel("frame", "batch")) {
      List<ClipPredictor.Input> inputs =
          List.of(
              new ClipPredictor.Input("a", clip(0, 5)),
              new ClipPredictor.Input("b", clip(1, 5)),
              new ClipPredictor.Input("c", clip(2, 5)));
      List<float[]> alone = alone(model, inputs);
      assertThat(Math.abs(alone.get(0)[0] - alone.get(2)[0])).isGreaterThan(0.01f);

      VideoPredictor predictor = new VideoPredictor(model, 4);
      List<ClipPredictor.Result> together = predictor.predictAll(inputs);

      // 15 frames, 4 per run: 4 runs (3 if each clip were one run, 6 if runs stopped at clip
      // boundaries)
      assertThat(predictor.runs()).isEqualTo(4);
      assertSamePosteriors(together, alone);
      assertThat(together).allSatisfy(r -> assertThat(r.outcome().itemsAnalysed()).isEqualTo(5));
    }
  }

  @Test
  void aPerFrameClipPosteriorIsTheMeanOfItsFramePosteriors() throws Exception {
    try (OrtModel model = tinyFrameModel("frame", "batch")) {
      byte[] value = clip(3, 4);
      List<BufferedImage> frames =
          VideoPredictor.decode(new AvroSerde<>(FrameBatch.class).decode(value));
      FramePreprocessor pre = new FramePreprocessor(model.manifest().video());
      float[] expected = new float[2];
      for (BufferedImage frame : frames) {
        float[] chw = pre.toChw(frame);
        float[] logits = new float[2];
        for (int c = 0; c < 3; c++) {
          double mean = 0;
          for (int i = 0; i < 64; i++) {
            mean += chw[c * 64 + i] / 64.0;
          }
          logits[0] += (float) mean * FRAME_W[2 * c];
          logits[1] += (float) mean * FRAME_W[2 * c + 1];
        }
        float[] p = Probabilities.softmax(logits);
        expected[0] += p[0] / frames.size();
        expected[1] += p[1] / frames.size();
      }

      float[] got = new VideoPredictor(model, 3).predict("c3", value).probabilities();

      assertThat(got).containsExactly(expected, within(1e-5f));
    }
  }

  @Test
  void aFixedBatchOfOneModelRunsSeveralClipsOneAtATime() throws Exception {
    try (OrtModel dynamic = tinyClipModel("clip", "batch", 4);
        OrtModel fixed = tinyClipModel("fixed", 1, 4);
        OrtModel fixedFrames = tinyFrameModel("fixedframe", 1)) {
      List<ClipPredictor.Input> inputs = clips(3, 2);
      VideoPredictor predictor = new VideoPredictor(fixed, 8);
      assertThat(predictor.runSize()).isEqualTo(1);

      List<ClipPredictor.Result> results = predictor.predictAll(inputs);

      assertThat(predictor.runs()).isEqualTo(3);
      assertSamePosteriors(results, alone(dynamic, inputs));

      VideoPredictor frames = new VideoPredictor(fixedFrames, 8);
      List<ClipPredictor.Result> frameResults = frames.predictAll(inputs);
      assertThat(frames.runs()).as("2 + 3 + 4 frames, one per run").isEqualTo(9);
      assertThat(frameResults)
          .allSatisfy(r -> assertThat(r.outcome().status()).isEqualTo(PredictionStatus.OK));
    }
  }

  @Test
  void aClipThatCannotBeDecodedFailsAloneWhileTheOthersArePredicted() throws Exception {
    byte[] notAvro = {1, 2, 3};
    byte[] notJpeg =
        new AvroSerde<>(FrameBatch.class)
            .encode(
                new FrameBatch(
                    "x", List.of(new Frame(0L, 16, 12, ByteBuffer.wrap(new byte[] {0, 1, 2, 3})))));
    for (boolean perClip : new boolean[] {true, false}) {
      try (OrtModel model =
          perClip ? tinyClipModel("clip", "batch", 4) : tinyFrameModel("frame", "batch")) {
        List<ClipPredictor.Input> good = clips(3, 3);
        List<float[]> alone = alone(model, good);
        VideoPredictor predictor = new VideoPredictor(model, 2);

        List<ClipPredictor.Result> results =
            predictor.predictAll(
                List.of(
                    good.get(0),
                    new ClipPredictor.Input("bad", notAvro),
                    good.get(1),
                    new ClipPredictor.Input("x", notJpeg),
                    new ClipPredictor.Input("empty", frames(0, Color.WHITE)),
                    good.get(2)));

        assertSamePosteriors(List.of(results.get(0), results.get(2), results.get(5)), alone);
        assertThat(results.get(1).failure()).isNotNull();
        assertThat(results.get(3).failure()).hasMessageContaining("not a JPEG");
        assertThat(results.get(4).outcome().status()).isEqualTo(PredictionStatus.ERROR);
        assertThat(results.get(4).outcome().probabilities()).isEmpty();
        assertThatThrownBy(() -> predictor.predict("bad", notAvro)).isInstanceOf(Exception.class);
      }
    }
  }

  @Test
  void aModelWhoseInputDoesNotMatchItsManifestIsRefusedAtStart() throws Exception {
    try (OrtModel eightFrames = tinyClipModel("eight", "batch", 8)) { // the manifest says 4 frames
      assertThatThrownBy(() -> new VideoPredictor(eightFrames, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[-1, 4, 3, 8, 8]");
    }
    try (OrtModel model = tinyClipModel("clip", "batch", 4)) {
      assertThatThrownBy(() -> new VideoPredictor(model, 0))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /**
   * PER_FRAME, output declared as probabilities: row = (mean of channel 0) · [-0.25, -0.75]. A
   * black frame (normalised -1) gives (0.25, 0.75), a distribution; a white one (+1) gives (-0.25,
   * -0.75), which is not.
   */
  @Test
  void anItemTheModelCannotScoreFailsOnlyItsOwnClipInABatchedRun() throws Exception {
    TinyOnnx.graph()
        .input("pixel_values", "batch", 3, 8, 8)
        .output("probs", "batch", 2)
        .initializer("w", new long[] {3, 2}, -0.25f, -0.75f, 0f, 0f, 0f, 0f)
        .node(
            "ReduceMean",
            List.of("pixel_values"),
            List.of("m"),
            Map.of("axes", new long[] {2, 3}, "keepdims", 0L))
        .node("MatMul", List.of("m", "w"), List.of("probs"), Map.of())
        .write(dir.resolve("strict.onnx"));
    Path manifest = dir.resolve("strict.json");
    Files.writeString(
        manifest,
        """
        {"name": "strict", "version": "1", "modality": "VIDEO", "file": "strict.onnx",
         "input": {"name": "pixel_values"}, "output": {"name": "probs", "kind": "PROBABILITIES"},
         "labels": ["happy", "sad"],
         "video": {"mode": "PER_FRAME", "frames": 4, "width": 8, "height": 8, "channelOrder": "RGB",
                   "rescale": 0.00784313725490196, "offset": -1.0, "layout": "NCHW"}}
        """);
    try (OrtModel model = OrtModel.load(manifest, Device.CPU, 1)) {
      VideoPredictor predictor = new VideoPredictor(model, 32);

      List<ClipPredictor.Result> results =
          predictor.predictAll(
              List.of(
                  new ClipPredictor.Input("dark", frames(2, Color.BLACK)),
                  new ClipPredictor.Input("bright", frames(1, Color.WHITE)),
                  new ClipPredictor.Input("dark2", frames(1, Color.BLACK))));

      assertThat(results.get(0).outcome().probabilities())
          .containsExactly(new float[] {0.25f, 0.75f}, within(1e-3f));
      assertThat(results.get(1).failure()).hasMessageContaining("negative probability");
      assertThat(results.get(2).outcome().probabilities())
          .containsExactly(new float[] {0.25f, 0.75f}, within(1e-3f));
    }
  }
}
