package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ModelManifest;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pure pre-processing of the expression classifier; no model needed (its softmax is Probabilities',
 * tested there).
 */
class ExpressionClassifierTest {

  @Test
  void inputIsPlanarRgbScaledToMinusOneOne() {
    BufferedImage face = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
    face.setRGB(0, 0, new Color(255, 0, 51).getRGB());
    face.setRGB(111, 111, new Color(0, 255, 0).getRGB());

    float[] input = ExpressionClassifier.toInput(List.of(face, face));

    int plane = 112 * 112;
    assertThat(input).hasSize(2 * 3 * plane);
    // (255/255 - 0.5) / 0.5 = 1; 0 -> -1; (51/255 - 0.5) / 0.5 = -0.6
    assertThat(new float[] {input[0], input[plane], input[2 * plane]})
        .containsExactly(new float[] {1f, -1f, -0.6f}, within(1e-6f));
    assertThat(input[2 * plane - 1]).isEqualTo(1f);
    assertThat(input[3 * plane]).isEqualTo(1f);
  }

  @Test
  void rejectsFacesThatAreNotAligned112() {
    BufferedImage wrong = new BufferedImage(100, 112, BufferedImage.TYPE_INT_RGB);

    assertThatThrownBy(() -> ExpressionClassifier.toInput(List.of(wrong)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("100x112");
  }

  @Test
  void greyInputIsOneLumaPlaneScaledAsTheManifestSays() {
    ModelManifest.FaceInput grey64 =
        new ModelManifest.FaceInput(
            ModelManifest.FaceCrop.BOX,
            64,
            ModelManifest.ChannelOrder.GRAY,
            2 / 255.0,
            -1,
            null,
            null);
    BufferedImage face = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    face.setRGB(0, 0, new Color(255, 255, 255).getRGB());
    face.setRGB(1, 0, new Color(100, 0, 0).getRGB());

    float[] input = ExpressionClassifier.toInput(List.of(face), grey64);

    assertThat(input).hasSize(64 * 64);
    // white -> 255 -> 1; black -> -1; red 100 -> luma 29.9 -> 29.9 * 2/255 - 1
    assertThat(input[0]).isCloseTo(1f, within(1e-5f));
    assertThat(input[1]).isCloseTo(29.9f * 2 / 255 - 1, within(1e-5f));
    assertThat(input[2]).isCloseTo(-1f, within(1e-6f));
  }

  @Test
  void bgrInputPutsBlueFirst() {
    ModelManifest.FaceInput bgr =
        new ModelManifest.FaceInput(
            ModelManifest.FaceCrop.ALIGNED,
            2,
            ModelManifest.ChannelOrder.BGR,
            1,
            0,
            List.of(0.0),
            List.of(1.0));
    BufferedImage face = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    face.setRGB(0, 0, new Color(10, 20, 30).getRGB());

    float[] input = ExpressionClassifier.toInput(List.of(face), bgr);

    assertThat(new float[] {input[0], input[4], input[8]}).containsExactly(30f, 20f, 10f);
  }
}
