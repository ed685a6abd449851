package io.emostream.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Closes a connection that has not sent a whole request head within {@code timeout} of opening, or
 * of the answer to its previous request. Jetty's idle timeout alone restarts at every byte, so a
 * client that sends its head one byte at a time (slowloris) would hold its connection for ever;
 * this bounds the whole head.
 *
 * <p>The server calls {@link #requestStarted} when a request's head has been parsed and {@link
 * #requestEnded} once it is answered; the timer runs only between the two. A head completed in the
 * instant the timer fires may still see its connection closed (the client then retries); the window
 * is the time Jetty takes to hand a parsed head to the handler.
 */
final class RequestHeadTimeout implements Connection.Listener {

  private final Scheduler scheduler;
  private final long timeoutMs;
  private final Runnable onCutOff;
  private final Map<Connection, Watch> watches = new ConcurrentHashMap<>();

  RequestHeadTimeout(Scheduler scheduler, Duration timeout, Runnable onCutOff) {
    this.scheduler = scheduler;
    this.timeoutMs = timeout.toMillis();
    this.onCutOff = onCutOff;
  }

  @Override
  public void onOpened(Connection connection) {
    Watch watch = new Watch(connection);
    watches.put(connection, watch);
    watch.arm();
  }

  @Override
  public void onClosed(Connection connection) {
    Watch watch = watches.remove(connection);
    if (watch != null) {
      watch.disarm();
    }
  }

  void requestStarted(Connection connection) {
    Watch watch = watches.get(connection);
    if (watch != null) {
      watch.disarm();
    }
  }

  void requestEnded(Connection connection) {
    Watch watch = watches.get(connection);
    if (watch != null) {
      watch.arm();
    }
  }

  /** Open connections being watched (for tests). */
  int watched() {
    return watches.size();
  }

  private final class Watch {
    private final Connection connection;
    private Scheduler.Task task;
    private long armedAt;

    Watch(Connection connection) {
      this.connection = connection;
    }

    synchronized void arm() {
      disarm();
      long armed = System.nanoTime();
      armedAt = armed;
      task = scheduler.schedule(() -> expire(armed), timeoutMs, TimeUnit.MILLISECONDS);
    }

    synchronized void disarm() {
      if (task != null) {
        task.cancel();
        task = null;
      }
    }

    private void expire(long armed) {
      synchronized (this) {
        if (task == null || armedAt != armed) {
          return; // a request head arrived, or the watch was re-armed, in the meantime
        }
        task = null;
      }
      onCutOff.run();
      connection.getEndPoint().close();
    }
  }
}
