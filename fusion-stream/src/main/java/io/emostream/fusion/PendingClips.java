package io.emostream.fusion;

import io.emostream.schemas.PendingClip;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of {@link ClipJoinProcessor}: the {@value FusionTopology#PENDING_STORE} store (clip id
 * → pending clip or done marker) and its index by due time in the {@value FusionTopology#DUE_STORE}
 * store, so that a punctuation reads only the entries due now, never the done markers within their
 * retention.
 *
 * <p>Index key: {@code <due time, 19 digits>/<clip id>} → clip id; the due time is a pending clip's
 * deadline ({@code deadlineMs}, else {@code firstSeenMs + timeout}, at most {@code firstSeenMs +
 * maxWait}) or a done marker's expiry ({@code fusedAtMs + retention}). Zero-padding makes the
 * store's byte order time order, so the due entries are one range read. Every write of the pending
 * store goes through {@link #put}, which moves the entry's index key with it.
 *
 * <p>The pending store is changelogged; the index is not (it is derived from that store, and not
 * logging it saves three changelog records per clip). The index records the timeout, max-wait and
 * retention it was computed with ({@link #SETTINGS_KEY}). It lives in memory only, so it is empty
 * whenever the task's stores were opened afresh (a task's start, or its state wiped and restored);
 * a processor that finds it empty rebuilds it from the pending store, once, at its first record or
 * punctuation ({@link #ensureIndexed}; not at {@code init}). A processor initialised again on
 * stores that stayed open finds the index with its settings and keeps it.
 */
final class PendingClips {

  /**
   * The index's own settings; it sorts after every index key (those start with a digit), out of any
   * due range.
   */
  static final String SETTINGS_KEY = "~settings";

  private static final Logger LOG = LoggerFactory.getLogger(PendingClips.class);

  private final KeyValueStore<String, PendingClip> store;
  private final KeyValueStore<String, String> due;
  private final FusionConfig config;
  private boolean indexStale;

  /**
   * The pending clips (not the done markers) this task wrote, as written: a read cache of the
   * store, kept for as long as this object (one task's processor, from its init to its close).
   */
  private final Map<String, PendingClip> pending = new HashMap<>();

  PendingClips(
      KeyValueStore<String, PendingClip> store,
      KeyValueStore<String, String> due,
      FusionConfig config) {
    this.store = store;
    this.due = due;
    this.config = config;
    this.indexStale = !settings().equals(due.get(SETTINGS_KEY));
  }

  /**
   * What the store holds for {@code clipId}: a pending clip from memory when this task wrote it (no
   * decoding), else from the store (after a restart, and for done markers).
   */
  PendingClip get(String clipId) {
    PendingClip clip = pending.get(clipId);
    return clip != null ? clip : store.get(clipId);
  }

  /**
   * Writes a clip's new state ({@code null}: deletes it) and moves its index entry from where
   * {@code old} (what the store held, or null) put it to where {@code clip} belongs.
   */
  void put(String clipId, PendingClip old, PendingClip clip) {
    ensureIndexed();
    String oldKey = old == null ? null : dueKey(old, clipId);
    String newKey = clip == null ? null : dueKey(clip, clipId);
    if (clip == null) {
      store.delete(clipId);
    } else {
      store.put(clipId, clip);
    }
    if (clip == null || clip.getFusedAtMs() != null) {
      pending.remove(clipId);
    } else {
      pending.put(clipId, clip);
    }
    if (oldKey != null && !oldKey.equals(newKey)) {
      due.delete(oldKey);
    }
    if (newKey != null && !newKey.equals(oldKey)) {
      due.put(newKey, clipId);
    }
  }

  /**
   * The entries due at {@code now} (pending clips at or past their deadline, done markers at or
   * past their expiry), in due-time order, each read once from the pending store. An index entry
   * that no longer matches its clip (left behind by a change the index missed) is moved to where
   * the clip belongs instead.
   */
  List<KeyValue<String, PendingClip>> dueAt(long now) {
    ensureIndexed();
    List<KeyValue<String, String>> entries = new ArrayList<>();
    try (KeyValueIterator<String, String> range = due.range(dueKey(0, ""), dueKey(now + 1, ""))) {
      range.forEachRemaining(entries::add);
    }
    List<KeyValue<String, PendingClip>> out = new ArrayList<>(entries.size());
    for (KeyValue<String, String> entry : entries) {
      PendingClip clip = get(entry.value);
      if (clip != null && entry.key.equals(dueKey(clip, entry.value))) {
        out.add(KeyValue.pair(entry.value, clip));
      } else {
        due.delete(entry.key);
        if (clip != null) {
          due.put(dueKey(clip, entry.value), entry.value);
        }
      }
    }
    return out;
  }

  /** A pending clip's deadline: its own, else its timeout; never later than its max wait. */
  long deadlineOf(PendingClip clip) {
    long deadline =
        clip.getDeadlineMs() != null
            ? clip.getDeadlineMs()
            : clip.getFirstSeenMs() + config.timeout().toMillis();
    return Math.min(deadline, clip.getFirstSeenMs() + config.maxWait().toMillis());
  }

  private long dueTime(PendingClip clip) {
    return clip.getFusedAtMs() != null
        ? clip.getFusedAtMs() + config.doneRetention().toMillis()
        : deadlineOf(clip);
  }

  private String dueKey(PendingClip clip, String clipId) {
    return dueKey(dueTime(clip), clipId);
  }

  private static final String ZEROS = "0".repeat(19);

  static String dueKey(long atMs, String clipId) {
    // what String.format("%019d/%s") writes, without parsing a format for every index write
    String digits = Long.toString(Math.max(0, atMs));
    return new StringBuilder(20 + clipId.length())
        .append(ZEROS, 0, 19 - digits.length())
        .append(digits)
        .append('/')
        .append(clipId)
        .toString();
  }

  private String settings() {
    return "timeoutMs="
        + config.timeout().toMillis()
        + ",maxWaitMs="
        + config.maxWait().toMillis()
        + ",doneRetentionMs="
        + config.doneRetention().toMillis();
  }

  /**
   * Rebuilds the index from the pending store when it was written with other settings or not at
   * all.
   */
  void ensureIndexed() {
    if (!indexStale) {
      return;
    }
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, String> all = due.all()) {
      all.forEachRemaining(entry -> old.add(entry.key));
    }
    old.forEach(due::delete);
    int indexed = 0;
    try (KeyValueIterator<String, PendingClip> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<String, PendingClip> entry = all.next();
        due.put(dueKey(entry.value, entry.key), entry.key);
        indexed++;
      }
    }
    due.put(SETTINGS_KEY, settings());
    indexStale = false;
    if (indexed > 0) {
      LOG.info("indexed {} pending clips and done markers by due time ({})", indexed, settings());
    }
  }
}
