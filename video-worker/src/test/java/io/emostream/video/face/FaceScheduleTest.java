package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which frames are detected and which faces are carried; a counting detection, no model. */
class FaceScheduleTest {

  private final List<Integer> detected = new ArrayList<>();

  @Test
  void everyFrameIsDetectedWhenNIsOne() throws Exception {
    FaceSchedule schedule = new FaceSchedule(1, faceOnEveryFrame());

    List<Optional<Face>> chosen = run(schedule, frames(5, 64, 48));

    assertThat(detected).containsExactly(0, 1, 2, 3, 4);
    assertThat(chosen).extracting(f -> f.orElseThrow().x()).containsExactly(0f, 1f, 2f, 3f, 4f);
    assertThat(schedule.detections()).isEqualTo(5);
  }

  @Test
  void framesZeroNAnd2NAreDetectedAndTheirFaceIsCarriedToTheFramesBetween() throws Exception {
    FaceSchedule schedule = new FaceSchedule(3, faceOnEveryFrame());

    List<Optional<Face>> chosen = run(schedule, frames(7, 64, 48));

    assertThat(detected).containsExactly(0, 3, 6);
    assertThat(chosen)
        .extracting(f -> f.orElseThrow().x())
        .containsExactly(0f, 0f, 0f, 3f, 3f, 3f, 6f);
  }

  @Test
  void aDetectionWithoutAFaceIsTriedAgainOnTheNextFrame() throws Exception {
    // no face on frames 0 and 1, a face from frame 2 on
    FaceSchedule schedule = new FaceSchedule(4, frame -> face(frame, index(frame) >= 2));

    List<Optional<Face>> chosen = run(schedule, frames(8, 64, 48));

    assertThat(detected).containsExactly(0, 1, 2, 6);
    assertThat(chosen.subList(0, 2)).allMatch(Optional::isEmpty);
    assertThat(chosen.subList(2, 6)).allMatch(f -> f.orElseThrow().x() == 2f);
  }

  @Test
  void aFrameOfAnotherSizeIsDetectedAgain() throws Exception {
    FaceSchedule schedule = new FaceSchedule(4, faceOnEveryFrame());
    List<BufferedImage> frames = new ArrayList<>(frames(2, 64, 48));
    frames.add(frame(2, 48, 64));

    run(schedule, frames);

    assertThat(detected).containsExactly(0, 2);
  }

  @Test
  void nBelowOneIsRefused() {
    assertThatThrownBy(() -> new FaceSchedule(0, faceOnEveryFrame()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("N >= 1");
  }

  private FaceSchedule.Detection faceOnEveryFrame() {
    return frame -> face(frame, true);
  }

  /** Records the detection; the face's x is the frame's index, so a carried face shows. */
  private Optional<Face> face(BufferedImage frame, boolean found) {
    detected.add(index(frame));
    return found
        ? Optional.of(new Face(index(frame), 0, 10, 10, 0.9f, new float[10]))
        : Optional.empty();
  }

  private static List<Optional<Face>> run(FaceSchedule schedule, List<BufferedImage> frames)
      throws Exception {
    List<Optional<Face>> chosen = new ArrayList<>();
    for (BufferedImage frame : frames) {
      chosen.add(schedule.next(frame));
    }
    return chosen;
  }

  private static List<BufferedImage> frames(int count, int width, int height) {
    List<BufferedImage> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      frames.add(frame(i, width, height));
    }
    return frames;
  }

  /** A frame whose first pixel holds its index. */
  private static BufferedImage frame(int index, int width, int height) {
    BufferedImage frame = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    frame.setRGB(0, 0, index);
    return frame;
  }

  private static int index(BufferedImage frame) {
    return frame.getRGB(0, 0) & 0xFFFFFF;
  }
}
