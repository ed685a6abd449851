package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.inference.ModelManifest;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaceCropperTest {

  private static final float[] KPS = new float[10];

  @Test
  void boxCropResizesJustTheBoxToTheModelSize() {
    // a 100x100 frame, black, with a 40x40 white square at (20, 30): a box inside it comes out all
    // white
    BufferedImage frame = frameWithSquare(20, 30, 40);
    ModelManifest.FaceInput box64 =
        new ModelManifest.FaceInput(
            ModelManifest.FaceCrop.BOX,
            64,
            ModelManifest.ChannelOrder.GRAY,
            2 / 255.0,
            -1,
            null,
            null);

    BufferedImage crop = FaceCropper.crop(frame, new Face(25, 35, 30, 30, 0.9f, KPS), box64);

    assertThat(crop.getWidth()).isEqualTo(64);
    assertThat(crop.getHeight()).isEqualTo(64);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        assertThat(crop.getRGB(x, y) & 0xFFFFFF).isEqualTo(0xFFFFFF);
      }
    }
  }

  @Test
  void boxCropTakesTheRightHalfOfABoxOverTheSquaresEdge() {
    // box from x=0 to 40 over a square starting at x=20: left half black, right half white
    BufferedImage crop = FaceCropper.box(frameWithSquare(20, 30, 40), 0, 30, 40, 40, 8);

    assertThat(crop.getRGB(1, 4) & 0xFFFFFF).isZero();
    assertThat(crop.getRGB(6, 4) & 0xFFFFFF).isEqualTo(0xFFFFFF);
  }

  @Test
  void partsOfTheBoxOutsideTheFrameAreBlack() {
    BufferedImage white = frameWithSquare(0, 0, 100);

    BufferedImage crop = FaceCropper.box(white, 50, 0, 100, 100, 10);

    assertThat(crop.getRGB(2, 5) & 0xFFFFFF).isEqualTo(0xFFFFFF);
    assertThat(crop.getRGB(8, 5) & 0xFFFFFF).isZero();
    assertThatThrownBy(() -> FaceCropper.box(white, 0, 0, 0, 10, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void alignedCropAtAnotherSizeScalesTheReferencePoints() {
    BufferedImage frame = frameWithSquare(0, 0, 100);
    // landmarks exactly on the 112 reference points of a white 100x100 frame: at size 56 the warp
    // halves
    float[] landmarks = FaceAligner.REFERENCE_112.clone();
    ModelManifest.FaceInput aligned56 =
        new ModelManifest.FaceInput(
            ModelManifest.FaceCrop.ALIGNED,
            56,
            ModelManifest.ChannelOrder.RGB,
            1,
            0,
            List.of(0.0),
            List.of(1.0));

    BufferedImage crop =
        FaceCropper.crop(frame, new Face(0, 0, 112, 112, 0.9f, landmarks), aligned56);

    // output (x, y) samples the frame at (2x, 2y): (10, 10) lies in the white frame, (55, 55)
    // beyond its edge
    assertThat(crop.getWidth()).isEqualTo(56);
    assertThat(crop.getRGB(10, 10) & 0xFFFFFF).isEqualTo(0xFFFFFF);
    assertThat(crop.getRGB(55, 55) & 0xFFFFFF).isZero();
  }

  private static BufferedImage frameWithSquare(int x, int y, int side) {
    BufferedImage frame = new BufferedImage(100, 100, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = frame.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, 100, 100);
    g.setColor(Color.WHITE);
    g.fillRect(x, y, side, side);
    g.dispose();
    return frame;
  }
}
