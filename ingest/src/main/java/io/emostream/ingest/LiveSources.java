package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The live sources of one ingest: each pulled on a thread of its own ({@link
 * IngestService#ingestLive}), so a stalled or dead source never holds up another, at most
 * EMOSTREAM_MAX_LIVE_SOURCES at once ({@link TooManySources} beyond that). Serves {@code POST
 * /streams}, {@code GET /streams}, {@code DELETE /streams/{id}} and {@code ./emostream analyze
 * URL}.
 *
 * <p>States: {@code connecting} (first connection), {@code live} (media arriving), {@code
 * reconnecting} (lost, trying again for EMOSTREAM_LIVE_RECONNECT_FOR), {@code ended} (with its
 * reason: completed, stopped, shutdown, timeout: ..., error: ...). The last {@link #KEPT_ENDED}
 * ended sources stay listed. {@link #close(Duration)} stops every source (reason shutdown): each
 * publishes its open clip when long enough, then its ENDED event, and says where it stopped.
 *
 * <p>Just over 300 lines: the sources, their threads, states and shutdown are one registry, kept
 * together; the pulling itself is in {@link LiveDemuxer}.
 */
public final class LiveSources implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LiveSources.class);

  /** Ended sources still answered by {@code GET /streams}. */
  public static final int KEPT_ENDED = 100;

  /** What {@code POST /streams} asks for; only {@code url} is required. */
  public record Request(
      String url, String name, FusionRule rule, ChannelSelection channels, String sourceId) {}

  /** One source as {@code GET /streams} shows it; the URL without user info or query. */
  public record Status(
      String sourceId,
      String sourceName,
      String url,
      String state,
      String endReason,
      int segmentsPublished,
      long mediaTimeMs,
      String lastError) {}

  /** EMOSTREAM_MAX_LIVE_SOURCES are being pulled already ({@code 429}). */
  public static final class TooManySources extends RuntimeException {
    TooManySources(int max) {
      super(
          max
              + " live sources are being pulled already (EMOSTREAM_MAX_LIVE_SOURCES); stop one"
              + " (DELETE /streams/{id}) or retry later");
    }
  }

  /** A source with this id is being pulled already ({@code 409}). */
  public static final class AlreadyLive extends RuntimeException {
    AlreadyLive(String sourceId) {
      super("source '" + sourceId + "' is being pulled already; choose another sourceId");
    }
  }

  private final IngestService ingest;
  private final IngestConfig config;
  private final IngestService.ClipListener listener;
  private final Map<String, Source> running = new LinkedHashMap<>();
  private final Deque<Source> ended = new ArrayDeque<>();
  private final List<Consumer<IngestService.LiveResult>> endListeners =
      new CopyOnWriteArrayList<>();
  private boolean closing;

  /**
   * @param listener hears every clip of every live source as it is published (e.g. {@code up}'s
   *     results store); may be null
   */
  public LiveSources(
      IngestConfig config, IngestService ingest, IngestService.ClipListener listener) {
    this.config = config;
    this.ingest = ingest;
    this.listener = listener == null ? clip -> {} : listener;
  }

  /**
   * Hears each source that ends with a result (the clips it published), on its pulling thread,
   * before {@link #done} completes: e.g. the results store, which then knows how many segments to
   * expect.
   */
  public void onEnded(Consumer<IngestService.LiveResult> listener) {
    endListeners.add(listener);
  }

  /** One source: its pulling thread's state, read by any thread. */
  private final class Source {
    final String sourceId;
    final String sourceName;
    final String url;
    final LiveControl control = new LiveControl();
    final CompletableFuture<IngestService.LiveResult> done = new CompletableFuture<>();
    final AtomicInteger segments = new AtomicInteger();
    final AtomicLong mediaTimeMs = new AtomicLong();
    volatile String state = "connecting";
    volatile String lastError;
    volatile String endReason;
    Thread thread;

    Source(String sourceId, String sourceName, String url) {
      this.sourceId = sourceId;
      this.sourceName = sourceName;
      this.url = url;
    }

    Status status() {
      return new Status(
          sourceId,
          sourceName,
          SourceEvents.redact(url),
          state,
          endReason,
          segments.get(),
          mediaTimeMs.get(),
          lastError);
    }
  }

  /**
   * Starts pulling {@code request.url()} on a thread of its own; answers at once.
   *
   * @throws IllegalArgumentException for a URL that is not a live source, a bad source id
   * @throws TooManySources with EMOSTREAM_MAX_LIVE_SOURCES pulled already
   * @throws AlreadyLive when a source with the chosen id is being pulled
   * @throws IllegalStateException while shutting down
   */
  public Status start(Request request) {
    VideoDemuxer.scheme(request.url());
    IngestService.Ids ids = IngestService.ids(request.sourceId());
    String name = request.name() != null ? request.name() : SourceEvents.redact(request.url());
    Source source = new Source(ids.sourceId(), name, request.url());
    synchronized (this) {
      if (closing) {
        throw new IllegalStateException("ingest is shutting down; no new live sources");
      }
      if (running.containsKey(source.sourceId)) {
        throw new AlreadyLive(source.sourceId);
      }
      if (running.size() >= config.live().maxSources()) {
        throw new TooManySources(config.live().maxSources());
      }
      running.put(source.sourceId, source);
      source.thread = new Thread(() -> pull(source, request, ids), "live-" + source.sourceId);
      source.thread.setDaemon(true);
      source.thread.start();
    }
    LOG.info("live source {}: pulling {}", source.sourceId, SourceEvents.redact(request.url()));
    return source.status();
  }

  private void pull(Source source, Request request, IngestService.Ids ids) {
    IngestService.LiveResult result = null;
    try {
      result =
          ingest.ingestLive(
              request.url(),
              source.sourceName,
              request.rule(),
              request.channels() == null ? config.channels() : request.channels(),
              ids,
              source.control,
              new VideoDemuxer.LiveListener() {
                @Override
                public void connecting(boolean reconnect, String lastError) {
                  source.state = reconnect ? "reconnecting" : "connecting";
                  source.lastError = lastError;
                }

                @Override
                public void live() {
                  source.state = "live";
                  source.lastError = null; // the error it came back from is over
                }
              },
              clip -> {
                source.segments.incrementAndGet();
                source.mediaTimeMs.accumulateAndGet(clip.endMs(), Math::max);
                listener.published(clip);
              });
      source.endReason = result.endReason();
      // A source cut short by shutdown is said at WARN, so that `up` (which shows warnings only)
      // says where it stopped.
      // A source cut short by an error (Kafka gone past its patience, a limit) is said at WARN too.
      LOG.atLevel(
              SourceEvents.SHUTDOWN.equals(result.endReason())
                      || result.endReason().startsWith("error")
                  ? Level.WARN
                  : Level.INFO)
          .log(
              "live source {} ended at {} ms of media, {} clip(s) published: {}",
              source.sourceId,
              result.mediaTimeMs(),
              result.result().clips().size(),
              result.endReason());
    } catch (RuntimeException | Error e) {
      source.endReason = SourceEvents.error(e.getMessage(), source.url);
      LOG.error("live source {} failed", source.sourceId, e);
    } finally {
      source.state = "ended";
      synchronized (this) {
        running.remove(source.sourceId);
        ended.addLast(source);
        while (ended.size() > KEPT_ENDED) {
          ended.removeFirst();
        }
      }
      if (result != null) {
        for (Consumer<IngestService.LiveResult> l : endListeners) {
          try {
            l.accept(result);
          } catch (RuntimeException e) {
            LOG.warn("live source {}: a listener of its end failed", source.sourceId, e);
          }
        }
        source.done.complete(result);
      } else {
        source.done.completeExceptionally(new IllegalStateException(source.endReason));
      }
    }
  }

  /** Every source being pulled, then the last ended ones, oldest first. */
  public synchronized List<Status> list() {
    List<Status> all = new ArrayList<>();
    running.values().forEach(s -> all.add(s.status()));
    ended.forEach(s -> all.add(s.status()));
    return all;
  }

  /** The source with this id, running or recently ended. */
  public synchronized Optional<Status> status(String sourceId) {
    return Optional.ofNullable(find(sourceId)).map(Source::status);
  }

  private Source find(String sourceId) {
    Source source = running.get(sourceId);
    if (source != null) {
      return source;
    }
    for (Source s : ended) {
      if (s.sourceId.equals(sourceId)) {
        source = s;
      }
    }
    return source;
  }

  /**
   * Asks a source to stop (reason stopped): it publishes its open clip when at least
   * EMOSTREAM_MIN_SEGMENT_SECONDS long, then its ENDED event. Empty for an unknown id; an ended
   * source is answered as it is.
   */
  public synchronized Optional<Status> stop(String sourceId) {
    Source source = find(sourceId);
    if (source == null) {
      return Optional.empty();
    }
    source.control.stop(SourceEvents.STOPPED);
    return Optional.of(source.status());
  }

  /** Completes when the source has ended (its ENDED event published); empty for an unknown id. */
  public synchronized Optional<CompletableFuture<IngestService.LiveResult>> done(String sourceId) {
    return Optional.ofNullable(find(sourceId)).map(s -> s.done);
  }

  /** Sources being pulled now. */
  public synchronized int running() {
    return running.size();
  }

  /**
   * Stops every source with reason shutdown and waits up to {@code grace} for each to publish its
   * last clip and its ENDED event (a source blocked on a silent server needs up to
   * EMOSTREAM_LIVE_READ_TIMEOUT to notice). Call before the {@link IngestService} is closed.
   */
  public void close(Duration grace) {
    List<Source> stopping;
    synchronized (this) {
      closing = true;
      stopping = new ArrayList<>(running.values());
    }
    stopping.forEach(s -> s.control.stop(SourceEvents.SHUTDOWN));
    long deadline = System.nanoTime() + grace.toNanos();
    for (Source source : stopping) {
      try {
        source.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException e) {
        // it ended with an error, logged by its thread
      } catch (TimeoutException e) {
        LOG.warn(
            "live source {} still running after {} (state {}, {} segment(s), {} ms); left behind",
            source.sourceId,
            grace,
            source.state,
            source.segments.get(),
            source.mediaTimeMs.get());
        source.thread.interrupt();
      }
    }
  }

  @Override
  public void close() {
    close(shutdownGrace());
  }

  /**
   * What {@link #close()} waits at most: the read timeout (a source blocked on a silent server) and
   * the HTTP server's grace.
   */
  public Duration shutdownGrace() {
    return config.live().readTimeout().plus(IngestHttpServer.SHUTDOWN_GRACE);
  }
}
