package io.emostream.video.face;

import java.awt.image.BufferedImage;

/**
 * Aligns a face for the MobileFaceNet expression model.
 *
 * <p>In: a frame and a face's five YuNet landmarks in that frame's pixels. Out: a 112x112 RGB image
 * in which those landmarks land, in the least-squares sense, on the model's reference points
 * ({@link #REFERENCE_112}). The warp is a 4-degree-of-freedom similarity (scale, rotation,
 * translation) fitted as Umeyama does, sampled bilinearly; pixels that fall outside the frame are
 * black, as with OpenCV's {@code warpAffine}. Pure functions, no state.
 */
public final class FaceAligner {

  /** Output side in pixels. */
  public static final int SIZE = 112;

  /**
   * Reference landmarks in the 112x112 output: right eye, left eye, nose tip, right and left mouth
   * corner, in YuNet's order (OpenCV Zoo facial_expression_recognition).
   */
  static final float[] REFERENCE_112 = {
    38.2946f, 51.6963f,
    73.5318f, 51.5014f,
    56.0252f, 71.7366f,
    41.5493f, 92.3655f,
    70.7299f, 92.2041f,
  };

  private FaceAligner() {}

  /**
   * Warps the face to the 112x112 reference layout.
   *
   * @param img the frame the landmarks were detected in
   * @param landmarks 10 floats {@code x0,y0 .. x4,y4} in YuNet's order
   * @return a new 112x112 {@link BufferedImage#TYPE_INT_RGB} image
   */
  public static BufferedImage align(BufferedImage img, float[] landmarks) {
    return align(img, landmarks, SIZE);
  }

  /**
   * Warps the face to the reference layout scaled to a {@code size x size} output (the 112
   * reference points times {@code size / 112}).
   *
   * @param img the frame the landmarks were detected in
   * @param landmarks 10 floats {@code x0,y0 .. x4,y4} in YuNet's order
   * @param size output side in pixels
   * @return a new {@code size x size} {@link BufferedImage#TYPE_INT_RGB} image
   */
  public static BufferedImage align(BufferedImage img, float[] landmarks, int size) {
    float[] reference = REFERENCE_112.clone();
    for (int i = 0; i < reference.length; i++) {
      reference[i] *= size / (float) SIZE;
    }
    double[] inverse = invert(similarityTransform(landmarks, reference));
    int[] region = sourceRegion(inverse, img.getWidth(), img.getHeight(), size);
    int[] dst = new int[size * size];
    if (region[2] > 0 && region[3] > 0) {
      int[] src = Pixels.rgb(img, region[0], region[1], region[2], region[3]);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          float sx = (float) (inverse[0] * x + inverse[1] * y + inverse[2] - region[0]);
          float sy = (float) (inverse[3] * x + inverse[4] * y + inverse[5] - region[1]);
          dst[y * size + x] = Bilinear.sampleRgbZeroBorder(src, region[2], region[3], sx, sy);
        }
      }
    }
    return Pixels.image(dst, size);
  }

  /**
   * The part of the frame the output samples, as {@code {x, y, w, h}} clipped to the frame (w or h
   * is 0 when the face lies wholly outside): only it is read, not a whole high-resolution frame.
   */
  static int[] sourceRegion(double[] inverse, int width, int height) {
    return sourceRegion(inverse, width, height, SIZE);
  }

  static int[] sourceRegion(double[] inverse, int width, int height, int size) {
    double minX = Double.POSITIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (int corner = 0; corner < 4; corner++) {
      int x = (corner & 1) * (size - 1);
      int y = (corner >> 1) * (size - 1);
      double sx = inverse[0] * x + inverse[1] * y + inverse[2];
      double sy = inverse[3] * x + inverse[4] * y + inverse[5];
      minX = Math.min(minX, sx);
      minY = Math.min(minY, sy);
      maxX = Math.max(maxX, sx);
      maxY = Math.max(maxY, sy);
    }
    int x0 = (int) Math.max(0, Math.floor(minX) - 1);
    int y0 = (int) Math.max(0, Math.floor(minY) - 1);
    int x1 = (int) Math.min(width, Math.ceil(maxX) + 2);
    int y1 = (int) Math.min(height, Math.ceil(maxY) + 2);
    return new int[] {x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)};
  }

  /**
   * Least-squares similarity transform taking the points {@code src} onto {@code dst}.
   *
   * <p>With centred points, {@code a = sum(xs*xd + ys*yd) / sum(xs^2 + ys^2)} and {@code b =
   * sum(xs*yd - ys*xd) / sum(xs^2 + ys^2)}; this is Umeyama's solution restricted to proper
   * rotations.
   *
   * @param src points {@code x0,y0,x1,y1,..}, at least two distinct points
   * @param dst as many target points
   * @return the 2x3 matrix row-major {@code {a, -b, tx, b, a, ty}}: {@code dst ~ [a -b; b a] * src
   *     + t}
   */
  public static double[] similarityTransform(float[] src, float[] dst) {
    if (src.length != dst.length || src.length < 4 || src.length % 2 != 0) {
      throw new IllegalArgumentException(
          "need the same even number (>= 4) of src and dst coordinates, got "
              + src.length
              + " and "
              + dst.length);
    }
    int n = src.length / 2;
    double[] ms = mean(src);
    double[] md = mean(dst);
    double norm = 0;
    double sumA = 0;
    double sumB = 0;
    for (int i = 0; i < n; i++) {
      double xs = src[2 * i] - ms[0];
      double ys = src[2 * i + 1] - ms[1];
      double xd = dst[2 * i] - md[0];
      double yd = dst[2 * i + 1] - md[1];
      norm += xs * xs + ys * ys;
      sumA += xs * xd + ys * yd;
      sumB += xs * yd - ys * xd;
    }
    if (norm == 0) {
      throw new IllegalArgumentException("source points all coincide");
    }
    double a = sumA / norm;
    double b = sumB / norm;
    double tx = md[0] - (a * ms[0] - b * ms[1]);
    double ty = md[1] - (b * ms[0] + a * ms[1]);
    return new double[] {a, -b, tx, b, a, ty};
  }

  /** Inverse of a 2x3 affine matrix given row-major as {@code {m00, m01, m02, m10, m11, m12}}. */
  static double[] invert(double[] m) {
    double det = m[0] * m[4] - m[1] * m[3];
    if (det == 0) {
      throw new IllegalArgumentException("singular transform");
    }
    double i00 = m[4] / det;
    double i01 = -m[1] / det;
    double i10 = -m[3] / det;
    double i11 = m[0] / det;
    return new double[] {
      i00, i01, -(i00 * m[2] + i01 * m[5]),
      i10, i11, -(i10 * m[2] + i11 * m[5]),
    };
  }

  private static double[] mean(float[] points) {
    double x = 0;
    double y = 0;
    int n = points.length / 2;
    for (int i = 0; i < n; i++) {
      x += points[2 * i];
      y += points[2 * i + 1];
    }
    return new double[] {x / n, y / n};
  }
}
