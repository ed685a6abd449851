package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * {@link VideoPredictor#readJpeg(byte[], BufferedImage)}: a frame decoded into the previous frame's
 * image has exactly the pixels of a fresh decode, and an image that does not fit (another size,
 * another type) is never written.
 */
class JpegReuseTest {

  @Test
  void aFrameDecodedIntoTheLastOneHasExactlyAFreshDecodesPixels() throws IOException {
    byte[] first = jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36, 1), "jpg");
    byte[] second = jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36, 2), "jpg");
    BufferedImage into = VideoPredictor.readJpeg(first);

    BufferedImage reused = VideoPredictor.readJpeg(second, into);

    assertThat(reused).isSameAs(into);
    assertThat(pixels(reused)).containsExactly(pixels(VideoPredictor.readJpeg(second)));
    assertThat(pixels(reused)).isNotEqualTo(pixels(VideoPredictor.readJpeg(first)));
  }

  @Test
  void aTruncatedFrameDecodedIntoTheLastOneKeepsNothingOfIt() throws IOException {
    BufferedImage previous = random(BufferedImage.TYPE_3BYTE_BGR, 64, 48, 6);
    byte[] whole = jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 48, 7), "jpg");
    for (int cut : new int[] {whole.length / 2, whole.length / 4, 700}) {
      byte[] truncated = Arrays.copyOf(whole, cut);
      BufferedImage into = VideoPredictor.readJpeg(jpeg(previous, "jpg"));

      BufferedImage reused = VideoPredictor.readJpeg(truncated, into);

      // libjpeg fills what is missing: the stale frame must not show through
      assertThat(pixels(reused))
          .as("cut at %d of %d bytes", cut, whole.length)
          .containsExactly(pixels(VideoPredictor.readJpeg(truncated)));
    }
  }

  @Test
  void anImageOfAnotherSizeOrTypeIsLeftAloneAndANewOneReturned() throws IOException {
    BufferedImage into =
        VideoPredictor.readJpeg(jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36, 1), "jpg"));
    byte[] before = pixels(into).clone();
    byte[] larger = jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 80, 36, 3), "jpg");
    byte[] grey = jpeg(random(BufferedImage.TYPE_BYTE_GRAY, 64, 36, 4), "jpg");

    BufferedImage other = VideoPredictor.readJpeg(larger, into);
    BufferedImage greyImage = VideoPredictor.readJpeg(grey, into);

    assertThat(other).isNotSameAs(into);
    assertThat(other.getWidth()).isEqualTo(80);
    assertThat(greyImage).isNotSameAs(into);
    assertThat(greyImage.getType()).isEqualTo(VideoPredictor.readJpeg(grey).getType());
    assertThat(pixels(into)).containsExactly(before);
  }

  @Test
  void otherPicturesAndGarbageReadAsWithoutAnImageToReuse() throws IOException {
    BufferedImage into =
        VideoPredictor.readJpeg(jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36, 1), "jpg"));
    BufferedImage png =
        VideoPredictor.readJpeg(jpeg(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36, 5), "png"), into);

    assertThat(png).isNotNull().isNotSameAs(into);
    assertThat(VideoPredictor.readJpeg(new byte[] {1, 2, 3, 4}, into)).isNull();
    assertThat(VideoPredictor.readJpeg(new byte[0], into)).isNull();
  }

  private static byte[] pixels(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }

  private static byte[] jpeg(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

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
}
