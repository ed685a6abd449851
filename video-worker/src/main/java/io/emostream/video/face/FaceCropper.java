package io.emostream.video.face;

import io.emostream.inference.ModelManifest;
import java.awt.image.BufferedImage;

/**
 * Cuts the face the expression model sees out of a frame, as its manifest says ({@link
 * ModelManifest.FaceInput}): ALIGNED warps the five landmarks onto the reference layout ({@link
 * FaceAligner}); BOX takes the detector's box as it is and resizes it to {@code size x size}
 * (bilinear, pixel centres aligned as in OpenCV's {@code resize}, edges replicated; parts of the
 * box outside the frame are black), which is how box-crop models such as mini-XCEPTION were
 * trained. Pure functions.
 */
public final class FaceCropper {

  private FaceCropper() {}

  /** The {@code size x size} RGB face for the model. */
  public static BufferedImage crop(BufferedImage frame, Face face, ModelManifest.FaceInput input) {
    return switch (input.crop()) {
      case ALIGNED -> FaceAligner.align(frame, face.landmarks(), input.size());
      case BOX -> box(frame, face.x(), face.y(), face.width(), face.height(), input.size());
    };
  }

  /** The box {@code (x, y, w, h)} of the frame resized to {@code size x size}. */
  static BufferedImage box(BufferedImage frame, float x, float y, float w, float h, int size) {
    if (!(w > 0 && h > 0)) {
      throw new IllegalArgumentException("face box must have a positive size, got " + w + "x" + h);
    }
    int x0 = (int) Math.max(0, Math.floor(x));
    int y0 = (int) Math.max(0, Math.floor(y));
    int x1 = (int) Math.min(frame.getWidth(), Math.ceil(x + w) + 1);
    int y1 = (int) Math.min(frame.getHeight(), Math.ceil(y + h) + 1);
    int[] dst = new int[size * size];
    if (x1 > x0 && y1 > y0) {
      int rw = x1 - x0;
      int rh = y1 - y0;
      int[] src = Pixels.rgb(frame, x0, y0, rw, rh);
      float sxScale = w / size;
      float syScale = h / size;
      for (int dy = 0; dy < size; dy++) {
        float ay = y + (dy + 0.5f) * syScale - 0.5f;
        for (int dx = 0; dx < size; dx++) {
          float ax = x + (dx + 0.5f) * sxScale - 0.5f;
          if (ax < -0.5f
              || ay < -0.5f
              || ax > frame.getWidth() - 0.5f
              || ay > frame.getHeight() - 0.5f) {
            continue;
          }
          float sx = clamp(ax - x0, rw - 1);
          float sy = clamp(ay - y0, rh - 1);
          dst[dy * size + dx] = Bilinear.sampleRgb(src, rw, rh, sx, sy);
        }
      }
    }
    return Pixels.image(dst, size);
  }

  private static float clamp(float v, float hi) {
    return Math.max(0f, Math.min(hi, v));
  }
}
