package io.emostream.ops;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A service's {@code main} through {@link ServiceRunner#run} whose work ends by itself, failed, a
 * moment after it started (as a worker's loop did on an exception): {@code ServiceRunnerIT} runs it
 * as a child JVM. Args: bootstrap servers, topic prefix, ops port.
 */
public final class FailingServiceMain {

  private FailingServiceMain() {}

  public static void main(String[] args) throws Exception {
    Env env = new Env(Map.of(OpsConfig.PORT_ENV, args[2]));
    ServiceRunner.run(
        "failing",
        env,
        KafkaSettings.bootstrap(args[0]),
        new Topics(args[1], 1),
        1,
        meters ->
            new ServiceRunner.Service() {
              private volatile boolean ended;

              @Override
              public List<HealthCheck> healthChecks() {
                return List.of(
                    new HealthCheck() {
                      @Override
                      public String name() {
                        return "work";
                      }

                      @Override
                      public boolean isLive() {
                        return !ended;
                      }

                      @Override
                      public boolean isReady() {
                        return !ended;
                      }
                    });
              }

              @Override
              public void join() {
                ended = true; // the work "died" as soon as it was waited for
              }

              @Override
              public boolean close(Duration timeout) {
                return true;
              }
            });
  }
}
