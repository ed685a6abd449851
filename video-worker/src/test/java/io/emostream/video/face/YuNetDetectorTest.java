package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pure tests of YuNet decoding, suppression and input packing; no model needed. */
class YuNetDetectorTest {

  private static final float[] NO_KPS = new float[10];

  @Test
  void decodesOnlyAnchorsAtOrAboveTheScoreThresholdWithClampedScores() {
    // 16x16 input, stride 8: a 2x2 grid, anchors row-major.
    float[] cls = {0.1f, 0.2f, 0.81f, 1.5f};
    float[] obj = {1f, 1f, 1f, -0.2f};
    float[] bbox = new float[16];
    float[] kps = new float[40];

    List<Face> faces = YuNetDetector.decode(16, 16, 8, cls, obj, bbox, kps, 0.6f);

    // anchor 3: clamp(1.5) * clamp(-0.2) = 0; anchors 0, 1: sqrt(0.1), sqrt(0.2) < 0.6
    assertThat(faces).hasSize(1);
    assertThat(faces.get(0).score()).isCloseTo(0.9f, within(1e-6f));
  }

  @Test
  void decodesBoxAndLandmarksFromGridCellAndStride() {
    float[] cls = {0f, 0f, 0.81f, 0f};
    float[] obj = {0f, 0f, 1f, 0f};
    float[] bbox = new float[16];
    float[] kps = new float[40];
    // anchor 2 is row 1, column 0
    System.arraycopy(new float[] {0.5f, 0.25f, (float) Math.log(2), 0f}, 0, bbox, 8, 4);
    System.arraycopy(new float[] {0, 0, 1, 0, 0.5f, 0.5f, 0, 1, 1, 1}, 0, kps, 20, 10);

    Face face = YuNetDetector.decode(16, 16, 8, cls, obj, bbox, kps, 0.6f).get(0);

    // cx = (0 + 0.5) * 8 = 4, cy = (1 + 0.25) * 8 = 10, w = 2 * 8 = 16, h = 1 * 8 = 8
    assertThat(face.x()).isCloseTo(-4f, within(1e-5f));
    assertThat(face.y()).isCloseTo(6f, within(1e-5f));
    assertThat(face.width()).isCloseTo(16f, within(1e-5f));
    assertThat(face.height()).isCloseTo(8f, within(1e-5f));
    assertThat(face.landmarks())
        .containsExactly(new float[] {0, 8, 8, 8, 4, 12, 0, 16, 8, 16}, within(1e-5f));
  }

  @Test
  void gridIsRowMajorWithWidthOverStrideColumns() {
    // 32x16 input, stride 8: 4 columns, 2 rows; anchor 6 is row 1, column 2
    float[] cls = new float[8];
    float[] obj = new float[8];
    cls[6] = 1f;
    obj[6] = 1f;

    Face face =
        YuNetDetector.decode(32, 16, 8, cls, obj, new float[32], new float[80], 0.6f).get(0);

    // cx = 2 * 8 = 16, cy = 1 * 8 = 8, w = h = exp(0) * 8 = 8
    assertThat(face.x()).isEqualTo(12f);
    assertThat(face.y()).isEqualTo(4f);
    assertThat(face.width()).isEqualTo(8f);
  }

  @Test
  void thresholdIsInclusive() {
    List<Face> faces =
        YuNetDetector.decode(
            8, 8, 8, new float[] {0.25f}, new float[] {1f}, new float[4], new float[10], 0.5f);

    assertThat(faces).singleElement().extracting(Face::score).isEqualTo(0.5f);
  }

  @Test
  void iouOfHandComputedBoxes() {
    assertThat(YuNetDetector.iou(box(0, 0, 10, 10, 1), box(5, 0, 10, 10, 1)))
        .isCloseTo(50f / 150f, within(1e-6f));
    assertThat(YuNetDetector.iou(box(0, 0, 10, 10, 1), box(1, 0, 10, 10, 1)))
        .isCloseTo(90f / 110f, within(1e-6f));
    assertThat(YuNetDetector.iou(box(0, 0, 10, 10, 1), box(10, 0, 10, 10, 1))).isZero();
  }

  @Test
  void nmsKeepsHighestScoreAndDropsOverlapsAboveThreshold() {
    Face a = box(0, 0, 10, 10, 0.9f);
    Face b = box(1, 0, 10, 10, 0.8f); // IoU with a = 0.818
    Face c = box(20, 20, 10, 10, 0.7f); // disjoint
    Face d = box(5, 0, 10, 10, 0.85f); // IoU with a = 0.333, with b = 60/140 = 0.429

    assertThat(YuNetDetector.nms(List.of(b, c, a, d), 0.3f, 10)).containsExactly(a, c);
    assertThat(YuNetDetector.nms(List.of(b, c, a, d), 0.4f, 10)).containsExactly(a, d, c);
    assertThat(YuNetDetector.nms(List.of(b, c, a, d), 0.9f, 10)).containsExactly(a, d, b, c);
  }

  @Test
  void nmsStopsAtTopK() {
    Face a = box(0, 0, 10, 10, 0.9f);
    Face c = box(20, 20, 10, 10, 0.7f);
    Face e = box(40, 40, 10, 10, 0.8f);

    assertThat(YuNetDetector.nms(List.of(a, c, e), 0.3f, 2)).containsExactly(a, e);
    assertThat(YuNetDetector.nms(List.of(), 0.3f, 2)).isEmpty();
  }

  @Test
  void letterboxScaleShrinksToFitButNeverEnlarges() {
    assertThat(YuNetDetector.letterboxScale(2048, 1536, 640, 640)).isEqualTo(0.3125f);
    assertThat(YuNetDetector.letterboxScale(1280, 720, 640, 640)).isEqualTo(0.5f);
    assertThat(YuNetDetector.letterboxScale(480, 1280, 640, 640)).isEqualTo(0.5f);
    assertThat(YuNetDetector.letterboxScale(320, 640, 640, 640)).isEqualTo(1f);
    assertThat(YuNetDetector.letterboxScale(293, 291, 640, 640)).isEqualTo(1f);
  }

  @Test
  void rescaleMultipliesBoxAndLandmarksAndKeepsScore() {
    Face face = new Face(1, 2, 3, 4, 0.7f, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});

    Face scaled = YuNetDetector.rescale(face, 2f);

    assertThat(scaled)
        .isEqualTo(new Face(2, 4, 6, 8, 0.7f, new float[] {2, 4, 6, 8, 10, 12, 14, 16, 18, 20}));
  }

  @Test
  void inputIsPlanarBgrZeroPaddedAtRightAndBottom() {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, new Color(10, 20, 30).getRGB());
    image.setRGB(1, 0, new Color(10, 20, 30).getRGB());

    float[] input = pack(image, 4, 4, 1f);

    int plane = 16;
    assertThat(input).hasSize(48);
    assertThat(new float[] {input[0], input[plane], input[2 * plane]})
        .containsExactly(30f, 20f, 10f);
    assertThat(input[1]).isEqualTo(30f);
    assertThat(input[2]).isZero();
    assertThat(input[4]).isZero();
  }

  @Test
  void straightCopyAtScaleOneEqualsBilinearSamplingAndClearsAnEarlierFramesPixels() {
    BufferedImage big = new BufferedImage(6, 5, BufferedImage.TYPE_INT_RGB);
    BufferedImage small = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(7);
    for (BufferedImage image : List.of(big, small)) {
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          image.setRGB(x, y, random.nextInt(1 << 24));
        }
      }
    }
    YuNetDetector.InputBuffer buffer = YuNetDetector.InputBuffer.of(8, 8);
    YuNetDetector.toBgrInput(big, 8, 8, 1f, buffer);

    float[] reused = floats(YuNetDetector.toBgrInput(small, 8, 8, 1f, buffer));

    // the bilinear path at scale 1, written into a fresh array the old way
    float[] sampled = new float[3 * 8 * 8];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          sampled[c * 64 + y * 8 + x] =
              Bilinear.sample(
                  new int[] {
                    small.getRGB(0, 0), small.getRGB(1, 0), small.getRGB(2, 0),
                    small.getRGB(0, 1), small.getRGB(1, 1), small.getRGB(2, 1)
                  },
                  3,
                  2,
                  x,
                  y,
                  8 * c);
        }
      }
    }
    assertThat(reused).containsExactly(sampled);
    assertThat(pack(small, 8, 8, 1f)).containsExactly(sampled);
  }

  @Test
  void upscalingAUniformImageStaysUniform() {
    BufferedImage image = new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 3; x++) {
        image.setRGB(x, y, new Color(200, 100, 50).getRGB());
      }
    }

    float[] input = pack(image, 8, 8, 2f);

    // 3 * 2 = 6 pixels filled per row, the rest padding
    assertThat(input[5 * 8 + 5]).isEqualTo(50f);
    assertThat(input[64 + 5 * 8 + 5]).isEqualTo(100f);
    assertThat(input[5 * 8 + 6]).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      ints = {
        BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_BYTE_GRAY,
      })
  void packsEveryImageTypeAsTheReferenceAtEveryScale(int type) {
    BufferedImage image = random(type, 7, 5, 11);

    assertThat(pack(image, 8, 8, 1f)).containsExactly(reference(image, 8, 8, 1f));
    assertThat(pack(image, 8, 8, 0.5f)).containsExactly(reference(image, 8, 8, 0.5f));
    assertThat(pack(image, 16, 16, 2f)).containsExactly(reference(image, 16, 16, 2f));
    assertThat(pack(image, 32, 32, 1.3f)).containsExactly(reference(image, 32, 32, 1.3f));
  }

  @Test
  void packsSubimagesFromTheirOwnOrigin() {
    for (int type :
        new int[] {
          BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB
        }) {
      BufferedImage sub = random(type, 13, 11, type).getSubimage(3, 2, 7, 6);

      assertThat(sub.getRaster().getSampleModelTranslateX()).isNotZero();
      assertThat(pack(sub, 8, 8, 1f)).as("type %d", type).containsExactly(reference(sub, 8, 8, 1f));
      assertThat(pack(sub, 8, 8, 0.75f))
          .as("type %d", type)
          .containsExactly(reference(sub, 8, 8, 0.75f));
    }
  }

  @Test
  void packsADecodedJpegStraightFromItsBytesAsTheReference() throws IOException {
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(random(BufferedImage.TYPE_3BYTE_BGR, 40, 21, 3), "jpg", jpeg);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg.toByteArray()));

    assertThat(Pixels.byteLayout(decoded)).isNotNull();
    assertThat(pack(decoded, 64, 32, 1f)).containsExactly(reference(decoded, 64, 32, 1f));
  }

  @Test
  void aReusedBufferHandsOverExactlyEachInputAndZerosWhatAnEarlierFrameLeft() {
    YuNetDetector.InputBuffer buffer = YuNetDetector.InputBuffer.of(16, 16);
    BufferedImage big = random(BufferedImage.TYPE_3BYTE_BGR, 16, 16, 1);
    List<Object[]> frames =
        List.of(
            new Object[] {big, 16, 16, 1f},
            new Object[] {random(BufferedImage.TYPE_3BYTE_BGR, 5, 3, 2), 8, 8, 1f},
            new Object[] {big, 16, 16, 1f},
            new Object[] {random(BufferedImage.TYPE_INT_RGB, 6, 4, 3), 16, 16, 1f},
            new Object[] {big, 16, 16, 1f},
            new Object[] {big, 16, 8, 0.5f},
            new Object[] {big, 16, 16, 1f},
            new Object[] {random(BufferedImage.TYPE_3BYTE_BGR, 9, 16, 4), 16, 16, 1f});
    for (Object[] frame : frames) {
      BufferedImage image = (BufferedImage) frame[0];
      int width = (int) frame[1];
      int height = (int) frame[2];
      float scale = (float) frame[3];

      FloatBuffer input = YuNetDetector.toBgrInput(image, width, height, scale, buffer);

      assertThat(input.isDirect()).isTrue();
      assertThat(input.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(input.position()).isZero();
      assertThat(input.remaining()).isEqualTo(3 * width * height);
      assertThat(floats(input))
          .as(
              "%dx%d image into %dx%d at scale %s",
              image.getWidth(), image.getHeight(), width, height, scale)
          .containsExactly(reference(image, width, height, scale));
    }
  }

  @ParameterizedTest
  @ValueSource(
      ints = {
        BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_BYTE_GRAY,
      })
  void packsEveryImageTypeAsBytesAsTheReferenceRoundedAtEveryScale(int type) {
    BufferedImage image = random(type, 7, 5, 11);

    assertThat(packBytes(image, 8, 8, 1f)).containsExactly(referenceBytes(image, 8, 8, 1f));
    assertThat(packBytes(image, 8, 8, 0.5f)).containsExactly(referenceBytes(image, 8, 8, 0.5f));
    assertThat(packBytes(image, 16, 16, 2f)).containsExactly(referenceBytes(image, 16, 16, 2f));
    assertThat(packBytes(image, 32, 32, 1.3f)).containsExactly(referenceBytes(image, 32, 32, 1.3f));
  }

  @Test
  void packsSubimagesAndADecodedJpegAsBytesFromTheirOwnOrigin() throws IOException {
    for (int type :
        new int[] {
          BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB
        }) {
      BufferedImage sub = random(type, 13, 11, type).getSubimage(3, 2, 7, 6);

      assertThat(packBytes(sub, 8, 8, 1f))
          .as("type %d", type)
          .containsExactly(referenceBytes(sub, 8, 8, 1f));
      assertThat(packBytes(sub, 8, 8, 0.75f))
          .as("type %d", type)
          .containsExactly(referenceBytes(sub, 8, 8, 0.75f));
    }
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(random(BufferedImage.TYPE_3BYTE_BGR, 40, 21, 3), "jpg", jpeg);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg.toByteArray()));
    assertThat(packBytes(decoded, 64, 32, 1f)).containsExactly(referenceBytes(decoded, 64, 32, 1f));
  }

  @Test
  void aReusedByteBufferHandsOverExactlyEachInputAndZerosWhatAnEarlierFrameLeft() {
    YuNetDetector.ByteInput buffer = YuNetDetector.ByteInput.of(16, 16);
    BufferedImage big = random(BufferedImage.TYPE_3BYTE_BGR, 16, 16, 1);
    List<Object[]> frames =
        List.of(
            new Object[] {big, 16, 16, 1f},
            new Object[] {random(BufferedImage.TYPE_3BYTE_BGR, 5, 3, 2), 8, 8, 1f},
            new Object[] {big, 16, 16, 1f},
            new Object[] {random(BufferedImage.TYPE_INT_RGB, 6, 4, 3), 16, 16, 1f},
            new Object[] {big, 16, 8, 0.5f},
            new Object[] {random(BufferedImage.TYPE_3BYTE_BGR, 9, 16, 4), 16, 16, 1f});
    for (Object[] frame : frames) {
      BufferedImage image = (BufferedImage) frame[0];
      int width = (int) frame[1];
      int height = (int) frame[2];
      float scale = (float) frame[3];

      ByteBuffer input = YuNetDetector.toBgrBytes(image, width, height, scale, buffer);

      assertThat(input.isDirect()).isTrue();
      assertThat(input.position()).isZero();
      assertThat(input.remaining()).isEqualTo(3 * width * height);
      assertThat(bytes(input))
          .as(
              "%dx%d image into %dx%d at scale %s",
              image.getWidth(), image.getHeight(), width, height, scale)
          .containsExactly(referenceBytes(image, width, height, scale));
    }
  }

  /** As {@link #pack}, as the bytes a {@code uint8 [1, H, W, 3]} model gets. */
  private static byte[] packBytes(
      BufferedImage image, int inputWidth, int inputHeight, float scale) {
    return bytes(
        YuNetDetector.toBgrBytes(
            image,
            inputWidth,
            inputHeight,
            scale,
            YuNetDetector.ByteInput.of(inputWidth, inputHeight)));
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  /**
   * {@link #reference} interleaved ({@code [H, W, 3]}, blue first) with each value rounded to the
   * nearest byte: at scale 1 the pixels' own bytes.
   */
  private static byte[] referenceBytes(
      BufferedImage image, int inputWidth, int inputHeight, float scale) {
    float[] planar = reference(image, inputWidth, inputHeight, scale);
    int plane = inputWidth * inputHeight;
    byte[] out = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        out[3 * i + c] = (byte) Math.round(planar[c * plane + i]);
      }
    }
    return out;
  }

  /** Packs through a fresh buffer just large enough, as the model would get it. */
  private static float[] pack(BufferedImage image, int inputWidth, int inputHeight, float scale) {
    return floats(
        YuNetDetector.toBgrInput(
            image,
            inputWidth,
            inputHeight,
            scale,
            YuNetDetector.InputBuffer.of(inputWidth, inputHeight)));
  }

  private static float[] floats(FloatBuffer buffer) {
    float[] out = new float[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  /**
   * YuNet's input written plainly, as the detector packed it before the direct buffer: pixels from
   * {@code getRGB}, the resized frame at the top-left, each input pixel's centre mapped back by
   * {@code 1 / scale} and sampled bilinearly (at scale 1 the pixel itself), zero elsewhere.
   */
  private static float[] reference(
      BufferedImage image, int inputWidth, int inputHeight, float scale) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int plane = inputWidth * inputHeight;
    float[] out = new float[3 * plane];
    int outW = Math.min(inputWidth, Math.round(w * scale));
    int outH = Math.min(inputHeight, Math.round(h * scale));
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < outH; y++) {
        for (int x = 0; x < outW; x++) {
          float sx = Math.max(0, Math.min(w - 1, (x + 0.5f) / scale - 0.5f));
          float sy = Math.max(0, Math.min(h - 1, (y + 0.5f) / scale - 0.5f));
          out[c * plane + y * inputWidth + x] =
              scale == 1f
                  ? (argb[y * w + x] >>> (8 * c)) & 0xFF
                  : Bilinear.sample(argb, w, h, sx, sy, 8 * c);
        }
      }
    }
    return out;
  }

  /** An image of random pixels (random alpha too, where it has one). */
  private static BufferedImage random(int type, int w, int h, long seed) {
    BufferedImage image = new BufferedImage(w, h, type);
    Random random = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    return image;
  }

  private static Face box(float x, float y, float w, float h, float score) {
    return new Face(x, y, w, h, score, NO_KPS);
  }
}
