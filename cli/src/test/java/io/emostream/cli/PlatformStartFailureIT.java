package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.Env;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that cannot start (here the video model's manifest is missing) fails {@link
 * EmbeddedPlatform#start} and leaves nothing running behind it: the embedded broker, fusion-stream
 * and the audio worker that did start are closed, and the fusion state folder is removed.
 */
class PlatformStartFailureIT {

  @TempDir Path tmp;

  @Test
  void aWorkerThatFailsToStartTakesTheBrokerAndFusionDownWithIt() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    int kafkaPort = freePort();
    Path missing = tmp.resolve("no-such-model/manifest.json");
    Env env =
        new Env(
            Map.of(
                EmbeddedPlatform.KAFKA_DATA_DIR_ENV,
                tmp.resolve("kafka").toString(),
                "EMOSTREAM_TOPIC_PREFIX",
                "fail-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "1",
                "EMOSTREAM_FUSION_APP_ID",
                "fail-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "fail-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "fail-video-" + run,
                "EMOSTREAM_VIDEO_MODEL",
                missing.toString()));

    assertThatThrownBy(() -> EmbeddedPlatform.start(env, Path.of(".."), kafkaPort))
        .hasStackTraceContaining("no-such-model");

    // the broker's port is free again, and no thread of this run's fusion-stream is left
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(canBind(kafkaPort))
                  .as("port %d of the embedded broker is free", kafkaPort)
                  .isTrue();
              assertThat(Thread.getAllStackTraces().keySet())
                  .filteredOn(Thread::isAlive)
                  .map(Thread::getName)
                  .noneMatch(name -> name.contains("fail-fusion-" + run));
            });
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
