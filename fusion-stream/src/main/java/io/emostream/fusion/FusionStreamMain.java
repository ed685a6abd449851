package io.emostream.fusion;

import java.time.Duration;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;

/**
 * Entry point of fusion-stream: reads {@link FusionConfig} from the environment, makes sure the topics exist
 * (replication factor {@value #REPLICATION_ENV}, default 1), starts {@link FusionStreamApp} and closes it on
 * shutdown.
 */
public final class FusionStreamMain {

  public static final String REPLICATION_ENV = "EMOSTREAM_TOPIC_REPLICATION";

  private FusionStreamMain() {
  }

  public static void main(String[] args) {
    Env env = Env.system();
    FusionConfig config = FusionConfig.fromEnv(env);
    short replication = (short) env.integer(REPLICATION_ENV, 1, 1, Short.MAX_VALUE);
    TopicAdmin.ensureTopics(config.kafka(), config.topics(), replication);
    FusionStreamApp app = new FusionStreamApp(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> app.close(Duration.ofSeconds(30)), "fusion-stream-shutdown"));
    app.start();
  }
}
