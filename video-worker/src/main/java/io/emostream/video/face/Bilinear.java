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
   * Like {@link #sample} but for any coordinates: neighbours outside the image count as 0, as
   * OpenCV's {@code warpAffine} does with its default constant border.
   */
  static float sampleZeroBorder(int[] argb, int w, int h, float x, float y, int shift) {
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    float fx = x - x0;
    float fy = y - y0;
    float top = lerp(at(argb, w, h, x0, y0, shift), at(argb, w, h, x0 + 1, y0, shift), fx);
    float bottom =
        lerp(at(argb, w, h, x0, y0 + 1, shift), at(argb, w, h, x0 + 1, y0 + 1, shift), fx);
    return lerp(top, bottom, fy);
  }

  private static float at(int[] argb, int w, int h, int x, int y, int shift) {
    return x < 0 || y < 0 || x >= w || y >= h ? 0f : channel(argb[y * w + x], shift);
  }

  private static float channel(int pixel, int shift) {
    return (pixel >>> shift) & 0xFF;
  }

  private static float lerp(float a, float b, float t) {
    return a + (b - a) * t;
  }
}
