package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.junit.jupiter.api.Test;

class FrameEncoderTest {

  @Test
  void theLongSideIsFittedNeverEnlargedAndNoSideVanishes() {
    assertThat(FrameEncoder.fittedSize(1280, 720, 640)).containsExactly(640, 360);
    assertThat(FrameEncoder.fittedSize(720, 1280, 640)).containsExactly(360, 640);
    assertThat(FrameEncoder.fittedSize(320, 240, 640)).containsExactly(320, 240);
    assertThat(FrameEncoder.fittedSize(641, 3, 640)).containsExactly(640, 3);
    assertThat(FrameEncoder.fittedSize(1000, 1, 10)).containsExactly(10, 1);
  }

  /**
   * A 64x48 YUV 4:2:0 picture, bright on its left half and dark on its right, at most 32 px: 32x24,
   * and 24x32 with the bright half on top after a clockwise quarter turn.
   */
  @Test
  void aDecodedPictureIsScaledTurnedAndEncodedStraightFromItsPixelFormat() throws IOException {
    AVFrame picture = halfBright(64, 48);
    try (FrameEncoder encoder = new FrameEncoder(32, 0.9f)) {
      DemuxedClip.SampledFrame plain = encoder.encode(picture, FrameRotation.NONE, 125);
      assertThat(plain.timestampMs()).isEqualTo(125);
      assertThat(plain.width()).isEqualTo(32);
      assertThat(plain.height()).isEqualTo(24);
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(plain.jpeg()));
      assertThat(image.getWidth()).isEqualTo(32);
      assertThat(grey(image, 0, 0, 14, 24)).as("left: bright").isGreaterThan(220);
      assertThat(grey(image, 18, 0, 32, 24)).as("right: dark").isLessThan(30);

      DemuxedClip.SampledFrame turned = encoder.encode(picture, FrameRotation.CLOCKWISE_90, 250);
      assertThat(turned.width()).isEqualTo(24);
      assertThat(turned.height()).isEqualTo(32);
      BufferedImage upright = ImageIO.read(new ByteArrayInputStream(turned.jpeg()));
      assertThat(grey(upright, 0, 0, 24, 14)).as("top: bright").isGreaterThan(220);
      assertThat(grey(upright, 0, 18, 24, 32)).as("bottom: dark").isLessThan(30);
    } finally {
      av_frame_free(picture);
    }
  }

  /**
   * swscale's BGR writers fill whole blocks of pixels, so a row whose width is not a multiple of
   * the block runs past its end: with a buffer of height x (the row rounded to 64 bytes), a 360 or
   * 426 px wide picture (phone portrait video, 240p) was written 16 bytes past it, and glibc
   * aborted the process ({@code malloc(): corrupted top size}). swscale, as FrameEncoder calls it,
   * into a buffer of {@code FrameEncoder.bufferBytes} followed by a canary: nothing past the buffer
   * changes.
   */
  @Test
  void swscaleNeverWritesPastTheBufferFrameEncoderGivesIt() {
    int[][] sizes = {{360, 640}, {426, 240}, {202, 118}, {17, 9}, {368, 640}, {641, 360}, {1, 1}};
    for (int[] size : sizes) {
      int w = size[0];
      int h = size[1];
      AVFrame picture = halfBright(w, h);
      SwsContext scaler =
          sws_getCachedContext(
              null,
              w,
              h,
              AV_PIX_FMT_YUV420P,
              w,
              h,
              AV_PIX_FMT_BGR24,
              SWS_BILINEAR,
              null,
              null,
              (DoublePointer) null);
      int bytes = FrameEncoder.bufferBytes(w, h);
      int canary = 4096;
      BytePointer buffer = new BytePointer(av_malloc(bytes + canary)).capacity(bytes + canary);
      try (PointerPointer<BytePointer> planes = new PointerPointer<>(1);
          IntPointer stride = new IntPointer(1);
          PointerPointer<AVFrame> source = new PointerPointer<>(picture)) {
        for (int i = 0; i < bytes + canary; i++) {
          buffer.put(i, (byte) 0x5A);
        }
        planes.put(0, buffer);
        stride.put(0, FrameEncoder.stride(w));
        sws_scale(scaler, source, picture.linesize(), 0, h, planes, stride);
        assertThat(buffer.get((long) (h - 1) * FrameEncoder.stride(w) + 3L * w - 1))
            .as("%d px: the last pixel written", w)
            .isNotEqualTo((byte) 0x5A);
        for (int i = bytes; i < bytes + canary; i++) {
          assertThat(buffer.get(i))
              .as("%d px wide: byte %d past the buffer", w, i - bytes)
              .isEqualTo((byte) 0x5A);
        }
      } finally {
        av_free(buffer);
        sws_freeContext(scaler);
        av_frame_free(picture);
      }
    }
  }

  /** A portrait phone frame (360x640, not scaled) comes out whole. */
  @Test
  void aPortraitPhoneFrameIsEncodedWhole() throws IOException {
    AVFrame picture = halfBright(360, 640);
    try (FrameEncoder encoder = new FrameEncoder(640, 0.9f)) {
      DemuxedClip.SampledFrame frame = encoder.encode(picture, FrameRotation.NONE, 0);
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(frame.jpeg()));
      assertThat(image.getWidth()).isEqualTo(360);
      assertThat(image.getHeight()).isEqualTo(640);
      assertThat(grey(image, 0, 0, 170, 640)).as("left: bright").isGreaterThan(220);
      assertThat(grey(image, 190, 630, 360, 640)).as("right, last rows: dark").isLessThan(30);
    } finally {
      av_frame_free(picture);
    }
  }

  @Test
  void aPictureSwscaleCannotReadIsAClearError() {
    AVFrame picture = av_frame_alloc();
    picture.format(AV_PIX_FMT_NONE);
    picture.width(16);
    picture.height(16);
    try (FrameEncoder encoder = new FrameEncoder(640, 0.9f)) {
      assertThatThrownBy(() -> encoder.encode(picture, FrameRotation.NONE, 0))
          .isInstanceOf(IngestException.class)
          .hasMessage("FFmpeg cannot convert a 16x16 picture of pixel format -1 to BGR");
    } finally {
      av_frame_free(picture);
    }
  }

  private static AVFrame halfBright(int w, int h) {
    AVFrame picture = av_frame_alloc();
    picture.format(AV_PIX_FMT_YUV420P);
    picture.width(w);
    picture.height(h);
    assertThat(av_frame_get_buffer(picture, 0)).isZero();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        picture.data(0).put((long) y * picture.linesize(0) + x, (byte) (x < w / 2 ? 235 : 16));
      }
    }
    for (int plane = 1; plane <= 2; plane++) {
      for (int y = 0; y < h / 2; y++) {
        for (int x = 0; x < w / 2; x++) {
          picture.data(plane).put((long) y * picture.linesize(plane) + x, (byte) 128);
        }
      }
    }
    return picture;
  }

  private static double grey(BufferedImage image, int x0, int y0, int x1, int y1) {
    double sum = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int rgb = image.getRGB(x, y);
        sum += (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / 3.0;
      }
    }
    return sum / ((x1 - x0) * (y1 - y0));
  }
}
