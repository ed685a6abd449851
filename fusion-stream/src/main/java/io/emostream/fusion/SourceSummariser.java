package io.emostream.fusion;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.LabelShare;
import io.emostream.schemas.RoleSummary;
import io.emostream.schemas.SegmentStats;
import io.emostream.schemas.SourceKind;
import io.emostream.schemas.SourceState;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.StatusCounts;
import io.emostream.schemas.SummarySegment;
import io.emostream.schemas.TimelineRun;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The per-source summary as a pure function of what the source's events said ({@link SourceState})
 * and its fused segments: segments per status, media time per label and its share, the dominant
 * label, and the timeline compacted into runs of the same label, for every segment together and per
 * speaker role. No I/O and no clock: {@link SourceSummaryProcessor} decides when.
 */
final class SourceSummariser {

  /** Media-time order; the segment index, then the clip id, break ties so the order is total. */
  static final Comparator<SummarySegment> MEDIA_ORDER =
      Comparator.comparingLong(SummarySegment::getStartMs)
          .thenComparingInt(SummarySegment::getSegmentIndex)
          .thenComparing(SummarySegment::getClipId);

  private final List<String> labels;

  /**
   * @param labels the canonical labels, in output order: every one gets a share, zeros included
   */
  SourceSummariser(List<String> labels) {
    this.labels = List.copyOf(labels);
  }

  /**
   * The summary of an ended source ({@code state} has its ENDED fields) from {@code segments}, its
   * distinct fused segments in any order, written at {@code nowMs}.
   */
  SourceSummary summarise(
      String sourceId,
      SourceState state,
      Collection<SummarySegment> segments,
      boolean complete,
      long nowMs) {
    if (state.getEndedAtMs() == null) {
      throw new IllegalArgumentException("source " + sourceId + " has not ended: no summary yet");
    }
    List<SummarySegment> sorted = segments.stream().sorted(MEDIA_ORDER).toList();
    Map<String, List<SummarySegment>> byRole = new TreeMap<>();
    List<SummarySegment> unsplit = new ArrayList<>();
    for (SummarySegment segment : sorted) {
      if (segment.getSpeakerRole() == null) {
        unsplit.add(segment);
      } else {
        byRole.computeIfAbsent(segment.getSpeakerRole(), r -> new ArrayList<>()).add(segment);
      }
    }
    List<RoleSummary> roles = new ArrayList<>(byRole.size());
    byRole.forEach((role, own) -> roles.add(new RoleSummary(role, stats(own, own))));
    return SourceSummary.newBuilder()
        .setSourceId(sourceId)
        .setSourceName(sourceName(state, sorted))
        .setKind(state.getKind() == null ? SourceKind.OTHER : state.getKind())
        .setRule(rule(state, sorted))
        .setStartedAtMs(toInstant(state.getStartedAtMs()))
        .setEndedAtMs(Instant.ofEpochMilli(state.getEndedAtMs()))
        .setEndReason(state.getEndReason())
        .setMediaTimeMs(state.getMediaTimeMs())
        .setClipCount(state.getClipCount())
        .setFusedClipCount(sorted.size())
        .setComplete(complete)
        .setOverall(stats(sorted, unsplit))
        .setRoles(roles)
        .setSummarisedAtMs(Instant.ofEpochMilli(nowMs))
        .build();
  }

  /**
   * What {@code segments} (media-time order) say; the timeline is built from {@code timelineOf},
   * the segments of one channel.
   */
  SegmentStats stats(List<SummarySegment> segments, List<SummarySegment> timelineOf) {
    Map<FusionStatus, Integer> counts = new EnumMap<>(FusionStatus.class);
    Map<String, Long> msByLabel = new LinkedHashMap<>();
    labels.forEach(label -> msByLabel.put(label, 0L));
    Map<String, Integer> segmentsByLabel = new LinkedHashMap<>();
    long mediaMs = 0;
    long noPredictionMs = 0;
    for (SummarySegment segment : segments) {
      counts.merge(segment.getStatus(), 1, Integer::sum);
      long ms = duration(segment);
      mediaMs += ms;
      if (segment.getLabel() == null) {
        noPredictionMs += ms;
      } else {
        // a label outside the canonical set (they changed while the source ran) goes after them
        msByLabel.merge(segment.getLabel(), ms, Long::sum);
        segmentsByLabel.merge(segment.getLabel(), 1, Integer::sum);
      }
    }
    List<LabelShare> shares = new ArrayList<>(msByLabel.size());
    String dominant = null;
    for (Map.Entry<String, Long> entry : msByLabel.entrySet()) {
      shares.add(
          new LabelShare(entry.getKey(), entry.getValue(), share(entry.getValue(), mediaMs)));
      if (segmentsByLabel.containsKey(entry.getKey())
          && (dominant == null || entry.getValue() > msByLabel.get(dominant))) {
        dominant = entry.getKey();
      }
    }
    return SegmentStats.newBuilder()
        .setSegmentCount(segments.size())
        .setStatusCounts(
            new StatusCounts(
                counts.getOrDefault(FusionStatus.COMPLETE, 0),
                counts.getOrDefault(FusionStatus.AUDIO_ONLY, 0),
                counts.getOrDefault(FusionStatus.VIDEO_ONLY, 0),
                counts.getOrDefault(FusionStatus.NO_PREDICTION, 0)))
        .setMediaMs(mediaMs)
        .setLabelShares(shares)
        .setNoPredictionMs(noPredictionMs)
        .setDominantLabel(dominant)
        .setTimeline(timeline(timelineOf))
        .build();
  }

  /**
   * Segments of one channel, in media-time order, compacted: a segment that starts where the
   * current run ends (or before) and has its label extends the run; another label, or a gap (a
   * segment not fused), starts a new one. NO_PREDICTION segments make runs with a null label.
   */
  static List<TimelineRun> timeline(List<SummarySegment> sorted) {
    List<TimelineRun> runs = new ArrayList<>();
    TimelineRun run = null;
    for (SummarySegment segment : sorted) {
      if (run != null
          && Objects.equals(run.getLabel(), segment.getLabel())
          && segment.getStartMs() <= run.getEndMs()) {
        run.setEndMs(Math.max(run.getEndMs(), segment.getEndMs()));
        run.setSegmentCount(run.getSegmentCount() + 1);
      } else {
        run = new TimelineRun(segment.getLabel(), segment.getStartMs(), segment.getEndMs(), 1);
        runs.add(run);
      }
    }
    return runs;
  }

  private static long duration(SummarySegment segment) {
    return Math.max(0, segment.getEndMs() - segment.getStartMs());
  }

  private static double share(long ms, long total) {
    return total == 0 ? 0.0 : (double) ms / total;
  }

  private static String sourceName(SourceState state, List<SummarySegment> segments) {
    if (state.getSourceName() != null) {
      return state.getSourceName();
    }
    return segments.stream()
        .map(SummarySegment::getSourceName)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  /** The rule most segments were fused with (first in enum order on a tie), else the asked one. */
  private static FusionRule rule(SourceState state, List<SummarySegment> segments) {
    Map<FusionRule, Integer> counts = new EnumMap<>(FusionRule.class);
    segments.forEach(s -> counts.merge(s.getRule(), 1, Integer::sum));
    FusionRule best = state.getRule();
    int bestCount = 0;
    for (Map.Entry<FusionRule, Integer> entry : counts.entrySet()) {
      if (entry.getValue() > bestCount) {
        best = entry.getKey();
        bestCount = entry.getValue();
      }
    }
    return best;
  }

  private static Instant toInstant(Long epochMs) {
    return epochMs == null ? null : Instant.ofEpochMilli(epochMs);
  }
}
