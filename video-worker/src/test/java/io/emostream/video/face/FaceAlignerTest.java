package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** Similarity fit and warp, on transforms whose answer is known exactly. */
class FaceAlignerTest {

  @Test
  void recoversAKnownScaleRotationAndTranslation() {
    // [a -b; b a] with a = 1.5, b = 2: scale 2.5, rotation atan2(2, 1.5) = 53.13 deg; t = (10, -5)
    float[] src = {0, 0, 4, 0, 0, 4, 4, 4, 2, 3};
    float[] dst = new float[src.length];
    for (int i = 0; i < src.length; i += 2) {
      dst[i] = 1.5f * src[i] - 2f * src[i + 1] + 10f;
      dst[i + 1] = 2f * src[i] + 1.5f * src[i + 1] - 5f;
    }

    double[] m = FaceAligner.similarityTransform(src, dst);

    assertThat(m).containsExactly(new double[] {1.5, -2, 10, 2, 1.5, -5}, within(1e-9));
  }

  @Test
  void referencePointsOntoThemselvesGiveIdentity() {
    double[] m =
        FaceAligner.similarityTransform(FaceAligner.REFERENCE_112, FaceAligner.REFERENCE_112);

    assertThat(m).containsExactly(new double[] {1, 0, 0, 0, 1, 0}, within(1e-9));
  }

  @Test
  void fitsInexactPointsInTheLeastSquaresSense() {
    // unit square with two corners pulled inwards by 0.5 along x; both means stay at (0, 0)
    float[] src = {-1, -1, 1, -1, 1, 1, -1, 1};
    float[] dst = {-0.5f, -1, 1, -1, 0.5f, 1, -1, 1};

    double[] m = FaceAligner.similarityTransform(src, dst);

    // sum(xs^2 + ys^2) = 8; sum(xs*xd + ys*yd) = 1.5 + 2 + 1.5 + 2 = 7; sum(xs*yd - ys*xd) = 0.5 +
    // 0 + 0.5 + 0 = 1
    assertThat(m).containsExactly(new double[] {0.875, -0.125, 0, 0.125, 0.875, 0}, within(1e-9));
  }

  @Test
  void rejectsMismatchedOrDegeneratePoints() {
    assertThatThrownBy(() -> FaceAligner.similarityTransform(new float[4], new float[6]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> FaceAligner.similarityTransform(new float[] {1, 1, 1, 1}, new float[4]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void invertUndoesTheTransform() {
    double[] m = {1.5, -2, 10, 2, 1.5, -5};
    double[] inv = FaceAligner.invert(m);
    double x = 3;
    double y = 7;
    double u = m[0] * x + m[1] * y + m[2];
    double v = m[3] * x + m[4] * y + m[5];

    assertThat(inv[0] * u + inv[1] * v + inv[2]).isCloseTo(x, within(1e-12));
    assertThat(inv[3] * u + inv[4] * v + inv[5]).isCloseTo(y, within(1e-12));
  }

  @Test
  void landmarksAlreadyAtTheReferenceCopyTheTopLeft112() {
    BufferedImage img = gradient(150, 150, 1);

    BufferedImage out = FaceAligner.align(img, FaceAligner.REFERENCE_112);

    assertThat(out.getWidth()).isEqualTo(112);
    assertThat(out.getHeight()).isEqualTo(112);
    for (int[] p : new int[][] {{0, 0}, {37, 80}, {111, 111}}) {
      Color c = new Color(out.getRGB(p[0], p[1]));
      assertThat(c.getRed()).isCloseTo(p[0], within(1));
      assertThat(c.getGreen()).isCloseTo(p[1], within(1));
    }
  }

  @Test
  void landmarksAtTwiceTheReferenceAreDownscaledByTwo() {
    BufferedImage img = gradient(224, 224, 1);
    float[] doubled = FaceAligner.REFERENCE_112.clone();
    for (int i = 0; i < doubled.length; i++) {
      doubled[i] *= 2;
    }

    BufferedImage out = FaceAligner.align(img, doubled);

    Color c = new Color(out.getRGB(50, 100));
    assertThat(c.getRed()).isCloseTo(100, within(1));
    assertThat(c.getGreen()).isCloseTo(200, within(1));
  }

  @Test
  void pixelsOutsideTheFrameAreBlack() {
    BufferedImage white = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
    white.getGraphics().fillRect(0, 0, 112, 112);
    float[] shifted = FaceAligner.REFERENCE_112.clone();
    for (int i = 0; i < shifted.length; i++) {
      shifted[i] -= 60;
    }

    BufferedImage out = FaceAligner.align(white, shifted);

    // output (0, 0) samples frame (-60, -60); output (111, 111) samples (51, 51)
    assertThat(out.getRGB(0, 0) & 0xFFFFFF).isZero();
    assertThat(out.getRGB(111, 111) & 0xFFFFFF).isEqualTo(0xFFFFFF);
  }

  @Test
  void sourceRegionCoversTheSampledAreaPlusAMarginClippedToTheFrame() {
    // output (x, y) samples frame (2x + 10, 2y + 20)
    double[] inverse = {2, 0, 10, 0, 2, 20};

    // x from 10 to 232, y from 20 to 242, one pixel of margin before and two after
    assertThat(FaceAligner.sourceRegion(inverse, 1000, 1000)).containsExactly(9, 19, 225, 225);
    assertThat(FaceAligner.sourceRegion(inverse, 100, 1000)).containsExactly(9, 19, 91, 225);
    assertThat(FaceAligner.sourceRegion(inverse, 5, 5)[2]).isZero();
  }

  @Test
  void byteAndIntFramesAlignAlike() {
    BufferedImage ints = gradient(300, 200, 1);
    BufferedImage bytes = new BufferedImage(300, 200, BufferedImage.TYPE_3BYTE_BGR);
    bytes.getGraphics().drawImage(ints, 0, 0, null);
    float[] landmarks = FaceAligner.REFERENCE_112.clone();
    for (int i = 0; i < landmarks.length; i++) {
      landmarks[i] = landmarks[i] * 1.3f + 40;
    }

    BufferedImage a = FaceAligner.align(ints, landmarks);
    BufferedImage b = FaceAligner.align(bytes, landmarks);

    assertThat(b.getRGB(0, 0, 112, 112, null, 0, 112))
        .containsExactly(a.getRGB(0, 0, 112, 112, null, 0, 112));
  }

  /** red = x * step, green = y * step, blue = 7. */
  private static BufferedImage gradient(int w, int h, int step) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, new Color(Math.min(255, x * step), Math.min(255, y * step), 7).getRGB());
      }
    }
    return img;
  }
}
