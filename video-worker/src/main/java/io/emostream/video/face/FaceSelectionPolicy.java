package io.emostream.video.face;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Picks the one face of a frame whose expression is classified ("detect the most relevant face in
 * the frame and crop it").
 *
 * <p>In: the detector's faces (sorted by score, highest first) and the frame size. Out: the chosen
 * face, or empty when the list is empty. Ties keep the earlier face, i.e. the more confident one.
 */
public enum FaceSelectionPolicy {

  /** The face with the largest box area (the default: the person closest to the camera). */
  LARGEST {
    @Override
    Comparator<Face> preference(int imageWidth, int imageHeight) {
      return Comparator.comparingDouble(Face::area);
    }
  },

  /** The face with the highest detector score. */
  MOST_CONFIDENT {
    @Override
    Comparator<Face> preference(int imageWidth, int imageHeight) {
      return Comparator.comparingDouble(Face::score);
    }
  },

  /** The face whose box centre is closest to the frame centre. */
  CENTRAL {
    @Override
    Comparator<Face> preference(int imageWidth, int imageHeight) {
      double cx = imageWidth / 2.0;
      double cy = imageHeight / 2.0;
      return Comparator.comparingDouble((Face f) -> Math.hypot(f.centerX() - cx, f.centerY() - cy))
          .reversed();
    }
  };

  /** The policy used when none is configured. */
  public static final FaceSelectionPolicy DEFAULT = LARGEST;

  /** Orders faces so that the preferred one compares greatest. */
  abstract Comparator<Face> preference(int imageWidth, int imageHeight);

  /**
   * Selects the most relevant face.
   *
   * @param faces detected faces, may be empty
   * @param imageWidth frame width in pixels
   * @param imageHeight frame height in pixels
   * @return the selected face, or empty if {@code faces} is empty
   */
  public Optional<Face> select(List<Face> faces, int imageWidth, int imageHeight) {
    Comparator<Face> preference = preference(imageWidth, imageHeight);
    Face best = null;
    for (Face face : faces) {
      if (best == null || preference.compare(face, best) > 0) {
        best = face;
      }
    }
    return Optional.ofNullable(best);
  }
}
