package io.emostream.ingest;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * How a decoded frame must be turned to be seen upright, from the stream's display matrix (a
 * phone's portrait video is stored landscape with a matrix, or an MP4 {@code rotate} tag, saying
 * so). FFmpeg's own players and {@code ffmpeg} apply it ({@code autorotate}); JavaCV's grabber does
 * not, so the demuxer turns each sampled frame before it is encoded. Only quarter turns are applied
 * (what cameras write); another angle is rounded to the nearest one.
 */
enum FrameRotation {
  NONE,
  CLOCKWISE_90,
  HALF_TURN,
  COUNTER_CLOCKWISE_90;

  /**
   * From FFmpeg's {@code av_display_rotation_get} angle (what JavaCV's {@code getDisplayRotation()}
   * returns): the matrix turns the frame counter-clockwise by that many degrees, so it is shown
   * turned clockwise by its negation (as {@code ffmpeg}'s {@code get_rotation} does). NaN (no
   * matrix) is {@link #NONE}.
   */
  static FrameRotation of(double displayRotationDegrees) {
    if (Double.isNaN(displayRotationDegrees) || Double.isInfinite(displayRotationDegrees)) {
      return NONE;
    }
    long quarterTurns = Math.round(-displayRotationDegrees / 90.0);
    return values()[(int) Math.floorMod(quarterTurns, 4L)];
  }

  /** {@code image} turned upright (the same image for {@link #NONE}). */
  BufferedImage apply(BufferedImage image) {
    if (this == NONE) {
      return image;
    }
    BufferedImage src = image.getType() == BufferedImage.TYPE_INT_RGB ? image : copy(image);
    int w = src.getWidth();
    int h = src.getHeight();
    boolean swaps = this != HALF_TURN;
    BufferedImage out = new BufferedImage(swaps ? h : w, swaps ? w : h, BufferedImage.TYPE_INT_RGB);
    int[] in = ((DataBufferInt) src.getRaster().getDataBuffer()).getData();
    int[] to = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    int ow = out.getWidth();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = in[y * w + x];
        switch (this) {
          case CLOCKWISE_90 -> to[x * ow + (h - 1 - y)] = p;
          case HALF_TURN -> to[(h - 1 - y) * ow + (w - 1 - x)] = p;
          default -> to[(w - 1 - x) * ow + y] = p;
        }
      }
    }
    return out;
  }

  private static BufferedImage copy(BufferedImage image) {
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(image, 0, 0, null);
    return rgb;
  }
}
