package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SegmentPlanTest {

  @Test
  void aClipShorterThanOneWindowIsOneSegment() {
    SegmentPlan plan = new SegmentPlan(3_300, 4_000, 1_000);
    assertThat(plan.count()).isEqualTo(1);
    assertThat(plan.end(0)).isEqualTo(3_300);
    assertThat(plan.indexOf(3_299)).isZero();
  }

  @Test
  void aShortTailJoinsThePreviousSegment() {
    SegmentPlan plan = new SegmentPlan(8_500, 4_000, 1_000);
    assertThat(plan.count()).isEqualTo(2);
    assertThat(plan.end(1)).isEqualTo(8_500);
    assertThat(plan.indexOf(8_200)).isEqualTo(1);
  }

  @Test
  void aLongEnoughTailIsItsOwnSegment() {
    SegmentPlan plan = new SegmentPlan(9_000, 4_000, 1_000);
    assertThat(plan.count()).isEqualTo(3);
    assertThat(plan.start(2)).isEqualTo(8_000);
    assertThat(plan.end(2)).isEqualTo(9_000);
  }

  @Test
  void unknownDurationUsesFixedWindows() {
    SegmentPlan plan = new SegmentPlan(-1, 4_000, 1_000);
    assertThat(plan.count()).isEqualTo(-1);
    assertThat(plan.indexOf(12_500)).isEqualTo(3);
    assertThat(plan.end(3)).isEqualTo(16_000);
  }

  @Test
  void frameTargetsAreTheCentresOfEqualSlots() {
    SegmentPlan plan = new SegmentPlan(8_000, 4_000, 1_000);
    assertThat(plan.frameTargets(1, 4)).containsExactly(4_500, 5_500, 6_500, 7_500);
  }
}
