package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import io.emostream.inference.OrderlyStop;
import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.IngestConfig;
import io.emostream.kafka.KafkaSettings;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/**
 * {@code emostream up}: keeps the embedded platform running for outside clients (Kafka, ingest
 * HTTP, the fused segments per source, metrics and health) until Ctrl-C.
 */
@Command(
    name = "up",
    abbreviateSynopsis = true,
    header =
        "keep the embedded platform running: Kafka, ingest HTTP, results per source; Ctrl-C stops it",
    description = {
      "Keep the embedded platform running: Kafka on $EMOSTREAM_KAFKA_PORT (9092), ingest HTTP on "
          + "$EMOSTREAM_HTTP_PORT (8080): POST /clips with a video body, GET /sources/ID the fused segments of a source "
          + "so far, GET / the endpoints; metrics and health on $EMOSTREAM_METRICS_PORT (9464): /metrics, /health/live, "
          + "/health/ready. A line per upload and per fused segment goes to stderr; Ctrl-C stops it."
    })
final class UpCommand extends CliCommand {

  /**
   * On a signal, once the intake is closed, how long the published segments get to be fused before
   * the workers stop.
   */
  static final Duration DRAIN_WAIT = Duration.ofSeconds(20);

  @Override
  int execute() throws Exception {
    int kafkaPort;
    String httpHost;
    int httpPortSetting;
    OpsConfig opsConfig;
    try { // every setting of up's own, before anything starts (the services': checkModels)
      kafkaPort =
          env.integer(
              EmbeddedPlatform.KAFKA_PORT_ENV, EmbeddedPlatform.DEFAULT_KAFKA_PORT, 1, 65535);
      httpHost = env.string(IngestConfig.HTTP_HOST_ENV, IngestConfig.DEFAULT_HTTP_HOST);
      httpPortSetting =
          env.integer(IngestConfig.HTTP_PORT_ENV, IngestConfig.DEFAULT_HTTP_PORT, 0, 65535);
      opsConfig = OpsConfig.fromEnv(env, OpsConfig.EMBEDDED_PORT);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    if (env.optional(KafkaSettings.BOOTSTRAP_ENV).isEmpty()) {
      Preflight.checkPortFree(
          env.string(EmbeddedPlatform.KAFKA_HOST_ENV, EmbeddedPlatform.DEFAULT_KAFKA_HOST),
          kafkaPort,
          "Kafka",
          EmbeddedPlatform.KAFKA_PORT_ENV,
          EmbeddedPlatform.KAFKA_HOST_ENV);
    }
    Preflight.checkPortFree(
        httpHost,
        httpPortSetting,
        "ingest HTTP",
        IngestConfig.HTTP_PORT_ENV,
        IngestConfig.HTTP_HOST_ENV);
    Preflight.checkPortFree(
        opsConfig.host(), opsConfig.port(), "metrics", OpsConfig.PORT_ENV, OpsConfig.HOST_ENV);
    Preflight.checkModels(env, home);
    Preflight.checkFusionRule(env, null);
    Preflight.checkTracing(env);
    FusedSegmentStore.Limits resultLimits = resultLimits();
    EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, kafkaPort);
    int httpPort;
    OpsServer ops;
    FusedSegmentStore results;
    try {
      results = platform.startResults(resultLimits, UpLog.listener(err));
      httpPort = platform.startHttp(httpHost, httpPortSetting, results);
      ops = platform.startOps(opsConfig);
    } catch (Exception e) {
      platform.close();
      throw e;
    }
    env.unknownWarnings().forEach(w -> err.println("emostream: warning: " + w));
    // On a signal, before the workers stop: no new media, then what was published is fused (the
    // workers and fusion are still up), for up to DRAIN_WAIT; the shutdown hook below then stops
    // the rest. Stopping the workers first left every clip published after the signal unfused.
    // A second signal meanwhile cuts these waits short (OrderlyStop interrupts this task).
    OrderlyStop.beforeWorkers(
        () -> {
          err.println(
              "emostream: stopping: no new uploads or live sources; waiting up to "
                  + DRAIN_WAIT.toSeconds()
                  + " s for the published segments to be fused (a second Ctrl-C or SIGTERM stops without"
                  + " waiting)");
          try {
            platform.stopIntake(); // interrupted: returns with the flag set
            int left = results.awaitFused(DRAIN_WAIT);
            if (Thread.interrupted()) {
              throw new InterruptedException();
            }
            if (left > 0) {
              err.printf(
                  "emostream: %d published segment(s) not fused yet after %s; stopping anyway (the"
                      + " workers finish the batches they hold, the rest stays in Kafka: with %s"
                      + " set, fused at the next start)%n",
                  left, DRAIN_WAIT, EmbeddedPlatform.KAFKA_DATA_DIR_ENV);
            }
          } catch (InterruptedException e) {
            platform.stopWithoutWaiting();
            err.printf(
                "emostream: stopping without waiting: %d published segment(s) not fused (they stay"
                    + " in Kafka: with %s set, fused at the next start)%n",
                results.unfused(), EmbeddedPlatform.KAFKA_DATA_DIR_ENV);
          }
        });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  err.println("emostream: stopping");
                  platform.close();
                  stopped.countDown();
                },
                "emostream-up-shutdown"));
    String base =
        "http://"
            + OpsServer.urlHost(
                env.string(IngestConfig.HTTP_HOST_ENV, IngestConfig.DEFAULT_HTTP_HOST))
            + ":"
            + httpPort;
    err.printf(
        "emostream is up: Kafka at %s, upload with%n"
            + "  curl --data-binary @clip.mp4 -H 'Content-Type: video/mp4'%s %s/clips%n"
            + "a line per upload and per fused segment follows here; a source's results: GET %s/sources/ID "
            + "(endpoints: GET %s/); fused results on topic %s; metrics on %s, health on %s; Ctrl-C to stop%n",
        platform.kafka().bootstrapServers(),
        env.optional(IngestConfig.TOKEN_ENV).isPresent()
            ? " -H \"Authorization: Bearer $EMOSTREAM_INGEST_TOKEN\""
            : "",
        base,
        base,
        base,
        platform.topics().fused().name(),
        ops.url("/metrics"),
        ops.url("/health/ready"));
    stopped.await();
    return 0;
  }

  private FusedSegmentStore.Limits resultLimits() {
    try {
      return FusedSegmentStore.Limits.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
  }
}
