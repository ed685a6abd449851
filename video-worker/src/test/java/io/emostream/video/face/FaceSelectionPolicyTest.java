package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which face each policy picks, on hand-made boxes in a 100x100 frame. */
class FaceSelectionPolicyTest {

  private static final float[] KPS = new float[10];
  // area 400, score 0.7, centre (15, 15)
  private static final Face BIG = new Face(5, 5, 20, 20, 0.7f, KPS);
  // area 100, score 0.95, centre (85, 15)
  private static final Face CONFIDENT = new Face(80, 10, 10, 10, 0.95f, KPS);
  // area 64, score 0.8, centre (52, 52)
  private static final Face CENTRED = new Face(48, 48, 8, 8, 0.8f, KPS);
  private static final List<Face> FACES = List.of(CONFIDENT, CENTRED, BIG);

  @Test
  void largestPicksTheBiggestBox() {
    assertThat(FaceSelectionPolicy.LARGEST.select(FACES, 100, 100)).contains(BIG);
  }

  @Test
  void mostConfidentPicksTheHighestScore() {
    assertThat(FaceSelectionPolicy.MOST_CONFIDENT.select(FACES, 100, 100)).contains(CONFIDENT);
  }

  @Test
  void centralPicksTheBoxCentreNearestTheFrameCentre() {
    assertThat(FaceSelectionPolicy.CENTRAL.select(FACES, 100, 100)).contains(CENTRED);
    // in a 30x30 frame the centre is (15, 15): BIG's centre
    assertThat(FaceSelectionPolicy.CENTRAL.select(FACES, 30, 30)).contains(BIG);
  }

  @Test
  void tiesKeepTheEarlierFace() {
    Face first = new Face(0, 0, 10, 10, 0.9f, KPS);
    Face second = new Face(50, 50, 10, 10, 0.8f, KPS);

    assertThat(FaceSelectionPolicy.LARGEST.select(List.of(first, second), 100, 100))
        .contains(first);
  }

  @Test
  void noFacesSelectsNothing() {
    for (FaceSelectionPolicy policy : FaceSelectionPolicy.values()) {
      assertThat(policy.select(List.of(), 100, 100)).isEmpty();
    }
  }

  @Test
  void defaultIsLargest() {
    assertThat(FaceSelectionPolicy.DEFAULT).isEqualTo(FaceSelectionPolicy.LARGEST);
  }
}
