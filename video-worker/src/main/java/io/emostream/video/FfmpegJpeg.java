package io.emostream.video;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG;
import static org.bytedeco.ffmpeg.global.avcodec.AV_EF_EXPLODE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_flush_buffers;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_JPEG;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV422P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV440P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV444P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ422P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ440P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ444P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU601;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.WritableRaster;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * JPEG frames decoded by FFmpeg's MJPEG decoder (JavaCPP's FFmpeg build, the one ingest reads media
 * with), converted by swscale into the picture ImageIO's JPEG reader makes of them: a {@code
 * TYPE_3BYTE_BGR} image. On ingest's 640x360 frames it took 0.45 ms per frame where ImageIO took
 * 1.0-4 ms (docs/performance.md), and its pixels differ from ImageIO's by at most one level.
 *
 * <p>It takes only what it decodes cleanly: a YCbCr JPEG that ends with its EOI marker and decodes
 * without an error ({@code AV_EF_EXPLODE}) and without the frame marked corrupt. Anything else
 * (grey or CMYK pictures, other formats, truncated or damaged data, more than {@link #MAX_PIXELS})
 * gives null, and the caller reads it with ImageIO as before, so the pictures that path made, and
 * its errors, stay exactly as they were. A truncated frame is never taken: FFmpeg's frame pool
 * would show the previous frame where the data ran out.
 *
 * <p>One instance per thread (the decoder keeps state between calls); {@link #close} frees the
 * native memory.
 */
final class FfmpegJpeg implements AutoCloseable {

  /** Larger pictures are left to ImageIO, as every picture was before. */
  static final long MAX_PIXELS = 8192L * 8192L;

  /** Converters kept, one per frame size (and format) seen lately. */
  static final int CONVERTERS = 8;

  /** FFmpeg's AV_FRAME_FLAG_CORRUPT (libavutil/frame.h), which the JavaCPP build does not map. */
  private static final int AV_FRAME_FLAG_CORRUPT = 1;

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
  }

  private final AVCodecContext context;
  private final AVPacket packet;
  private final AVFrame frame;
  private final PointerPointer<BytePointer> planes = new PointerPointer<>(4);
  private final IntPointer strides = new IntPointer(4);
  private final IntPointer coefficients = sws_getCoefficients(SWS_CS_ITU601);
  private BytePointer input = new BytePointer(64 * 1024 + AV_INPUT_BUFFER_PADDING_SIZE);
  private BytePointer bgr = new BytePointer(0);

  /** The converters to BGR by size, format and range, least recently used first. */
  private final Map<List<Integer>, SwsContext> converters =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SwsContext> eldest) {
          if (size() > CONVERTERS) {
            sws_freeContext(eldest.getValue());
            return true;
          }
          return false;
        }
      };

  FfmpegJpeg() {
    AVCodec codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
    if (codec == null) {
      throw new IllegalStateException("FFmpeg has no MJPEG decoder");
    }
    context = avcodec_alloc_context3(codec);
    context.thread_count(1);
    context.err_recognition(AV_EF_EXPLODE);
    context.max_pixels(MAX_PIXELS);
    if (avcodec_open2(context, codec, (AVDictionary) null) < 0) {
      avcodec_free_context(context);
      throw new IllegalStateException("cannot open FFmpeg's MJPEG decoder");
    }
    packet = av_packet_alloc();
    frame = av_frame_alloc();
  }

  /**
   * The picture in {@code jpeg}, written into {@code into} when that is a plain {@code
   * TYPE_3BYTE_BGR} image of the picture's size, else into a new one; null when this decoder does
   * not take it (see the class comment).
   */
  BufferedImage decode(byte[] jpeg, BufferedImage into) {
    if (!endsWithEoi(jpeg)) {
      return null;
    }
    if (input.capacity() < jpeg.length + AV_INPUT_BUFFER_PADDING_SIZE) {
      input.close();
      input = new BytePointer((long) jpeg.length * 2 + AV_INPUT_BUFFER_PADDING_SIZE);
    }
    input.position(0).limit(input.capacity()).put(jpeg, 0, jpeg.length);
    // FFmpeg's decoders may read past the end; the padding must be zeros
    Pointer.memset(input.position(jpeg.length), 0, AV_INPUT_BUFFER_PADDING_SIZE);
    packet.data(input.position(0)).size(jpeg.length);
    try {
      if (avcodec_send_packet(context, packet) < 0 || avcodec_receive_frame(context, frame) < 0) {
        avcodec_flush_buffers(context);
        return null;
      }
      if ((frame.flags() & AV_FRAME_FLAG_CORRUPT) != 0 || frame.decode_error_flags() != 0) {
        return null;
      }
      int source = planarYuv(frame.format());
      if (source < 0) {
        return null;
      }
      return toBgr(source, into);
    } finally {
      av_frame_unref(frame);
      packet.data(null).size(0);
    }
  }

  private BufferedImage toBgr(int source, BufferedImage into) {
    int width = frame.width();
    int height = frame.height();
    // yuvj* formats are full range
    boolean fullRange = frame.color_range() == AVCOL_RANGE_JPEG || frame.format() != source;
    SwsContext sws = converter(width, height, source, fullRange);
    if (sws == null) {
      return null;
    }
    long bytes = (long) width * height * 3;
    if (bgr.capacity() < bytes) {
      bgr.close();
      bgr = new BytePointer(bytes);
    }
    planes.put(0, bgr);
    strides.put(0, width * 3);
    sws_scale(sws, frame.data(), frame.linesize(), 0, height, planes, strides);
    BufferedImage image =
        plainBgr(into, width, height)
            ? into
            : new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    bgr.position(0).get(pixels, 0, pixels.length);
    return image;
  }

  /**
   * The converter of this size, format and range. Making one costs milliseconds, and a worker's
   * clips come from sources of several sizes, so the last {@link #CONVERTERS} are kept.
   */
  private SwsContext converter(int width, int height, int source, boolean fullRange) {
    List<Integer> key = List.of(width, height, source, fullRange ? 1 : 0);
    SwsContext sws = converters.get(key);
    if (sws == null) {
      sws =
          sws_getContext(
              width,
              height,
              source,
              width,
              height,
              AV_PIX_FMT_BGR24,
              SWS_BILINEAR,
              null,
              null,
              (DoublePointer) null);
      if (sws == null) {
        return null;
      }
      sws_setColorspaceDetails(
          sws, coefficients, fullRange ? 1 : 0, coefficients, 1, 0, 1 << 16, 1 << 16);
      converters.put(key, sws);
    }
    return sws;
  }

  /**
   * Whether {@code image} is a {@code TYPE_3BYTE_BGR} picture of this size whose bytes are exactly
   * its rows, B, G, R per pixel, from offset 0 (as {@code new BufferedImage} and ImageIO make it).
   */
  static boolean plainBgr(BufferedImage image, int width, int height) {
    if (image == null
        || image.getType() != BufferedImage.TYPE_3BYTE_BGR
        || image.getWidth() != width
        || image.getHeight() != height) {
      return false;
    }
    WritableRaster raster = image.getRaster();
    return raster.getParent() == null
        && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0
        && raster.getDataBuffer() instanceof DataBufferByte buffer
        && buffer.getNumBanks() == 1
        && buffer.getOffset() == 0
        && buffer.getSize() == width * height * 3
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel model
        && model.getPixelStride() == 3
        && model.getScanlineStride() == width * 3;
  }

  /** The planar YCbCr format swscale reads {@code format} as, or -1 for any other format. */
  private static int planarYuv(int format) {
    if (format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUV420P) {
      return AV_PIX_FMT_YUV420P;
    }
    if (format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUV422P) {
      return AV_PIX_FMT_YUV422P;
    }
    if (format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUV444P) {
      return AV_PIX_FMT_YUV444P;
    }
    if (format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUV440P) {
      return AV_PIX_FMT_YUV440P;
    }
    return -1;
  }

  /** Whether the data ends with JPEG's end-of-image marker (FF D9), trailing zeros allowed. */
  static boolean endsWithEoi(byte[] jpeg) {
    int end = jpeg.length;
    while (end > 0 && jpeg[end - 1] == 0) {
      end--;
    }
    return end >= 4
        && (jpeg[0] & 0xff) == 0xff
        && (jpeg[1] & 0xff) == 0xd8
        && (jpeg[end - 2] & 0xff) == 0xff
        && (jpeg[end - 1] & 0xff) == 0xd9;
  }

  @Override
  public void close() {
    converters.values().forEach(sws -> sws_freeContext(sws));
    converters.clear();
    av_frame_free(frame);
    av_packet_free(packet);
    avcodec_free_context(context);
    input.close();
    bgr.close();
    planes.close();
    strides.close();
  }
}
