package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The three-channel samplers against a plain reference that samples one channel at a time, as the
 * crops were cut before: the same value for every channel to the bit, inside the image and (zero
 * border) around and outside it.
 */
class BilinearTest {

  private static final int W = 9;
  private static final int H = 7;

  @Test
  void sampleRgbIsEachChannelSampledAndRounded() {
    int[] argb = random(W * H, 1);
    Random random = new Random(2);
    for (int i = 0; i < 5_000; i++) {
      float x = random.nextFloat() * (W - 1);
      float y = random.nextFloat() * (H - 1);
      int want = 0;
      for (int shift = 16; shift >= 0; shift -= 8) {
        want |= Math.round(Bilinear.sample(argb, W, H, x, y, shift)) << shift;
      }
      assertThat(Bilinear.sampleRgb(argb, W, H, x, y)).as("(%s, %s)", x, y).isEqualTo(want);
    }
    assertThat(Bilinear.sampleRgb(argb, W, H, W - 1, H - 1)).isEqualTo(argb[W * H - 1] & 0xFFFFFF);
  }

  @Test
  void sampleRgbZeroBorderCountsNeighboursOutsideAsBlack() {
    int[] argb = random(W * H, 3);
    Random random = new Random(4);
    for (int i = 0; i < 5_000; i++) {
      float x = random.nextFloat() * (W + 4) - 2;
      float y = random.nextFloat() * (H + 4) - 2;
      assertThat(Bilinear.sampleRgbZeroBorder(argb, W, H, x, y))
          .as("(%s, %s)", x, y)
          .isEqualTo(zeroBorderReference(argb, x, y));
    }
    assertThat(Bilinear.sampleRgbZeroBorder(argb, W, H, -5f, 3f)).isZero();
  }

  @Test
  void anImageOverPackedPixelsIsAnIntRgbImageWithThosePixels() {
    int[] rgb = random(16, 5);
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] &= 0xFFFFFF;
    }
    BufferedImage image = Pixels.image(rgb.clone(), 4);
    BufferedImage viaSetRgb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    viaSetRgb.setRGB(0, 0, 4, 4, rgb, 0, 4);

    assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
    assertThat(image.getRGB(0, 0, 4, 4, null, 0, 4))
        .containsExactly(viaSetRgb.getRGB(0, 0, 4, 4, null, 0, 4));
    assertThat(Pixels.rgb(image)).containsExactly(rgb);
  }

  /** One channel at a time, as {@code warpAffine} with a constant 0 border. */
  private static int zeroBorderReference(int[] argb, float x, float y) {
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    float fx = x - x0;
    float fy = y - y0;
    int out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
      float top = lerp(at(argb, x0, y0, shift), at(argb, x0 + 1, y0, shift), fx);
      float bottom = lerp(at(argb, x0, y0 + 1, shift), at(argb, x0 + 1, y0 + 1, shift), fx);
      out |= Math.round(lerp(top, bottom, fy)) << shift;
    }
    return out;
  }

  private static float at(int[] argb, int x, int y, int shift) {
    return x < 0 || y < 0 || x >= W || y >= H ? 0f : (argb[y * W + x] >>> shift) & 0xFF;
  }

  private static float lerp(float a, float b, float t) {
    return a + (b - a) * t;
  }

  private static int[] random(int n, long seed) {
    Random random = new Random(seed);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextInt();
    }
    return out;
  }
}
