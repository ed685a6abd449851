package io.emostream.video.face;

/**
 * Bilinear sampling of one 8-bit channel of packed ARGB pixels; shared by the detector's resize and
 * the aligner's warp. Coordinates are in pixels, pixel (0, 0) centred at (0, 0); the caller keeps
 * them inside {@code [0, w-1] x [0, h-1]}.
 */
final class Bilinear {

  private Bilinear() {}

  /**
   * @param argb packed pixels, row-major, {@code w * h} of them
   * @param shift 0 for blue, 8 for green, 16 for red
   * @return the interpolated channel value, 0-255
   */
  static float sample(int[] argb, int w, int h, float x, float y, int shift) {
    int x0 = (int) x;
    int y0 = (int) y;
    int x1 = Math.min(x0 + 1, w - 1);
    int y1 = Math.min(y0 + 1, h - 1);
    float fx = x - x0;
    float fy = y - y0;
    float top = lerp(channel(argb[y0 * w + x0], shift), channel(argb[y0 * w + x1], shift), fx);
    float bottom = lerp(channel(argb[y1 * w + x0], shift), channel(argb[y1 * w + x1], shift), fx);
    return lerp(top, bottom, fy);
  }

  /**
   * {@link #sample} of all three channels at once, each rounded to the nearest integer, packed
   * {@code 0xRRGGBB}: the same arithmetic per channel, the four neighbours read once.
   */
  static int sampleRgb(int[] argb, int w, int h, float x, float y) {
    int x0 = (int) x;
    int y0 = (int) y;
    int x1 = Math.min(x0 + 1, w - 1);
    int y1 = Math.min(y0 + 1, h - 1);
    return blend(
        argb[y0 * w + x0], argb[y0 * w + x1], argb[y1 * w + x0], argb[y1 * w + x1], x - x0, y - y0);
  }

  /**
   * As {@link #sampleRgb} for any coordinates: neighbours outside the image count as 0, as OpenCV's
   * {@code warpAffine} does with its default constant border.
   */
  static int sampleRgbZeroBorder(int[] argb, int w, int h, float x, float y) {
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    return blend(
        pixel(argb, w, h, x0, y0),
        pixel(argb, w, h, x0 + 1, y0),
        pixel(argb, w, h, x0, y0 + 1),
        pixel(argb, w, h, x0 + 1, y0 + 1),
        x - x0,
        y - y0);
  }

  private static int blend(int p00, int p01, int p10, int p11, float fx, float fy) {
    int out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
      float top = lerp(channel(p00, shift), channel(p01, shift), fx);
      float bottom = lerp(channel(p10, shift), channel(p11, shift), fx);
      out |= Math.round(lerp(top, bottom, fy)) << shift;
    }
    return out;
  }

  /** The pixel at (x, y), or 0 (black) outside the image. */
  private static int pixel(int[] argb, int w, int h, int x, int y) {
    return x < 0 || y < 0 || x >= w || y >= h ? 0 : argb[y * w + x];
  }

  private static float channel(int pixel, int shift) {
    return (pixel >>> shift) & 0xFF;
  }

  private static float lerp(float a, float b, float t) {
    return a + (b - a) * t;
  }
}
