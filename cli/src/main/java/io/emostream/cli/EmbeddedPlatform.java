package io.emostream.cli;

import io.emostream.audio.AudioWorkerMain;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.FusionStreamApp;
import io.emostream.inference.OrderlyStop;
import io.emostream.inference.OrtTempDir;
import io.emostream.inference.VadConfig;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.FusedTopicFeed;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.IngestHttpServer;
import io.emostream.ingest.IngestService;
import io.emostream.ingest.LiveSources;
import io.emostream.ingest.Segmentation;
import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.kafka.embedded.EmbeddedKafkaBroker;
import io.emostream.ops.HealthCheck;
import io.emostream.ops.KilledLeftovers;
import io.emostream.ops.Meters;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import io.emostream.schemas.FusionRule;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.emostream.video.FaceConfig;
import io.emostream.video.VideoWorkerMain;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a real Kafka broker in this JVM (unless KAFKA_BOOTSTRAP_SERVERS names a
 * cluster) and the four services wired exactly as in the distributed deployment (same classes, same
 * topics, same transactions), only started in one process. Closed in reverse order of start. Every
 * service registers its meters in one registry, served with the health of all of them by {@link
 * #startOps}.
 */
public final class EmbeddedPlatform implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPlatform.class);

  /**
   * Where the embedded broker listens (default {@value #DEFAULT_KAFKA_HOST}); unused with
   * KAFKA_BOOTSTRAP_SERVERS.
   */
  public static final String KAFKA_HOST_ENV = "EMOSTREAM_KAFKA_HOST";

  public static final String DEFAULT_KAFKA_HOST = "127.0.0.1";

  /**
   * The embedded broker's port in {@code up} (default {@value #DEFAULT_KAFKA_PORT}; {@code analyze}
   * picks a free one).
   */
  public static final String KAFKA_PORT_ENV = "EMOSTREAM_KAFKA_PORT";

  public static final int DEFAULT_KAFKA_PORT = 9092;

  /** The embedded broker's log folder (default a temporary one, removed on close). */
  public static final String KAFKA_DATA_DIR_ENV = "EMOSTREAM_KAFKA_DATA_DIR";

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final KafkaSettings kafka;
  private final Topics topics;
  private final IngestConfig ingestConfig;
  private final IngestService ingest;
  private final LiveSources live;
  private volatile boolean stopNow;
  private volatile Thread liveStop;
  private final PrometheusMeterRegistry meters = Meters.prometheus();
  private final List<HealthCheck> health = new ArrayList<>();
  private IngestHttpServer http;
  private FusionConfig fusionConfig;
  private boolean closed;
  private final Thread onExit = new Thread(this::closeServices, "emostream-platform-cleanup");

  /**
   * What the uploads in flight get after {@link #stopWithoutWaiting}: enough for the cut-off to
   * reach their reads, so they are answered 503 with their clips rather than a closed connection.
   */
  private static final Duration STOP_NOW_GRACE = Duration.ofSeconds(3);

  private EmbeddedPlatform(Env env, Path home, int kafkaPort) throws Exception {
    // a failed start closes what did start, so it leaves no broker running and no temporary folder
    // behind; a signal
    // while starting closes it from the hook, and what starts after that is closed at once (track)
    Runtime.getRuntime().addShutdownHook(onExit);
    OrtTempDir.deleteOnExit();
    KilledLeftovers.sweep();
    Path workDir = env.path(IngestConfig.WORK_DIR_ENV, null);
    if (workDir != null && Files.isDirectory(workDir)) {
      KilledLeftovers.sweep(workDir);
    }
    try {
      installTracing(env);
      String external = env.optional(KafkaSettings.BOOTSTRAP_ENV).orElse(null);
      if (external == null) {
        Path dataDir = env.optional(KAFKA_DATA_DIR_ENV).map(Path::of).orElse(null);
        if (dataDir != null) {
          Files.createDirectories(dataDir);
          track(DataDirLock.acquire(dataDir, KAFKA_DATA_DIR_ENV));
        }
        EmbeddedKafkaBroker broker =
            EmbeddedKafkaBroker.start(
                env.string(KAFKA_HOST_ENV, DEFAULT_KAFKA_HOST), kafkaPort, dataDir);
        track(broker);
        kafka = KafkaSettings.fromEnv(new Env(withBootstrap(env, broker.bootstrapServers())));
      } else {
        kafka = KafkaSettings.fromEnv(env);
        LOG.info("using the Kafka cluster at {}", external);
      }
      topics = TopicsEnv.fromEnv(env);
      TopicAdmin.ensureTopics(kafka, topics, TopicsEnv.replication(env));

      Path stateDir = Files.createTempDirectory(KilledLeftovers.statePrefix());
      track(
          () -> KilledLeftovers.deleteRecursively(stateDir)); // after fusion has closed its stores
      fusionConfig = FusionConfig.fromEnv(env).withKafka(kafka, topics);
      FusionStreamApp fusion =
          new FusionStreamApp(fusionConfig, Map.of("state.dir", stateDir.toString()), meters);
      fusion.start();
      track(() -> fusion.close(Duration.ofSeconds(30)));
      health.add(fusion);

      WorkerService audio =
          AudioWorkerMain.start(
              workerConfig(env, "AUDIO", home.resolve(AudioWorkerMain.DEFAULT_MODEL)),
              VadConfig.fromEnv(env, home.resolve(VadConfig.DEFAULT_MODEL)),
              meters);
      track(() -> audio.close(Duration.ofSeconds(30)));
      health.add(audio.health());
      WorkerService video =
          VideoWorkerMain.start(
              workerConfig(env, "VIDEO", home.resolve(VideoWorkerMain.DEFAULT_MODEL)),
              FaceConfig.fromEnv(env),
              meters);
      track(() -> video.close(Duration.ofSeconds(30)));
      health.add(video.health());

      ingestConfig =
          IngestConfig.fromEnv(env)
              .withKafka(kafka, topics)
              .withSegmentation(Segmentation.fromEnv(env, home.resolve(VadConfig.DEFAULT_MODEL)));
      ingest = new IngestService(ingestConfig, Clock.systemUTC(), meters);
      track(ingest);
      live = new LiveSources(ingestConfig, ingest, null);
      // closed before ingest: live sources publish their last clip and ENDED first
      track(() -> live.close(stopNow ? Duration.ZERO : live.shutdownGrace()));
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /**
   * With tracing configured (EMOSTREAM_TRACING, OTEL_EXPORTER_OTLP_ENDPOINT), the four services
   * trace as service {@code emostream} until the platform closes (last, after them); otherwise the
   * process's tracing stays as it is.
   */
  private void installTracing(Env env) {
    Tracing tracing = Tracing.fromEnv(env, "emostream");
    if (tracing.enabled()) {
      Tracing previous = Tracing.install(tracing);
      track(
          () -> {
            Tracing.install(previous);
            tracing.close();
          });
    }
  }

  private WorkerConfig workerConfig(Env env, String prefix, Path defaultModel) {
    return WorkerConfig.fromEnv(env, prefix, defaultModel).withKafka(kafka, topics);
  }

  private static Map<String, String> withBootstrap(Env env, String bootstrap) {
    Map<String, String> vars = new HashMap<>(env.asMap());
    vars.put(KafkaSettings.BOOTSTRAP_ENV, bootstrap);
    return vars;
  }

  /**
   * Starts the platform; {@code kafkaPort} 0 picks a free port. Until {@link #close} it is also
   * closed by a shutdown hook, so a run stopped by a signal (Ctrl-C: {@code OrderlyStop} stops the
   * workers, then exits) still removes its temporary state: the broker's log folder and the fusion
   * state folder.
   */
  public static EmbeddedPlatform start(Env env, Path home, int kafkaPort) throws Exception {
    return new EmbeddedPlatform(env, home, kafkaPort);
  }

  /** Also serves ingest over HTTP ({@code POST /clips}). */
  public int startHttp(String host, int port) throws IOException {
    return startHttp(host, port, null);
  }

  /**
   * Also serves ingest over HTTP, with {@code GET /sources/{id}} answered from {@code results}
   * (null: not served).
   */
  public int startHttp(String host, int port, FusedSegmentStore results) throws IOException {
    http =
        new IngestHttpServer(
            ingestConfig.withHttp(host, port), ingest, meters, Clock.systemUTC(), results, live);
    if (fusionConfig.rules().logisticRegression() == null) {
      http.refuseRule(
          FusionRule.LOGISTIC_REGRESSION,
          "it needs a trained model and fusion has none; set "
              + FusionConfig.LR_MODEL_ENV
              + " to a file written by './emostream train-fusion DIR --out FILE'");
    }
    http.start();
    IngestHttpServer server = http;
    track(() -> server.close(httpGrace()));
    health.add(http);
    return http.port();
  }

  /**
   * Keeps the fused segments of recent sources in memory, fed by a consumer of the fused topic from
   * its end now (what {@code ./emostream up} answers {@code GET /sources/{id}} from); the consumer
   * stops with the platform.
   */
  public FusedSegmentStore startResults(
      FusedSegmentStore.Limits limits, FusedSegmentStore.Listener listener) {
    FusedSegmentStore store = new FusedSegmentStore(limits, listener);
    FusedTopicFeed feed = new FusedTopicFeed(kafka, topics, store);
    track(feed);
    feed.start();
    return store;
  }

  /**
   * Serves the metrics of every service and their health on one port ({@code /metrics}, {@code
   * /health/*}).
   */
  public OpsServer startOps(OpsConfig config) throws IOException {
    OpsServer ops = OpsServer.start(config, meters, List.copyOf(health));
    track(ops);
    return ops;
  }

  /**
   * Stops what brings media in, before the rest of the platform: the HTTP server (no new request;
   * the uploads in flight are answered within its grace, those still arriving 25 s in cut off
   * before their next clip) and, at the same time, every live source (each publishes its last clip
   * and its ENDED event). The workers and fusion go on, so what was published can still be fused.
   * {@link #close} does it again as a no-op.
   */
  public void stopIntake() {
    Thread liveStopping = new Thread(live::close, "emostream-live-stop");
    liveStop = liveStopping;
    liveStopping.start();
    IngestHttpServer server = http;
    if (server != null) {
      server.close(httpGrace());
    }
    try {
      liveStopping.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * From now on the stop waits for nothing in flight: a live source still connecting is left at
   * once, and an upload still arriving is cut off and answered within {@link #STOP_NOW_GRACE} (the
   * clips it published stay in Kafka), instead of within their graces. What a second signal during
   * {@code up}'s drain asks for.
   */
  public void stopWithoutWaiting() {
    stopNow = true;
    Thread liveStopping = liveStop;
    if (liveStopping != null) {
      liveStopping.interrupt();
    }
  }

  /** How long the HTTP server's stop lets the uploads in flight be answered. */
  private Duration httpGrace() {
    return stopNow ? STOP_NOW_GRACE : IngestHttpServer.SHUTDOWN_GRACE;
  }

  public IngestService ingest() {
    return ingest;
  }

  /** The live sources ({@code POST /streams}, {@code analyze URL}). */
  public LiveSources live() {
    return live;
  }

  public KafkaSettings kafka() {
    return kafka;
  }

  public Topics topics() {
    return topics;
  }

  /**
   * Stops every service and removes the temporary folders; takes a few seconds. A first signal
   * meanwhile (Ctrl-C after the results were printed) is answered with a line and the close goes
   * on, so the command still ends with its own exit code; a second one exits, and the shutdown
   * hook, still registered until the close is done, waits for it, so no folder is left behind (the
   * hook used to be removed first, and an exit during the close left the broker's and fusion's
   * folders).
   */
  @Override
  public void close() {
    try (AutoCloseable signal = finishing()) {
      closeServices();
    } catch (Exception e) {
      LOG.warn("error while stopping the embedded platform", e);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      // the JVM is already exiting: the hook runs closeServices too, which finds nothing left
    }
  }

  /**
   * Until closed, a first signal is answered with a line instead of stopping the process: what a
   * command opens once its results are out and only the platform's stop is left ({@link #close}
   * opens one too).
   */
  static AutoCloseable finishing() {
    return OrderlyStop.interceptFirstSignal(
        () ->
            System.err.println(
                "emostream: finishing: stopping the platform and removing its temporary files"));
  }

  /**
   * Adds a started service (or a folder to delete) to what close() stops; once closed, closes it at
   * once.
   */
  private synchronized void track(AutoCloseable service) {
    if (closed) {
      try {
        service.close();
      } catch (Exception e) {
        LOG.warn("error while stopping the embedded platform", e);
      }
      return;
    }
    started.push(service);
  }

  /**
   * Closes what was started, in reverse order; a second call (the hook and close() both) finds
   * nothing left.
   */
  private synchronized void closeServices() {
    closed = true;
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        LOG.warn("error while stopping the embedded platform", e);
      }
    }
  }
}
