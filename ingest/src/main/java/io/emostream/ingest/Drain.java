package io.emostream.ingest;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Completes a request only once its body has been read to the end. Answers given before the body is
 * read (a 4xx on the query or the headers, 413 on Content-Length, an idempotent replay) would
 * otherwise leave it unread: Jetty then reads what has already arrived and, if the client is still
 * sending, closes the connection, and a socket closed with unread input sends a TCP reset, which
 * can destroy the answer before the client reads it (the JDK client reports "Broken pipe" / "header
 * parser received no bytes"; RFC 9112 section 9.6). So after the answer is written the rest of the
 * body is read and dropped, up to {@link #DRAIN_BYTES} and {@link #DRAIN_TIME}; past either the
 * connection closes as before. An answer that cuts the upload off ({@code Connection: close}: too
 * slow, too large mid-body) is completed at once.
 */
final class Drain implements Callback {
  /**
   * The most of an unread request body read and dropped after its answer, and for how long; see
   * {@link Drain}.
   */
  static final long DRAIN_BYTES = 16L << 20;

  static final Duration DRAIN_TIME = Duration.ofSeconds(5);

  private final Scheduler scheduler;
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final AtomicBoolean completed = new AtomicBoolean();
  private long drained;
  private volatile Scheduler.Task deadline;

  Drain(Scheduler scheduler, Request request, Response response, Callback callback) {
    this.scheduler = scheduler;
    this.request = request;
    this.response = response;
    this.callback = callback;
  }

  @Override
  public void succeeded() {
    if (response.getHeaders().contains(HttpHeader.CONNECTION, "close")) {
      complete();
      return;
    }
    deadline = scheduler.schedule(this::complete, DRAIN_TIME.toMillis(), TimeUnit.MILLISECONDS);
    drain();
  }

  // Jetty's demand loop (read a chunk, else demand a call back), as in BodySpool's read(): the
  // two loops do different things with a chunk, so they stay apart (alike by design).
  private void drain() {
    while (!completed.get()) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(this::drain);
        return;
      }
      boolean over = chunk.isLast() || Content.Chunk.isFailure(chunk);
      drained += chunk.remaining();
      chunk.release();
      if (over || drained > DRAIN_BYTES) {
        complete();
        return;
      }
    }
  }

  private void complete() {
    if (completed.compareAndSet(false, true)) {
      if (deadline != null) {
        deadline.cancel();
      }
      callback.succeeded();
    }
  }

  @Override
  public void failed(Throwable failure) {
    if (completed.compareAndSet(false, true)) {
      if (deadline != null) {
        deadline.cancel();
      }
      callback.failed(failure);
    }
  }
}
