package io.emostream.video.face;

import java.awt.image.BufferedImage;
import java.util.Optional;

/**
 * Which face each frame of one clip is analysed with when the detector runs on every Nth frame
 * only: frames 0, N, 2N... are detected and the face chosen there is carried, box and landmarks
 * unchanged, to the frames between. A detection that finds no face, or a frame of another size than
 * the one the face was found in, is detected again at once, so a face is never carried across a
 * frame it was not looked for in, and a face that appears is found on the next frame. With N = 1
 * every frame is detected, exactly as without a schedule. One instance per clip, not thread-safe.
 */
public final class FaceSchedule {

  /** Detects and chooses the face of one frame (the detector and the selection policy). */
  @FunctionalInterface
  public interface Detection {
    Optional<Face> choose(BufferedImage frame) throws Exception;
  }

  private final int every;
  private final Detection detection;
  private Face carried;
  private int carriedWidth;
  private int carriedHeight;
  private int sinceDetection;
  private int detections;

  /**
   * @param every N, at least 1
   */
  public FaceSchedule(int every, Detection detection) {
    if (every < 1) {
      throw new IllegalArgumentException("detect every N frames needs N >= 1, got " + every);
    }
    this.every = every;
    this.detection = detection;
  }

  /** The face to analyse in the clip's next frame; empty when the frame has none. */
  public Optional<Face> next(BufferedImage frame) throws Exception {
    boolean sameSize = frame.getWidth() == carriedWidth && frame.getHeight() == carriedHeight;
    if (carried != null && sameSize && sinceDetection < every) {
      sinceDetection++;
      return Optional.of(carried);
    }
    Optional<Face> chosen = detection.choose(frame);
    detections++;
    carried = chosen.orElse(null);
    carriedWidth = frame.getWidth();
    carriedHeight = frame.getHeight();
    sinceDetection = 1;
    return chosen;
  }

  /** Detections run so far. */
  public int detections() {
    return detections;
  }
}
