package io.emostream.fusion;

import java.time.Duration;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.ops.Meters;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import io.emostream.tracing.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Entry point of fusion-stream: reads {@link FusionConfig} from the environment, makes sure the topics exist
 * (replication factor {@value #REPLICATION_ENV}, default 1), starts {@link FusionStreamApp} and closes it on
 * shutdown.
 */
public final class FusionStreamMain {

  public static final String REPLICATION_ENV = "EMOSTREAM_TOPIC_REPLICATION";

  private FusionStreamMain() {
  }

  public static void main(String[] args) throws java.io.IOException {
    Env env = Env.system();
    Tracing tracing = Tracing.installFromEnv(env, "fusion-stream");
    FusionConfig config = FusionConfig.fromEnv(env);
    short replication = (short) env.integer(REPLICATION_ENV, 1, 1, Short.MAX_VALUE);
    TopicAdmin.ensureTopics(config.kafka(), config.topics(), replication);
    PrometheusMeterRegistry meters = Meters.prometheus();
    FusionStreamApp app = new FusionStreamApp(config, meters);
    OpsServer ops = OpsServer.start(OpsConfig.fromEnv(env, OpsConfig.FUSION_STREAM_PORT), meters, java.util.List.of(app));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close(Duration.ofSeconds(30));
      ops.close();
      tracing.close();
    }, "fusion-stream-shutdown"));
    app.start();
  }
}
