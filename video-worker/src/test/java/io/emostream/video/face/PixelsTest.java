package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast raster paths read the same pixels as {@code getRGB}. */
class PixelsTest {

  @ParameterizedTest
  @ValueSource(
      ints = {
        BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_BYTE_GRAY,
      })
  void readsTheSameRectangleAsGetRgb(int type) {
    BufferedImage image = pattern(type, 7, 5);

    assertThat(Pixels.rgb(image, 2, 1, 4, 3)).containsExactly(expected(image, 2, 1, 4, 3));
    assertThat(Pixels.rgb(image)).containsExactly(expected(image, 0, 0, 7, 5));
  }

  @Test
  void readsSubimagesAtTheirOwnOrigin() {
    BufferedImage bgr = pattern(BufferedImage.TYPE_3BYTE_BGR, 9, 8).getSubimage(3, 2, 5, 4);
    BufferedImage ints = pattern(BufferedImage.TYPE_INT_RGB, 9, 8).getSubimage(3, 2, 5, 4);

    assertThat(Pixels.rgb(bgr, 1, 1, 3, 2)).containsExactly(expected(bgr, 1, 1, 3, 2));
    assertThat(Pixels.rgb(ints, 1, 1, 3, 2)).containsExactly(expected(ints, 1, 1, 3, 2));
  }

  @Test
  void givesTheByteLayoutOfTheByteTypesOnlyWithTheSubimagesOrigin() {
    BufferedImage bgr = pattern(BufferedImage.TYPE_3BYTE_BGR, 9, 8);
    Pixels.ByteLayout whole = Pixels.byteLayout(bgr);
    Pixels.ByteLayout sub = Pixels.byteLayout(bgr.getSubimage(3, 2, 5, 4));

    assertThat(sub.data()).isSameAs(whole.data());
    assertThat(sub.index(0, 0)).isEqualTo(whole.index(3, 2));
    assertThat(whole.data()[whole.index(4, 1) + whole.red()] & 0xFF).isEqualTo(4 * 30);
    assertThat(whole.data()[whole.index(4, 1) + whole.green()] & 0xFF).isEqualTo(40);
    assertThat(whole.data()[whole.index(4, 1) + whole.blue()] & 0xFF).isEqualTo(4 * 5);
    assertThat(Pixels.byteLayout(pattern(BufferedImage.TYPE_4BYTE_ABGR, 3, 2))).isNotNull();
    assertThat(Pixels.byteLayout(pattern(BufferedImage.TYPE_INT_RGB, 3, 2))).isNull();
    assertThat(Pixels.byteLayout(pattern(BufferedImage.TYPE_BYTE_GRAY, 3, 2))).isNull();
  }

  private static BufferedImage pattern(int type, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, 0xFF000000 | (x * 30) << 16 | (y * 40) << 8 | (x * y * 5));
      }
    }
    return image;
  }

  private static int[] expected(BufferedImage image, int x, int y, int w, int h) {
    int[] argb = image.getRGB(x, y, w, h, null, 0, w);
    for (int i = 0; i < argb.length; i++) {
      argb[i] &= 0xFFFFFF;
    }
    return argb;
  }
}
