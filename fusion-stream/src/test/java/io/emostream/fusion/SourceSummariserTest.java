package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.LabelShare;
import io.emostream.schemas.SegmentStats;
import io.emostream.schemas.SourceKind;
import io.emostream.schemas.SourceState;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.StatusCounts;
import io.emostream.schemas.SummarySegment;
import io.emostream.schemas.TimelineRun;
import java.time.Instant;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** The summary as a pure function: hand-computed shares, dominant labels and timelines. */
class SourceSummariserTest {

  private static final List<String> LABELS = List.of("neutral", "happy", "sad");
  private final SourceSummariser summariser = new SourceSummariser(LABELS);

  static SummarySegment segment(
      String role, int index, long startMs, long endMs, String label, FusionStatus status) {
    return SummarySegment.newBuilder()
        .setClipId("s" + (role == null ? "" : "-" + role) + "-" + index)
        .setSourceName("call.mkv")
        .setSpeakerRole(role)
        .setSegmentIndex(index)
        .setStartMs(startMs)
        .setEndMs(endMs)
        .setLabel(label)
        .setStatus(status)
        .setRule(FusionRule.AVERAGE)
        .build();
  }

  private static SummarySegment seg(int index, String label) {
    return segment(
        null,
        index,
        index * 4_000L,
        index * 4_000L + 4_000,
        label,
        label == null ? FusionStatus.NO_PREDICTION : FusionStatus.COMPLETE);
  }

  private static SourceState ended(int clipCount) {
    return SourceState.newBuilder()
        .setSourceName("call.mkv")
        .setKind(SourceKind.LIVE)
        .setRule(null)
        .setStartedAtMs(1_000L)
        .setEndedAtMs(60_000L)
        .setEndReason("completed")
        .setMediaTimeMs(20_000)
        .setClipCount(clipCount)
        .setEndedSeenMs(61_000L)
        .setFusedClipCount(clipCount)
        .setLastSeenMs(61_000L)
        .setDueMs(0)
        .build();
  }

  @Test
  void runsOfTheSameLabelAreCompactedAndAGapOrAnotherLabelStartsANewRun() {
    // happy happy sad [missing 3] sad NO_PREDICTION, given out of order
    List<SummarySegment> segments =
        List.of(seg(4, "sad"), seg(1, "happy"), seg(0, "happy"), seg(5, null), seg(2, "sad"));

    SourceSummary summary = summariser.summarise("s", ended(6), segments, false, 99_000L);

    assertThat(summary.getOverall().getTimeline())
        .containsExactly(
            new TimelineRun("happy", 0L, 8_000L, 2),
            new TimelineRun("sad", 8_000L, 12_000L, 1),
            new TimelineRun("sad", 16_000L, 20_000L, 1),
            new TimelineRun(null, 20_000L, 24_000L, 1));
    assertThat(summary.getComplete()).isFalse();
    assertThat(summary.getClipCount()).isEqualTo(6);
    assertThat(summary.getFusedClipCount()).isEqualTo(5);
  }

  @Test
  void sharesAreOfAllMediaTimeWithNoPredictionApartAndEveryCanonicalLabelListed() {
    List<SummarySegment> segments =
        List.of(
            segment(null, 0, 0, 3_000, "happy", FusionStatus.COMPLETE),
            segment(null, 1, 3_000, 4_000, "sad", FusionStatus.AUDIO_ONLY),
            segment(null, 2, 4_000, 5_000, "sad", FusionStatus.VIDEO_ONLY),
            segment(null, 3, 5_000, 9_000, null, FusionStatus.NO_PREDICTION));

    SegmentStats stats = summariser.summarise("s", ended(4), segments, true, 0).getOverall();

    assertThat(stats.getSegmentCount()).isEqualTo(4);
    assertThat(stats.getStatusCounts()).isEqualTo(new StatusCounts(1, 1, 1, 1));
    assertThat(stats.getMediaMs()).isEqualTo(9_000);
    assertThat(stats.getNoPredictionMs()).isEqualTo(4_000);
    assertThat(stats.getLabelShares())
        .extracting(LabelShare::getLabel, LabelShare::getMediaMs)
        .containsExactly(
            Tuple.tuple("neutral", 0L), Tuple.tuple("happy", 3_000L), Tuple.tuple("sad", 2_000L));
    assertThat(stats.getLabelShares().get(1).getShare()).isCloseTo(3.0 / 9, within(1e-12));
    assertThat(stats.getLabelShares().get(2).getShare()).isCloseTo(2.0 / 9, within(1e-12));
    assertThat(stats.getDominantLabel())
        .as("most media time, not most segments")
        .isEqualTo("happy");
  }

  @Test
  void aTieGoesToTheFirstCanonicalLabelAndNoLabelMeansNoDominantLabel() {
    SegmentStats tie =
        summariser
            .summarise("s", ended(2), List.of(seg(0, "sad"), seg(1, "happy")), true, 0)
            .getOverall();
    assertThat(tie.getDominantLabel()).isEqualTo("happy");

    SegmentStats none =
        summariser.summarise("s", ended(1), List.of(seg(0, null)), true, 0).getOverall();
    assertThat(none.getDominantLabel()).isNull();
    assertThat(none.getLabelShares()).extracting(LabelShare::getShare).containsOnly(0.0);

    SegmentStats empty = summariser.summarise("s", ended(0), List.of(), true, 0).getOverall();
    assertThat(empty.getSegmentCount()).isZero();
    assertThat(empty.getMediaMs()).isZero();
    assertThat(empty.getDominantLabel()).isNull();
    assertThat(empty.getTimeline()).isEmpty();
  }

  @Test
  void aSplitCallHasOneSummaryPerRoleAndAllChannelsTogetherInOverall() {
    List<SummarySegment> segments =
        List.of(
            segment("customer", 0, 0, 4_000, "sad", FusionStatus.COMPLETE),
            segment("customer", 1, 4_000, 8_000, "sad", FusionStatus.COMPLETE),
            segment("agent", 0, 0, 4_000, "neutral", FusionStatus.AUDIO_ONLY),
            segment("agent", 1, 4_000, 8_000, "happy", FusionStatus.AUDIO_ONLY));

    SourceSummary summary = summariser.summarise("s", ended(4), segments, true, 0);

    assertThat(summary.getRoles())
        .extracting(r -> r.getSpeakerRole())
        .containsExactly("agent", "customer");
    SegmentStats agent = summary.getRoles().get(0).getStats();
    assertThat(agent.getTimeline())
        .containsExactly(
            new TimelineRun("neutral", 0L, 4_000L, 1), new TimelineRun("happy", 4_000L, 8_000L, 1));
    assertThat(agent.getStatusCounts()).isEqualTo(new StatusCounts(0, 2, 0, 0));
    SegmentStats customer = summary.getRoles().get(1).getStats();
    assertThat(customer.getTimeline()).containsExactly(new TimelineRun("sad", 0L, 8_000L, 2));
    assertThat(customer.getDominantLabel()).isEqualTo("sad");
    assertThat(customer.getLabelShares().get(2).getShare()).isEqualTo(1.0);

    SegmentStats overall = summary.getOverall();
    assertThat(overall.getSegmentCount()).isEqualTo(4);
    assertThat(overall.getMediaMs()).as("each channel counts").isEqualTo(16_000);
    assertThat(overall.getDominantLabel()).isEqualTo("sad");
    assertThat(overall.getTimeline()).as("channels overlap: per role only").isEmpty();
  }

  @Test
  void theSourceFieldsComeFromTheEventsAndTheRuleFromTheSegments() {
    SourceState state = ended(1);
    SourceSummary summary = summariser.summarise("s", state, List.of(seg(0, "sad")), true, 99L);

    assertThat(summary.getSourceId()).isEqualTo("s");
    assertThat(summary.getSourceName()).isEqualTo("call.mkv");
    assertThat(summary.getKind()).isEqualTo(SourceKind.LIVE);
    assertThat(summary.getStartedAtMs()).isEqualTo(Instant.ofEpochMilli(1_000));
    assertThat(summary.getEndedAtMs()).isEqualTo(Instant.ofEpochMilli(60_000));
    assertThat(summary.getEndReason()).isEqualTo("completed");
    assertThat(summary.getMediaTimeMs()).isEqualTo(20_000);
    assertThat(summary.getSummarisedAtMs()).isEqualTo(Instant.ofEpochMilli(99));
    assertThat(summary.getRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(summary.getRoles()).isEmpty();

    SourceState asked =
        SourceState.newBuilder(state)
            .setRule(FusionRule.RULE_BASED)
            .setSourceName(null)
            .setKind(null)
            .setStartedAtMs(null)
            .build();
    SourceSummary none = summariser.summarise("s", asked, List.of(), true, 0);
    assertThat(none.getRule())
        .as("no segment: the rule asked for")
        .isEqualTo(FusionRule.RULE_BASED);
    assertThat(none.getKind()).isEqualTo(SourceKind.OTHER);
    assertThat(none.getStartedAtMs()).isNull();
    assertThat(none.getSourceName()).isNull();
  }

  @Test
  void aLabelOutsideTheCanonicalSetIsListedAfterThem() {
    SegmentStats stats =
        summariser.summarise("s", ended(1), List.of(seg(0, "calm")), true, 0).getOverall();
    assertThat(stats.getLabelShares())
        .extracting(LabelShare::getLabel)
        .containsExactly("neutral", "happy", "sad", "calm");
    assertThat(stats.getDominantLabel()).isEqualTo("calm");
  }

  @Test
  void aSourceThatHasNotEndedHasNoSummary() {
    SourceState open = SourceState.newBuilder(ended(1)).setEndedAtMs(null).build();
    assertThatThrownBy(() -> summariser.summarise("s", open, List.of(), true, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("source s has not ended");
  }
}
