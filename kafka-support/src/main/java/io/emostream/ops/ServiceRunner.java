package io.emostream.ops;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's life, the same for every {@code *Main}: make sure the catalogue's topics exist
 * (replication from {@link TopicsEnv#replication}), install tracing from the environment ({@link
 * Tracing#installFromEnv}: off unless configured), create the process's meter registry, build the
 * service, serve its metrics and health ({@link OpsServer}, {@link OpsConfig} from the
 * environment), install a named shutdown hook that closes the service (up to {@link #STOP_WAIT})
 * and then the ops server, start the service and wait for it. A process that runs models also calls
 * {@code OrderlyStop.installSignalHandlers()} first, so a signal stops its workers before ONNX
 * Runtime.
 */
public final class ServiceRunner {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

  /** How long the shutdown hook lets a service finish its work in flight (the README's 30 s). */
  public static final Duration STOP_WAIT = Duration.ofSeconds(30);

  private ServiceRunner() {}

  /** What the runner runs. */
  public interface Service {

    /** What {@code /health/live} and {@code /health/ready} report. */
    List<HealthCheck> healthChecks();

    /**
     * Starts the work, once the ops server and the shutdown hook are in place; by default it
     * started when built.
     */
    default void start() throws Exception {}

    /**
     * Stops, letting the work in flight finish for up to {@code timeout}; true when it stopped in
     * time.
     */
    boolean close(Duration timeout);

    /**
     * Waits while the service runs; by default returns at once (the service's own threads keep the
     * JVM running).
     */
    default void join() throws InterruptedException {}
  }

  /** Builds the service; its meters go to {@code meters}. */
  @FunctionalInterface
  public interface Factory {
    Service create(PrometheusMeterRegistry meters) throws Exception;
  }

  /** A started service with its ops server and shutdown hook. */
  public static final class Running implements AutoCloseable {

    private final Service service;
    private final OpsServer ops;
    private final Tracing tracing;
    private final KafkaReachability kafka;
    private final Thread hook;
    private final AtomicBoolean stopping;

    private Running(
        Service service,
        OpsServer ops,
        Tracing tracing,
        KafkaReachability kafka,
        Thread hook,
        AtomicBoolean stopping) {
      this.service = service;
      this.ops = ops;
      this.tracing = tracing;
      this.kafka = kafka;
      this.hook = hook;
      this.stopping = stopping;
    }

    public OpsServer ops() {
      return ops;
    }

    public void join() throws InterruptedException {
      service.join();
    }

    /**
     * The components that {@link HealthCheck#failed} while no stop was asked for (by {@link #close}
     * or this runner's shutdown hook): the service is broken for good. Empty while it runs or once
     * it was stopped.
     */
    public List<String> brokenForGood() {
      if (stopping.get()) {
        return List.of();
      }
      return service.healthChecks().stream()
          .filter(HealthCheck::failed)
          .map(HealthCheck::name)
          .toList();
    }

    /** Closes the service and the ops server now, and removes the shutdown hook that would have. */
    @Override
    public void close() {
      stopping.set(true);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        return; // the JVM is exiting: the hook closes them
      }
      stop(service, ops, tracing, kafka);
    }
  }

  /** {@link #start} then {@link Running#join}: the whole of a service's {@code main}. */
  public static void run(
      String name, Env env, KafkaSettings kafka, Topics topics, int defaultOpsPort, Factory factory)
      throws Exception {
    KilledLeftovers.sweep(); // what an earlier run killed with kill -9 left in the temporary folder
    Running running = start(name, env, kafka, topics, defaultOpsPort, factory);
    running.join();
    List<String> broken = running.brokenForGood();
    if (!broken.isEmpty()) {
      // the JVM lived on, not live and doing nothing, and a supervisor that restarts on exit
      // (Docker's restart policy) never did (found by a hostile-user pass)
      LOG.error(
          "{} ended without being stopped ({} failed): exiting with status 1 so that its"
              + " supervisor restarts it",
          name,
          broken);
      System.exit(1); // the shutdown hook closes what is left
    }
  }

  /**
   * Everything but the wait: topics, meters, the service, the ops server (port {@link
   * OpsConfig#PORT_ENV}, default {@code defaultOpsPort}), the shutdown hook {@code
   * <name>-shutdown}, then {@link Service#start}. What fails on the way closes what was started
   * before it.
   */
  public static Running start(
      String name, Env env, KafkaSettings kafka, Topics topics, int defaultOpsPort, Factory factory)
      throws Exception {
    OpsConfig opsConfig = OpsConfig.fromEnv(env, defaultOpsPort);
    TopicAdmin.ensureTopics(kafka, topics, TopicsEnv.replication(env));
    Tracing tracing =
        Tracing.installFromEnv(env, name); // before the service: its stages take Tracing.global()
    PrometheusMeterRegistry meters = Meters.prometheus();
    Service service;
    try {
      service = factory.create(meters);
    } catch (Exception | Error e) {
      tracing.close();
      throw e;
    }
    OpsServer ops = null;
    Thread hook = null;
    KafkaReachability reachability =
        KafkaReachability.start(kafka, KafkaReachability.INTERVAL, KafkaReachability.STALE);
    try {
      List<HealthCheck> checks = new ArrayList<>(service.healthChecks());
      checks.add(reachability);
      ops = OpsServer.start(opsConfig, meters, checks);
      OpsServer started = ops;
      AtomicBoolean stopping = new AtomicBoolean();
      hook =
          new Thread(
              () -> {
                stopping.set(true);
                stop(service, started, tracing, reachability);
              },
              name + "-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      service.start();
      env.unknownWarnings().forEach(LOG::warn);
      return new Running(service, ops, tracing, reachability, hook, stopping);
    } catch (Exception | Error e) {
      if (hook != null) {
        Runtime.getRuntime().removeShutdownHook(hook);
      }
      stop(service, ops, tracing, reachability);
      throw e;
    }
  }

  /**
   * The service (its work in flight), then the ops server, then tracing (flushing the spans not yet
   * exported).
   */
  private static void stop(
      Service service, OpsServer ops, Tracing tracing, KafkaReachability kafka) {
    try {
      if (!service.close(STOP_WAIT)) {
        LOG.warn("the service did not stop within {}", STOP_WAIT);
      }
    } finally {
      kafka.close();
      try {
        if (ops != null) {
          ops.close();
        }
      } finally {
        tracing.close();
      }
    }
  }
}
