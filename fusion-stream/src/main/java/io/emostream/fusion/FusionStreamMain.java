package io.emostream.fusion;

import io.emostream.kafka.Env;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.ServiceRunner;

/**
 * Entry point of fusion-stream: reads {@link FusionConfig} from the environment and runs {@link
 * FusionStreamApp} through {@link ServiceRunner} (topics, metrics, health, closed on shutdown).
 */
public final class FusionStreamMain {

  private FusionStreamMain() {}

  public static void main(String[] args) throws Exception {
    Env env = Env.system();
    FusionConfig config = FusionConfig.fromEnv(env);
    ServiceRunner.run(
        "fusion-stream",
        env,
        config.kafka(),
        config.topics(),
        OpsConfig.FUSION_STREAM_PORT,
        meters -> new FusionStreamApp(config, meters));
  }
}
