package io.emostream.ingest;

import java.nio.file.Path;
import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.ops.Meters;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import io.emostream.tracing.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The ingest service. With no arguments it serves HTTP uploads ({@code POST /clips}) until stopped;
 * with file arguments it ingests those files, prints each clip id and exits.
 */
public final class IngestMain {

  private static final Logger LOG = LoggerFactory.getLogger(IngestMain.class);

  private IngestMain() {
  }

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
    TopicAdmin.ensureTopics(config.kafka(), config.topics(), TopicsEnv.replication(env));
    Tracing tracing = Tracing.installFromEnv(env, "ingest");
    if (args.length > 0) {
      IngestService service = new IngestService(config, Clock.systemUTC());
      try (tracing; service) {
        for (String arg : args) {
          Path file = Path.of(arg);
          IngestService.Result result = service.ingest(file, file.getFileName().toString(), null);
          result.clips().forEach(clip -> System.out.println(clip.clipId()));
        }
      }
      return;
    }
    PrometheusMeterRegistry meters = Meters.prometheus();
    IngestService service = new IngestService(config, Clock.systemUTC(), meters);
    IngestHttpServer http = new IngestHttpServer(config, service, meters);
    OpsServer ops = OpsServer.start(OpsConfig.fromEnv(env, OpsConfig.INGEST_PORT), meters, java.util.List.of(http));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("ingest shutting down: no new uploads, finishing those in flight");
      http.close(IngestHttpServer.SHUTDOWN_GRACE);
      service.close();
      ops.close();
      tracing.close();
    }, "ingest-shutdown"));
    http.start();
    Thread.currentThread().join();
  }

}
