package io.emostream.ingest;

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

  /**
   * A {@code w x h} picture of packed 3-byte pixels (rows top to bottom, no padding) turned
   * upright: {@code h x w} after a quarter turn. {@link #NONE} returns {@code pixels} itself.
   */
  byte[] apply(byte[] pixels, int w, int h) {
    if (this == NONE) {
      return pixels;
    }
    byte[] to = new byte[pixels.length];
    int ow = this == HALF_TURN ? w : h;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int target =
            switch (this) {
              case CLOCKWISE_90 -> x * ow + (h - 1 - y);
              case HALF_TURN -> (h - 1 - y) * ow + (w - 1 - x);
              default -> (w - 1 - x) * ow + y;
            };
        int from = (y * w + x) * 3;
        to[target * 3] = pixels[from];
        to[target * 3 + 1] = pixels[from + 1];
        to[target * 3 + 2] = pixels[from + 2];
      }
    }
    return to;
  }
}
