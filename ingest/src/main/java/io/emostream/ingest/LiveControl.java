package io.emostream.ingest;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Asks a live source's pulling thread to stop, with a reason (stopped, shutdown), and lets it wait
 * between reconnects without missing the request. Thread-safe; the first reason wins.
 */
public final class LiveControl {

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile String reason;

  /** Asks to stop; the pulling thread publishes what is left and ends with {@code why}. */
  public synchronized void stop(String why) {
    if (reason == null) {
      reason = why;
      stopped.countDown();
    }
  }

  /** The reason given to {@link #stop}, or null while it should go on. */
  public String stopReason() {
    return reason;
  }

  /**
   * Waits up to {@code d} for a stop request; true when one came. An interrupt counts as a request
   * to stop (reason shutdown).
   */
  boolean awaitStop(Duration d) {
    try {
      return stopped.await(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop(SourceEvents.SHUTDOWN);
      return true;
    }
  }
}
