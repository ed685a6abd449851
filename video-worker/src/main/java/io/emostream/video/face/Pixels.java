package io.emostream.video.face;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;

/**
 * Reads a rectangle of a {@link BufferedImage} as packed {@code 0xRRGGBB} ints (alpha dropped).
 *
 * <p>Decoded video frames are usually {@code TYPE_3BYTE_BGR} and read straight from their byte
 * buffer here, because {@link BufferedImage#getRGB(int, int, int, int, int[], int, int)} goes
 * through the colour model per pixel and costs about 60 ms on a 3-megapixel frame. Other layouts
 * fall back to {@code getRGB}. {@link #byteLayout} gives the byte path's layout to a caller that
 * reads the samples itself (YuNet's input packing), so that the sub-image offsets are worked out in
 * one place.
 */
final class Pixels {

  private Pixels() {}

  /** Pixels of the rectangle at {@code (x, y)} of size {@code w x h}, row-major. */
  static int[] rgb(BufferedImage image, int x, int y, int w, int h) {
    int type = image.getType();
    Raster raster = image.getRaster();
    ByteLayout bytes = byteLayout(image);
    if (bytes != null) {
      return fromBytes(bytes, x, y, w, h);
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

  /**
   * A {@code size x size} {@code TYPE_INT_RGB} image holding {@code rgb} ({@code 0xRRGGBB},
   * row-major) as its own pixel array: what {@code setRGB} stores, without converting every pixel
   * through the colour model.
   */
  static BufferedImage image(int[] rgb, int size) {
    DirectColorModel model = new DirectColorModel(24, 0xFF0000, 0xFF00, 0xFF);
    WritableRaster raster =
        Raster.createPackedRaster(
            new DataBufferInt(rgb, rgb.length), size, size, size, model.getMasks(), null);
    return new BufferedImage(model, raster, false, null);
  }

  /** All pixels of the image. */
  static int[] rgb(BufferedImage image) {
    return rgb(image, 0, 0, image.getWidth(), image.getHeight());
  }

  /**
   * Where the samples of a {@code TYPE_3BYTE_BGR} or {@code TYPE_4BYTE_ABGR} image lie in its byte
   * array (what ImageIO decodes a JPEG into), so that a caller can read them without going through
   * packed ints; null for any other layout.
   */
  static ByteLayout byteLayout(BufferedImage image) {
    int type = image.getType();
    Raster raster = image.getRaster();
    if ((type == BufferedImage.TYPE_3BYTE_BGR || type == BufferedImage.TYPE_4BYTE_ABGR)
        && raster.getDataBuffer() instanceof DataBufferByte buffer
        && raster.getSampleModel() instanceof ComponentSampleModel model) {
      int stride = model.getScanlineStride();
      int step = model.getPixelStride();
      int[] bands = model.getBandOffsets();
      int origin =
          buffer.getOffset()
              - raster.getSampleModelTranslateY() * stride
              - raster.getSampleModelTranslateX() * step;
      return new ByteLayout(buffer.getData(), origin, stride, step, bands[0], bands[1], bands[2]);
    }
    return null;
  }

  /**
   * An image's bytes: pixel {@code (x, y)} starts at {@link #index}, its red, green and blue
   * samples lie {@code red}, {@code green} and {@code blue} bytes after that (a sub-image's origin
   * included).
   */
  record ByteLayout(
      byte[] data, int origin, int rowStride, int pixelStride, int red, int green, int blue) {

    int index(int x, int y) {
      return origin + y * rowStride + x * pixelStride;
    }
  }

  private static int[] fromBytes(ByteLayout bytes, int x, int y, int w, int h) {
    byte[] data = bytes.data();
    int step = bytes.pixelStride();
    int red = bytes.red();
    int green = bytes.green();
    int blue = bytes.blue();
    int[] out = new int[w * h];
    for (int row = 0; row < h; row++) {
      int p = bytes.index(x, y + row);
      for (int col = 0; col < w; col++, p += step) {
        out[row * w + col] =
            (data[p + red] & 0xFF) << 16 | (data[p + green] & 0xFF) << 8 | (data[p + blue] & 0xFF);
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
