package io.emostream.video.face;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Reads a rectangle of a {@link BufferedImage} as packed {@code 0xRRGGBB} ints (alpha dropped).
 *
 * <p>Decoded video frames are usually {@code TYPE_3BYTE_BGR} and read straight from their byte
 * buffer here, because {@link BufferedImage#getRGB(int, int, int, int, int[], int, int)} goes
 * through the colour model per pixel and costs about 60 ms on a 3-megapixel frame. Other layouts
 * fall back to {@code getRGB}.
 */
final class Pixels {

  private Pixels() {}

  /** Pixels of the rectangle at {@code (x, y)} of size {@code w x h}, row-major. */
  static int[] rgb(BufferedImage image, int x, int y, int w, int h) {
    int type = image.getType();
    Raster raster = image.getRaster();
    if ((type == BufferedImage.TYPE_3BYTE_BGR || type == BufferedImage.TYPE_4BYTE_ABGR)
        && raster.getDataBuffer() instanceof DataBufferByte bytes
        && raster.getSampleModel() instanceof ComponentSampleModel model) {
      return fromBytes(raster, bytes, model, x, y, w, h);
    }
    if ((type == BufferedImage.TYPE_INT_RGB || type == BufferedImage.TYPE_INT_ARGB)
        && raster.getDataBuffer() instanceof DataBufferInt ints) {
      return fromInts(raster, ints, x, y, w, h);
    }
    int[] argb = image.getRGB(x, y, w, h, null, 0, w);
    for (int i = 0; i < argb.length; i++) {
      argb[i] &= 0xFFFFFF;
    }
    return argb;
  }

  /** All pixels of the image. */
  static int[] rgb(BufferedImage image) {
    return rgb(image, 0, 0, image.getWidth(), image.getHeight());
  }

  private static int[] fromBytes(
      Raster raster,
      DataBufferByte buffer,
      ComponentSampleModel model,
      int x,
      int y,
      int w,
      int h) {
    byte[] data = buffer.getData();
    int stride = model.getScanlineStride();
    int step = model.getPixelStride();
    int[] bands = model.getBandOffsets();
    int base =
        buffer.getOffset()
            - raster.getSampleModelTranslateY() * stride
            - raster.getSampleModelTranslateX() * step;
    int[] out = new int[w * h];
    for (int row = 0; row < h; row++) {
      int p = base + (y + row) * stride + x * step;
      for (int col = 0; col < w; col++, p += step) {
        out[row * w + col] =
            (data[p + bands[0]] & 0xFF) << 16
                | (data[p + bands[1]] & 0xFF) << 8
                | (data[p + bands[2]] & 0xFF);
      }
    }
    return out;
  }

  private static int[] fromInts(Raster raster, DataBufferInt buffer, int x, int y, int w, int h) {
    int[] data = buffer.getData();
    int stride = ((SinglePixelPackedSampleModel) raster.getSampleModel()).getScanlineStride();
    int base =
        buffer.getOffset()
            - raster.getSampleModelTranslateY() * stride
            - raster.getSampleModelTranslateX();
    int[] out = new int[w * h];
    for (int row = 0; row < h; row++) {
      int p = base + (y + row) * stride + x;
      for (int col = 0; col < w; col++) {
        out[row * w + col] = data[p + col] & 0xFFFFFF;
      }
    }
    return out;
  }
}
