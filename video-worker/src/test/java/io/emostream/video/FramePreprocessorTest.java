package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ModelManifest;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class FramePreprocessorTest {

  /**
   * Hugging Face VivitImageProcessor: shortest edge 256, centre crop 224, x/127.5 - 1, then (x -
   * 0.5) / 0.5.
   */
  static final ModelManifest.Video VIVIT =
      new ModelManifest.Video(
          ModelManifest.VideoMode.PER_CLIP,
          32,
          256,
          null,
          null,
          224,
          224,
          ModelManifest.ChannelOrder.RGB,
          1 / 127.5,
          -1.0,
          List.of(0.5, 0.5, 0.5),
          List.of(0.5, 0.5, 0.5),
          ModelManifest.Layout.NTCHW,
          null);

  private static BufferedImage solid(int w, int h, Color color) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, w, h);
    g.dispose();
    return image;
  }

  @Test
  void appliesTheVivitChainToEveryChannel() {
    FramePreprocessor p = new FramePreprocessor(VIVIT);
    float[] chw = p.toChw(solid(640, 360, new Color(255, 0, 51)));

    assertThat(chw).hasSize(3 * 224 * 224);
    // R 255: 255/127.5 - 1 = 1 → (1 - 0.5)/0.5 = 1; G 0: -1 → -3; B 51: 51/127.5 - 1 = -0.6 → -2.2
    assertThat(chw[0]).isCloseTo(1f, within(1e-5f));
    assertThat(chw[224 * 224]).isCloseTo(-3f, within(1e-5f));
    assertThat(chw[2 * 224 * 224 + 5]).isCloseTo(-2.2f, within(1e-5f));
  }

  @Test
  void resizesTheShortestEdgeThenCropsTheCentre() {
    FramePreprocessor p = new FramePreprocessor(VIVIT);
    BufferedImage resized = p.resize(solid(640, 360, Color.BLACK));
    assertThat(resized.getHeight()).isEqualTo(256);
    assertThat(resized.getWidth()).isEqualTo(455);
    // A frame whose left half is white and right half black: the centre crop straddles the middle.
    BufferedImage half = solid(512, 256, Color.BLACK);
    Graphics2D g = half.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 256, 256);
    g.dispose();
    float[] chw = p.toChw(half);
    assertThat(chw[100 * 224 + 10]).isCloseTo(1f, within(1e-5f)); // left of centre: white
    assertThat(chw[100 * 224 + 200]).isCloseTo(-3f, within(1e-5f)); // right of centre: black
  }

  @Test
  void grayscaleAndBgrOrders() {
    ModelManifest.Video gray =
        new ModelManifest.Video(
            ModelManifest.VideoMode.PER_FRAME,
            8,
            null,
            64,
            64,
            null,
            null,
            ModelManifest.ChannelOrder.GRAY,
            2 / 255.0,
            -1.0,
            null,
            null,
            ModelManifest.Layout.NCHW,
            null);
    FramePreprocessor p = new FramePreprocessor(gray);
    float[] x = p.toChw(solid(64, 64, Color.WHITE));
    assertThat(x).hasSize(64 * 64);
    assertThat(x[0]).isCloseTo(1f, within(1e-5f));

    ModelManifest.Video bgr =
        new ModelManifest.Video(
            ModelManifest.VideoMode.PER_FRAME,
            8,
            null,
            2,
            2,
            null,
            null,
            ModelManifest.ChannelOrder.BGR,
            null,
            null,
            null,
            null,
            ModelManifest.Layout.NCHW,
            null);
    float[] y = new FramePreprocessor(bgr).toChw(solid(2, 2, new Color(10, 20, 30)));
    assertThat(y).containsExactly(30, 30, 30, 30, 20, 20, 20, 20, 10, 10, 10, 10);
  }

  @Test
  void samplesIndicesEvenlyAndRepeatsWhenShort() {
    assertThat(FramePreprocessor.sampleIndices(64, 4)).containsExactly(8, 24, 40, 56);
    assertThat(FramePreprocessor.sampleIndices(2, 4)).containsExactly(0, 0, 1, 1);
  }
}
