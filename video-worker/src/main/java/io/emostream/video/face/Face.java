package io.emostream.video.face;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One detected face, in the pixel coordinates of the image it was detected in.
 *
 * <p>In: the box's top-left corner, size and detector score, plus YuNet's five landmarks as {@code
 * x0,y0 .. x4,y4} (right eye, left eye, nose tip, right mouth corner, left mouth corner). The box
 * is not clipped to the image. The landmark array is copied in and out, so a {@code Face} is
 * immutable.
 *
 * @param x top-left x of the box
 * @param y top-left y of the box
 * @param width box width
 * @param height box height
 * @param score detector confidence in [0, 1]
 * @param landmarks 10 floats: five (x, y) points
 */
public record Face(float x, float y, float width, float height, float score, float[] landmarks) {

  /** Number of floats in {@link #landmarks()}: five (x, y) points. */
  public static final int LANDMARK_FLOATS = 10;

  public Face {
    if (landmarks == null || landmarks.length != LANDMARK_FLOATS) {
      throw new IllegalArgumentException(
          "landmarks must hold 10 floats (5 x,y points), got "
              + (landmarks == null ? "null" : landmarks.length));
    }
    landmarks = landmarks.clone();
  }

  /** Returns a copy of the 10 landmark coordinates. */
  @Override
  public float[] landmarks() {
    return landmarks.clone();
  }

  /** Box area in square pixels. */
  public float area() {
    return width * height;
  }

  /** Box centre x. */
  public float centerX() {
    return x + width / 2f;
  }

  /** Box centre y. */
  public float centerY() {
    return y + height / 2f;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Face f
        && Float.compare(x, f.x) == 0
        && Float.compare(y, f.y) == 0
        && Float.compare(width, f.width) == 0
        && Float.compare(height, f.height) == 0
        && Float.compare(score, f.score) == 0
        && Arrays.equals(landmarks, f.landmarks);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(x, y, width, height, score) + Arrays.hashCode(landmarks);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "Face[x=%.1f, y=%.1f, w=%.1f, h=%.1f, score=%.3f, landmarks=%s]",
        x,
        y,
        width,
        height,
        score,
        Arrays.toString(landmarks));
  }
}
