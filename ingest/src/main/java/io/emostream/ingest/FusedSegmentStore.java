package io.emostream.ingest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fused segments of recent sources, in memory, for {@code GET /sources/{id}}: filled by uploads
 * answered 201 ({@link #uploaded}: the source and how many segments to expect) and by the fused
 * topic ({@link #add}, fed by {@link FusedTopicFeed}). Bounded by {@link Limits}: past {@code
 * maxSources} sources, or {@code maxSegments} segments in all, the source seen first is evicted
 * whole (it answers 404 from then on); a single source with more segments than {@code maxSegments}
 * keeps the latest stretch of its timeline and says {@code "truncated": true} (its {@code
 * segmentsFused} and {@code complete} still count every segment fused). A fused segment without a
 * source id (its manifest never arrived) belongs to no source and is not kept. Thread-safe; the
 * {@link Listener} is called outside the lock.
 */
public final class FusedSegmentStore {

  /** The bounds, from EMOSTREAM_RESULTS_MAX_SOURCES and EMOSTREAM_RESULTS_MAX_SEGMENTS. */
  public record Limits(int maxSources, int maxSegments) {
    public static final String MAX_SOURCES_ENV = "EMOSTREAM_RESULTS_MAX_SOURCES";
    public static final String MAX_SEGMENTS_ENV = "EMOSTREAM_RESULTS_MAX_SEGMENTS";
    public static final int DEFAULT_MAX_SOURCES = 1_000;

    /** About 22 hours of video in the default 4 s segments. */
    public static final int DEFAULT_MAX_SEGMENTS = 20_000;

    public Limits {
      if (maxSources < 1 || maxSegments < 1) {
        throw new IllegalArgumentException(
            "result limits must be at least 1: "
                + maxSources
                + " sources, "
                + maxSegments
                + " segments");
      }
    }

    public static Limits fromEnv(Env env) {
      return new Limits(
          env.integer(MAX_SOURCES_ENV, DEFAULT_MAX_SOURCES, 1, 1_000_000),
          env.integer(MAX_SEGMENTS_ENV, DEFAULT_MAX_SEGMENTS, 1, 10_000_000));
    }
  }

  /**
   * Told of each upload kept and each fused segment kept (e.g. {@code ./emostream up} prints a line
   * for each).
   */
  public interface Listener {
    default void uploaded(IngestService.Result upload) {}

    /** An upload that failed after publishing the clips of {@code published}: why. */
    default void failedAfter(IngestService.Result published, String error) {}

    /** An upload answered {@code status} with {@code error}, having published nothing. */
    default void refused(String name, int status, String error) {}

    default void fused(FusedEmotion segment) {}
  }

  private static final Comparator<FusedEmotion> TIMELINE =
      Comparator.comparing((FusedEmotion s) -> s.getSpeakerRole() == null ? "" : s.getSpeakerRole())
          .thenComparingInt(FusedEmotion::getSegmentIndex)
          .thenComparing(FusedEmotion::getClipId);

  private final Limits limits;
  private final Listener listener;

  /** In the order sources were first seen: the first is the one evicted. */
  private final LinkedHashMap<String, Source> sources = new LinkedHashMap<>();

  private int segments;

  public FusedSegmentStore(Limits limits) {
    this(limits, new Listener() {});
  }

  public FusedSegmentStore(Limits limits, Listener listener) {
    this.limits = limits;
    this.listener = listener;
  }

  private static final class Source {
    final String sourceId;
    String sourceName;

    /** The clip ids of the upload; empty when the source was only seen on the fused topic. */
    final Set<String> expected = new LinkedHashSet<>();

    boolean uploadedHere;

    /** Why its upload failed after publishing some clips; null when it did not. */
    String uploadError;

    /**
     * The kept segments in timeline order (one per clip: the order ends with the clip id), so the
     * bound drops the earliest in O(log n).
     */
    final TreeSet<FusedEmotion> timeline = new TreeSet<>(TIMELINE);

    /** The expected clips fused so far, kept or not (bounded by the upload's clips). */
    final Set<String> expectedFused = new HashSet<>();

    /** Segments fused so far, kept or not. */
    int fusedCount;

    boolean truncated;

    Source(String sourceId) {
      this.sourceId = sourceId;
    }
  }

  /** A source uploaded through this server: its segments are expected. */
  public void uploaded(IngestService.Result upload) {
    uploaded(upload, null);
  }

  /**
   * As {@link #uploaded(IngestService.Result)}; {@code error} not null: the upload failed after
   * publishing these clips (a streamed upload cut off, a truncated file), and its answer says so
   * ({@code uploadError}).
   */
  public void uploaded(IngestService.Result upload, String error) {
    expect(upload, error);
    if (error == null) {
      listener.uploaded(upload);
    } else {
      listener.failedAfter(upload, error);
    }
  }

  /** An upload answered with an error that published nothing: only its listener hears of it. */
  public void refused(String name, int status, String error) {
    listener.refused(name, status, error);
  }

  /**
   * A live source pulled here has ended: every clip it published is known, so its answer says how
   * many segments to expect and whether all are fused ({@code complete}), as an upload's does.
   */
  public void liveEnded(IngestService.Result live) {
    expect(live, null);
  }

  private synchronized void expect(IngestService.Result published, String error) {
    Source source = sources.computeIfAbsent(published.sourceId(), Source::new);
    source.sourceName = published.sourceName();
    source.uploadedHere = true;
    source.uploadError = error;
    published.clips().forEach(c -> source.expected.add(c.clipId()));
    source.timeline.stream()
        .map(FusedEmotion::getClipId)
        .filter(source.expected::contains)
        .forEach(source.expectedFused::add);
    evict(source);
  }

  /**
   * A segment from the fused topic; one without a source id is ignored, a clip seen before is kept
   * once.
   */
  public void add(FusedEmotion segment) {
    if (segment.getSourceId() == null) {
      return;
    }
    synchronized (this) {
      Source source = sources.computeIfAbsent(segment.getSourceId(), Source::new);
      String clipId = segment.getClipId();
      if (source.expectedFused.contains(clipId) || !source.timeline.add(segment)) {
        return; // seen before (kept, or an expected one already dropped by the bound)
      }
      source.fusedCount++;
      if (source.expected.contains(clipId)) {
        source.expectedFused.add(clipId);
      }
      if (source.sourceName == null) {
        source.sourceName = segment.getSourceName();
      }
      segments++;
      evict(source);
      notifyAll(); // awaitFused
    }
    listener.fused(segment);
  }

  /**
   * Segments published by the sources uploaded or pulled here (those still kept) that are not fused
   * yet.
   */
  public synchronized int unfused() {
    int left = 0;
    for (Source source : sources.values()) {
      left += source.expected.size() - source.expectedFused.size();
    }
    return left;
  }

  /**
   * Waits up to {@code timeout} until every segment published by the sources uploaded or pulled
   * here is fused ({@code up}'s stop, once its intake is closed); returns how many are still not.
   */
  public synchronized int awaitFused(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int left;
    while ((left = unfused()) > 0) {
      long ms = (deadline - System.nanoTime()) / 1_000_000;
      if (ms <= 0) {
        break;
      }
      wait(ms);
    }
    return left;
  }

  /**
   * Evicts the sources seen first until both bounds hold; a lone source over the bound loses its
   * oldest segments.
   */
  private void evict(Source touched) {
    while (sources.size() > limits.maxSources()
        || (segments > limits.maxSegments() && sources.size() > 1)) {
      Iterator<Source> first = sources.values().iterator();
      segments -= first.next().timeline.size();
      first.remove();
    }
    while (segments > limits.maxSegments() && !touched.timeline.isEmpty()) {
      // the earliest on the source's timeline goes, so the kept ones are its latest stretch
      touched.timeline.pollFirst();
      segments--;
      touched.truncated = true;
    }
  }

  /**
   * The source's answer: {@code sourceId}, {@code sourceName}, {@code segmentsExpected} (null when
   * not uploaded here, or a live source not ended yet), {@code segmentsFused}, {@code complete}
   * (every expected segment fused; null when {@code segmentsExpected} is), {@code truncated}, and
   * {@code segments} in the one JSON shape ({@link FusedSegmentJson}), ordered by speaker role and
   * segment index. Empty for a source unknown here or evicted.
   */
  public Optional<ObjectNode> source(String sourceId) {
    String name;
    List<FusedEmotion> fused;
    Integer expected;
    boolean complete;
    boolean truncated;
    int fusedCount;
    String uploadError;
    synchronized (this) {
      Source source = sources.get(sourceId);
      if (source == null) {
        return Optional.empty();
      }
      name = source.sourceName;
      fused = new ArrayList<>(source.timeline); // in TIMELINE order
      expected = source.uploadedHere ? source.expected.size() : null;
      complete = source.uploadedHere && source.expectedFused.size() == source.expected.size();
      fusedCount = source.fusedCount;
      uploadError = source.uploadError;
      truncated = source.truncated;
    }
    ObjectNode answer = JsonNodeFactory.instance.objectNode();
    answer.put("sourceId", sourceId);
    answer.put("sourceName", name);
    answer.put("segmentsExpected", expected);
    answer.put("segmentsFused", fusedCount);
    if (expected == null) {
      answer.putNull("complete");
    } else {
      answer.put("complete", complete);
    }
    answer.put("truncated", truncated);
    if (uploadError != null) {
      answer.put("uploadError", uploadError);
    }
    answer.set("segments", FusedSegmentJson.toJson(fused));
    return Optional.of(answer);
  }

  /** Sources kept now. */
  public synchronized int sources() {
    return sources.size();
  }

  /** Segments kept now, over all sources. */
  public synchronized int segments() {
    return segments;
  }

  /** The limits this store keeps to. */
  public Limits limits() {
    return limits;
  }

  /** For tests and logs: the kept source ids, first seen first. */
  synchronized List<String> sourceIds() {
    return List.copyOf(sources.keySet());
  }
}
