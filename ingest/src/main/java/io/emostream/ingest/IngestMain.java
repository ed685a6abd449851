package io.emostream.ingest;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.ops.HealthCheck;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.ServiceRunner;
import io.emostream.tracing.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service. With no arguments it serves HTTP uploads ({@code POST /clips}) until stopped;
 * with file arguments it ingests those files, prints each clip id and exits.
 */
public final class IngestMain {

  private static final Logger LOG = LoggerFactory.getLogger(IngestMain.class);

  private IngestMain() {}

  public static void main(String[] args) throws Exception {
    Env env = Env.system();
    IngestConfig config = IngestConfig.fromEnv(env);
    if (args.length == 0) {
      try {
        config.checkAuthConfigured();
      } catch (IllegalStateException e) {
        System.err.println("ingest: " + e.getMessage());
        System.exit(2);
      }
    }
    if (args.length > 0) {
      TopicAdmin.ensureTopics(config.kafka(), config.topics(), TopicsEnv.replication(env));
      Tracing tracing = Tracing.installFromEnv(env, "ingest");
      IngestService service = new IngestService(config, Clock.systemUTC());
      try (tracing;
          service) {
        for (String arg : args) {
          Path file = Path.of(arg);
          IngestService.Result result = service.ingest(file, file.getFileName().toString(), null);
          result.clips().forEach(clip -> System.out.println(clip.clipId()));
        }
      }
      return;
    }
    ServiceRunner.run(
        "ingest",
        env,
        config.kafka(),
        config.topics(),
        OpsConfig.INGEST_PORT,
        meters -> new HttpIngest(config, meters));
  }

  /** The upload server and the publisher behind it, as one service; runs until the JVM stops. */
  private static final class HttpIngest implements ServiceRunner.Service {

    private final IngestService service;
    private final LiveSources live;
    private final IngestHttpServer http;

    HttpIngest(IngestConfig config, PrometheusMeterRegistry meters) throws Exception {
      BodySpool.deleteKilledSpools(config.workDir()); // a kill -9 ran no hook to delete them
      this.service = new IngestService(config, Clock.systemUTC(), meters);
      this.live = new LiveSources(config, service, null);
      try {
        this.http = new IngestHttpServer(config, service, meters, Clock.systemUTC(), null, live);
      } catch (Exception | Error e) {
        service.close();
        throw e;
      }
    }

    @Override
    public List<HealthCheck> healthChecks() {
      return List.of(http);
    }

    @Override
    public void start() {
      http.start();
    }

    /**
     * Uploads in flight get {@link IngestHttpServer#SHUTDOWN_GRACE}, whatever the runner's timeout.
     */
    @Override
    public boolean close(Duration timeout) {
      LOG.info(
          "ingest shutting down: no new uploads, finishing those in flight; stopping {} live"
              + " source(s)",
          live.running());
      // The live sources stop at once, beside the uploads' grace, not after it: they went on
      // publishing for the uploads' 30 s, and a docker stop's 10 s killed them before their ENDED
      // event (found by helper-48). Each publishes its last clip and ENDED (reason shutdown).
      Thread liveStopping = new Thread(live::close, "ingest-live-stop");
      liveStopping.start();
      http.close(IngestHttpServer.SHUTDOWN_GRACE);
      try {
        liveStopping.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      service.close();
      return true;
    }

    @Override
    public void join() throws InterruptedException {
      Thread.currentThread().join();
    }
  }
}
