package io.emostream.fusion;

import io.emostream.kafka.KafkaClients;
import io.emostream.ops.HealthCheck;
import io.emostream.ops.ServiceRunner;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fusion-stream service: a {@link KafkaStreams} client running {@link FusionTopology} exactly
 * once. In: the manifest and both prediction topics; for the per-source summary, the fused and
 * sources topics ({@link SourceSummaryTopology}). Out: the fused topic, one summary per ended
 * source, and the dead-letter topic for records it cannot decode or use ({@link
 * DeadLetterExceptionHandler}). Meters: {@link FusionMetrics} and every Streams metric (consumer
 * lag, {@code late-records-total}, {@code clips-without-manifest-total}, ...).
 */
public final class FusionStreamApp implements AutoCloseable, HealthCheck, ServiceRunner.Service {

  /**
   * Under exactly-once, results become visible to read_committed consumers only when the task's
   * transaction commits, once per commit interval; 100 ms keeps that delay small next to model
   * inference time. It is also Streams' exactly-once default, pinned here so the reasoning is
   * visible; {@code KAFKA_COMMIT_INTERVAL_MS} can still tune it.
   */
  public static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);

  private static final Logger LOG = LoggerFactory.getLogger(FusionStreamApp.class);

  private final FusionConfig config;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final CountDownLatch ended = new CountDownLatch(1);

  public FusionStreamApp(FusionConfig config, MeterRegistry meters) {
    this(config, Map.of(), meters);
  }

  /**
   * @param overrides Streams properties that win over everything else (tests: {@code state.dir})
   */
  public FusionStreamApp(FusionConfig config, Map<String, Object> overrides, MeterRegistry meters) {
    this.config = config;
    this.streams =
        new KafkaStreams(
            FusionTopology.build(config, new FusionMetrics(meters)),
            streamsProperties(config, overrides));
    // Tagged like the workers' clients, so their metrics of the same name can share one registry
    // (./emostream up).
    this.streamsMetrics =
        new KafkaStreamsMetrics(streams, List.of(Tag.of("service", "fusion-stream")));
    streamsMetrics.bindTo(meters);
    streams.setUncaughtExceptionHandler(
        error -> {
          LOG.error(
              "stream thread of {} died; replacing it (tasks resume from their last commit)",
              config.applicationId(),
              error);
          return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener(
        (to, from) -> {
          LOG.info("{} state {} -> {}", config.applicationId(), from, to);
          if (to == KafkaStreams.State.ERROR || to == KafkaStreams.State.NOT_RUNNING) {
            ended.countDown();
          }
        });
  }

  /** Returns once Streams has failed for good ({@code ERROR}) or was shut down. */
  @Override
  public void join() throws InterruptedException {
    ended.await();
  }

  /**
   * The Streams properties: tunable defaults (the session timeout the workers have too: {@link
   * KafkaClients#SESSION_TIMEOUT}), then every {@code KAFKA_*} setting, then what this service
   * relies on (application id, exactly-once, error handlers, dead-letter topic), then {@code
   * overrides}. {@code replication.factor} is left at -1 so the broker's default applies to
   * internal topics.
   */
  public static Properties streamsProperties(FusionConfig config, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL.toMillis());
    // the join and the summary take their records in any order (a clip's three records, a
    // source's segments and its end, each with a wall-clock wait), so no task waits for data on
    // its other partitions; Streams 4.3 also formats log strings per record while it may wait
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    // a replica that died without leaving (kill -9) hands its tasks over after 10 s, not
    // Streams' 45 s, during which its clips were not fused
    props.putAll(KafkaClients.sessionTimeoutDefaults(config.kafka()));
    props.putAll(config.kafka().asMap());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterExceptionHandler.class);
    props.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class);
    props.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
        config.topics().deadLetters().name());
    // a dead letter is its input record byte for byte: as large as the topics allow, not 1 MB
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Topics.MAX_MESSAGE_BYTES + 1024);
    props.putAll(overrides);
    Properties properties = new Properties();
    properties.putAll(props);
    return properties;
  }

  @Override
  public void start() {
    LOG.info("starting {}", config);
    streams.start();
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(this);
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public String name() {
    return "fusion-stream";
  }

  /** Live unless Streams has failed for good (every thread dead) or was shut down. */
  @Override
  public boolean isLive() {
    KafkaStreams.State state = streams.state();
    return state != KafkaStreams.State.ERROR
        && state != KafkaStreams.State.PENDING_ERROR
        && state != KafkaStreams.State.NOT_RUNNING;
  }

  /** Streams failed for good ({@code ERROR}); a shutdown is not a failure. */
  @Override
  public boolean failed() {
    return streams.state() == KafkaStreams.State.ERROR;
  }

  /** Ready while processing (a rebalance in progress included). */
  @Override
  public boolean isReady() {
    KafkaStreams.State state = streams.state();
    return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
  }

  /**
   * Late or duplicate records dropped for clips already done (fused, or dropped without a manifest)
   * since start.
   */
  public long lateRecords() {
    return FusionTopology.lateRecords(streams.metrics());
  }

  /**
   * Stops processing, commits, leaves the consumer group, and waits up to {@code timeout}; true
   * when it closed in time. Leaving the group (Streams stays in it by default) lets the next
   * instance, such as this one restarted, get the partitions at once instead of after the group's
   * session timeout (45 s), during which nothing is fused.
   */
  @Override
  public boolean close(Duration timeout) {
    boolean closed =
        streams.close(
            CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(timeout));
    streamsMetrics.close();
    LOG.info(
        "{} closed{}", config.applicationId(), closed ? "" : " (timed out after " + timeout + ")");
    return closed;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
