package io.emostream.ingest;

import java.nio.file.Path;
import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;

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
    TopicAdmin.ensureTopics(config.kafka(), config.topics(), TopicsEnv.replication(env));
    IngestService service = new IngestService(config, Clock.systemUTC());
    if (args.length > 0) {
      try (service) {
        for (String arg : args) {
          Path file = Path.of(arg);
          IngestService.Result result = service.ingest(file, file.getFileName().toString(), null);
          result.clips().forEach(clip -> System.out.println(clip.clipId()));
        }
      }
      return;
    }
    IngestHttpServer http = new IngestHttpServer(config, service);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("ingest shutting down");
      http.close();
      service.close();
    }, "ingest-shutdown"));
    http.start();
    Thread.currentThread().join();
  }

}
