package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.testkit.TinyOnnx;

/**
 * The clip-level (ViViT-shaped) path on a tiny generated model with ViViT's names and shapes:
 * pixel_values [batch, 32, 3, 224, 224] → logits [batch, 2], where
 * logits = mean over (C, H, W) per frame, times W (frame 0 weight +1 for class 0 and -1 for class 1).
 */
class VideoPredictorTest {

  @TempDir
  Path dir;

  private OrtModel tinyVivit() throws Exception {
    float[] w = new float[32 * 2];
    w[0] = 1f;  // frame 0 → class 0
    w[1] = -1f; // frame 0 → class 1
    TinyOnnx.graph()
        .input("pixel_values", "batch", 32, 3, 224, 224)
        .output("logits", "batch", 2)
        .initializer("w", new long[] {32, 2}, w)
        .node("ReduceMean", List.of("pixel_values"), List.of("m"), Map.of("axes", new long[] {2, 3, 4}, "keepdims", 0L))
        .node("MatMul", List.of("m", "w"), List.of("logits"), Map.of())
        .write(dir.resolve("vivit.onnx"));
    Files.writeString(dir.resolve("manifest.json"), """
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
      // 20 white frames are re-sampled to 32; white → every normalised value 1 → frame-0 mean 1 → logits (1, -1)
      ClipPredictor.Outcome outcome = new VideoPredictor(model).predict("c1", frames(20, Color.WHITE));

      assertThat(outcome.status()).isEqualTo(ClipPredictor.Status.OK);
      assertThat(outcome.itemsAnalysed()).isEqualTo(32);
      double expected = Math.exp(1) / (Math.exp(1) + Math.exp(-1));
      assertThat(outcome.probabilities()[0]).isCloseTo((float) expected, within(2e-3f));
    }
  }

  @Test
  void aClipWithoutFramesIsAnErrorNotADistribution() throws Exception {
    try (OrtModel model = tinyVivit()) {
      ClipPredictor.Outcome outcome = new VideoPredictor(model).predict("c1", frames(0, Color.WHITE));
      assertThat(outcome.status()).isEqualTo(ClipPredictor.Status.ERROR);
      assertThat(outcome.probabilities()).isEmpty();
    }
  }
}
