package io.emostream.ops;

import io.emostream.kafka.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kafka} component of a distributed service's health: ready while the Kafka cluster
 * answered a metadata request ({@code describeCluster}) within the last {@code stale}, asked every
 * {@code interval} on a daemon thread. Always live: a broker outage is not the process's fault, and
 * restarting it would not help. Without it every service answered {@code /health/ready} 200 through
 * a minute of broker outage (ingest's uploads failing with 503 meanwhile; found by a hostile-user
 * pass).
 */
public final class KafkaReachability implements HealthCheck, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaReachability.class);

  public static final Duration INTERVAL = Duration.ofSeconds(5);
  public static final Duration STALE = Duration.ofSeconds(15);

  private final Admin admin;
  private final ScheduledExecutorService timer;
  private final int timeoutMs;
  private final Duration stale;
  private volatile long lastAnswerNanos;
  private volatile boolean reported;

  /**
   * Starts asking; counts as reachable from the start for {@code stale} (the caller has just talked
   * to the cluster, e.g. created its topics).
   */
  public static KafkaReachability start(KafkaSettings kafka, Duration interval, Duration stale) {
    return new KafkaReachability(kafka, interval, stale);
  }

  private KafkaReachability(KafkaSettings kafka, Duration interval, Duration stale) {
    this.timeoutMs = (int) Math.max(1, interval.toMillis());
    this.stale = stale;
    this.lastAnswerNanos = System.nanoTime();
    this.admin =
        Admin.create(
            kafka.with(
                Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG,
                    "emostream-health",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    timeoutMs,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                    timeoutMs)));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "emostream-kafka-health");
              thread.setDaemon(true);
              return thread;
            });
    timer.scheduleWithFixedDelay(this::ask, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void ask() {
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
          .clusterId()
          .get(timeoutMs * 2L, TimeUnit.MILLISECONDS);
      lastAnswerNanos = System.nanoTime();
      if (reported) {
        LOG.info("the Kafka cluster answers again: ready");
        reported = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!isReady() && !reported) {
        LOG.warn(
            "the Kafka cluster has not answered for {}: not ready ({})",
            stale,
            e.getClass().getSimpleName());
        reported = true;
      }
    }
  }

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public boolean isLive() {
    return true;
  }

  @Override
  public boolean isReady() {
    return System.nanoTime() - lastAnswerNanos <= stale.toNanos();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(2));
  }
}
