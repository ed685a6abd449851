package io.emostream.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_isSupportedInput;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Turns a decoded picture ingest keeps into the JPEG it publishes. The grabber hands over pictures
 * in the decoder's own pixel format (JavaCV's RAW image mode), so the frames that are not kept are
 * never converted; a kept one goes through FFmpeg's swscale once, from that format straight to BGR
 * at the published size (the long side fitted to EMOSTREAM_MAX_FRAME_SIDE), is turned upright on
 * those bytes ({@link FrameRotation}) and JPEG-encoded by ImageIO from a BGR image wrapping them
 * (no Java2D drawing). One per demux pass, not thread-safe; {@link #close} frees the scaler.
 */
final class FrameEncoder implements AutoCloseable {

  /** Row alignment of the scaled picture: swscale's SIMD paths want 64-byte aligned rows. */
  private static final int ALIGN = 64;

  /**
   * swscale's packed-BGR writers fill whole blocks of pixels (16 seen), so a row may be written up
   * to a block past its width: each row's stride holds a whole number of 64-pixel blocks.
   */
  private static final int BLOCK_PIXELS = 64;

  private final int maxSide;
  private final ImageWriter writer;
  private final ImageWriteParam param;
  private SwsContext scaler;
  private BytePointer scaled;
  private PointerPointer<BytePointer> scaledPlanes;
  private IntPointer scaledStride;
  private int scaledCapacity;

  FrameEncoder(int maxSide, float quality) {
    this.maxSide = maxSide;
    this.writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    this.param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(quality);
  }

  /**
   * {@code picture} (any pixel format FFmpeg decodes to) scaled to fit {@code maxSide}, turned by
   * {@code rotation}, as a JPEG.
   */
  DemuxedClip.SampledFrame encode(AVFrame picture, FrameRotation rotation, long timestampMs) {
    int[] size = fittedSize(picture.width(), picture.height(), maxSide);
    byte[] bgr = scale(picture, size[0], size[1]);
    int width = size[0];
    int height = size[1];
    if (rotation != FrameRotation.NONE) {
      bgr = rotation.apply(bgr, width, height);
      if (rotation != FrameRotation.HALF_TURN) {
        width = size[1];
        height = size[0];
      }
    }
    return new DemuxedClip.SampledFrame(
        timestampMs, width, height, jpeg(bgrImage(bgr, width, height)));
  }

  /**
   * The size a {@code width x height} picture is published at: scaled down (never up) so that its
   * longer side is at most {@code maxSide}, each side rounded and at least 1.
   */
  static int[] fittedSize(int width, int height, int maxSide) {
    double scale = Math.min(1.0, (double) maxSide / Math.max(width, height));
    return new int[] {
      Math.max(1, (int) Math.round(width * scale)), Math.max(1, (int) Math.round(height * scale))
    };
  }

  /** BGR bytes, 3 per pixel, rows packed, of {@code picture} scaled to {@code w x h}. */
  private byte[] scale(AVFrame picture, int w, int h) {
    // swscale asserts (aborts the process) on a format it cannot read, so ask first.
    if (sws_isSupportedInput(picture.format()) == 0) {
      throw new IngestException(
          "FFmpeg cannot convert a "
              + picture.width()
              + "x"
              + picture.height()
              + " picture of pixel format "
              + picture.format()
              + " to BGR");
    }
    scaler =
        sws_getCachedContext(
            scaler,
            picture.width(),
            picture.height(),
            picture.format(),
            w,
            h,
            AV_PIX_FMT_BGR24,
            SWS_BILINEAR,
            null,
            null,
            (DoublePointer) null);
    if (scaler == null) {
      throw new IngestException(
          "FFmpeg's scaler could not be set up for a picture of pixel format " + picture.format());
    }
    int row = w * 3;
    int stride = stride(w);
    ensureCapacity(bufferBytes(w, h));
    scaledStride.put(0, stride);
    sws_scale(
        scaler,
        new PointerPointer<>(picture),
        picture.linesize(),
        0,
        picture.height(),
        scaledPlanes,
        scaledStride);
    byte[] bgr = new byte[row * h];
    BytePointer reader = new BytePointer(scaled);
    for (int y = 0; y < h; y++) {
      reader.position((long) y * stride).get(bgr, y * row, row);
    }
    return bgr;
  }

  /**
   * Bytes from one scaled row to the next: room for the row rounded up to whole blocks of {@link
   * #BLOCK_PIXELS}, 64-byte aligned. A stride of the row's width alone let a 360 or 426 px wide
   * picture's last row run 16 bytes past the buffer, corrupting the native heap (glibc then aborted
   * the whole process).
   */
  static int stride(int width) {
    int blocks = (width + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
    return blocks * BLOCK_PIXELS * 3; // 192 bytes a block: a multiple of ALIGN
  }

  /** The scaled picture's buffer: {@code height} strides and one more row of slack. */
  static int bufferBytes(int width, int height) {
    return Math.multiplyExact(stride(width), height + 1);
  }

  private void ensureCapacity(int bytes) {
    if (scaled != null && scaledCapacity >= bytes) {
      return;
    }
    if (scaled != null) {
      av_free(scaled);
    }
    scaled = new BytePointer(av_malloc(bytes)).capacity(bytes);
    if (scaled.isNull()) {
      throw new OutOfMemoryError("FFmpeg could not allocate " + bytes + " bytes for a frame");
    }
    scaledCapacity = bytes;
    scaledPlanes = new PointerPointer<>(1);
    scaledPlanes.put(0, scaled);
    if (scaledStride == null) {
      scaledStride = new IntPointer(1);
    }
  }

  /** A BGR image over {@code bgr} itself (ImageIO reads it as {@code TYPE_3BYTE_BGR}). */
  static BufferedImage bgrImage(byte[] bgr, int width, int height) {
    WritableRaster raster =
        Raster.createInterleavedRaster(
            new DataBufferByte(bgr, bgr.length),
            width,
            height,
            width * 3,
            3,
            new int[] {2, 1, 0},
            null);
    ComponentColorModel colors =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_BYTE);
    return new BufferedImage(colors, raster, false, null);
  }

  private byte[] jpeg(BufferedImage image) {
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * 64);
        MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.setOutput(null);
    }
  }

  @Override
  public void close() {
    writer.dispose();
    if (scaler != null) {
      sws_freeContext(scaler);
      scaler = null;
    }
    if (scaled != null) {
      av_free(scaled);
      scaled = null;
    }
  }
}
