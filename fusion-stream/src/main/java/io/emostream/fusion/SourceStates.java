package io.emostream.fusion;

import io.emostream.schemas.SourceState;
import io.emostream.schemas.SummarySegment;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The state of {@link SourceSummaryProcessor}, in three changelogged stores written by one task, so
 * they commit and restore together:
 *
 * <ul>
 *   <li>{@value SourceSummaryTopology#STATE_STORE}: source id → {@link SourceState} (what its
 *       events said, its fused count, its due time), or a small marker once summarised;
 *   <li>{@value SourceSummaryTopology#SEGMENTS_STORE}: {@code <length of source id>:<source
 *       id>/<clip id>} → {@link SummarySegment}, one entry per fused clip, so a source's segments
 *       are one prefix scan (the length makes one source id's prefix never a prefix of another's)
 *       and each fused record writes one small entry, not the whole source again;
 *   <li>{@value SourceSummaryTopology#DUE_STORE}: {@code <due time, 19 digits>/<source id>} →
 *       source id, so a punctuation reads only the sources due now (the due time is kept in the
 *       state, {@code dueMs}, and every write of a state goes through {@link #put}, which moves its
 *       index entry with it).
 * </ul>
 */
final class SourceStates {

  private final KeyValueStore<String, SourceState> states;
  private final KeyValueStore<String, SummarySegment> segments;
  private final KeyValueStore<String, String> due;

  SourceStates(
      KeyValueStore<String, SourceState> states,
      KeyValueStore<String, SummarySegment> segments,
      KeyValueStore<String, String> due) {
    this.states = states;
    this.segments = segments;
    this.due = due;
  }

  SourceState get(String sourceId) {
    return states.get(sourceId);
  }

  /**
   * Writes a source's new state ({@code null}: deletes it) and moves its index entry from where
   * {@code old} (what the store held, or null) put it.
   */
  void put(String sourceId, SourceState old, SourceState state) {
    String oldKey = old == null ? null : PendingClips.dueKey(old.getDueMs(), sourceId);
    String newKey = state == null ? null : PendingClips.dueKey(state.getDueMs(), sourceId);
    if (state == null) {
      states.delete(sourceId);
    } else {
      states.put(sourceId, state);
    }
    if (oldKey != null && !oldKey.equals(newKey)) {
      due.delete(oldKey);
    }
    if (newKey != null && !newKey.equals(oldKey)) {
      due.put(newKey, sourceId);
    }
  }

  /** Adds a fused segment of the source; false when its clip was already there (a duplicate). */
  boolean addSegment(String sourceId, SummarySegment segment) {
    String key = segmentKey(sourceId, segment.getClipId());
    if (segments.get(key) != null) {
      return false;
    }
    segments.put(key, segment);
    return true;
  }

  /** The source's fused segments, in key (clip id) order. */
  List<SummarySegment> segments(String sourceId) {
    List<SummarySegment> out = new ArrayList<>();
    try (KeyValueIterator<String, SummarySegment> it = scan(sourceId)) {
      it.forEachRemaining(entry -> out.add(entry.value));
    }
    return out;
  }

  /** Forgets the source's segments; returns how many there were. */
  int deleteSegments(String sourceId) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, SummarySegment> it = scan(sourceId)) {
      it.forEachRemaining(entry -> keys.add(entry.key));
    }
    keys.forEach(segments::delete);
    return keys.size();
  }

  /**
   * The sources due at {@code now}, in due-time order; an index entry that no longer matches its
   * source's due time is moved to where the source belongs (or dropped with it gone).
   */
  List<KeyValue<String, SourceState>> dueAt(long now) {
    List<KeyValue<String, String>> entries = new ArrayList<>();
    try (KeyValueIterator<String, String> range =
        due.range(PendingClips.dueKey(0, ""), PendingClips.dueKey(now + 1, ""))) {
      range.forEachRemaining(entries::add);
    }
    List<KeyValue<String, SourceState>> out = new ArrayList<>(entries.size());
    for (KeyValue<String, String> entry : entries) {
      SourceState state = states.get(entry.value);
      if (state != null && entry.key.equals(PendingClips.dueKey(state.getDueMs(), entry.value))) {
        out.add(KeyValue.pair(entry.value, state));
      } else {
        due.delete(entry.key);
        if (state != null) {
          due.put(PendingClips.dueKey(state.getDueMs(), entry.value), entry.value);
        }
      }
    }
    return out;
  }

  static String segmentKey(String sourceId, String clipId) {
    return segmentPrefix(sourceId) + clipId;
  }

  private static String segmentPrefix(String sourceId) {
    return sourceId.length() + ":" + sourceId + "/";
  }

  private KeyValueIterator<String, SummarySegment> scan(String sourceId) {
    return segments.prefixScan(segmentPrefix(sourceId), new StringSerializer());
  }
}
