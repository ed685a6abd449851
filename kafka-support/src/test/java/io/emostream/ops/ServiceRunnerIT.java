package io.emostream.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.testkit.TestKafka;
import io.emostream.topics.Topics;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A service's life through {@link ServiceRunner}, on the real broker. */
class ServiceRunnerIT {

  private final KafkaSettings kafka = KafkaSettings.bootstrap(TestKafka.bootstrapServers());
  private final Topics topics = new Topics("runner-" + UUID.randomUUID() + ".", 1);
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void createsTheTopicsServesHealthStartsAfterTheOpsServerAndClosesBoth() throws Exception {
    int port = freePort();
    Env env = new Env(Map.of(OpsConfig.PORT_ENV, Integer.toString(port)));
    FakeService service = new FakeService(port, false);

    ServiceRunner.Running running =
        ServiceRunner.start("fake", env, kafka, topics, 1, meters -> service);
    try {
      try (Admin admin = Admin.create(kafka.asMap())) {
        assertThat(admin.listTopics().names().get())
            .containsAll(topics.all().stream().map(Topics.Topic::name).toList());
      }
      assertThat(service.events).containsExactly("start:ops-up");
      assertThat(running.ops().port()).isEqualTo(port);
      HttpResponse<String> ready = get(running.ops().url("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).contains("\"fake\":\"UP\"", "\"kafka\":\"UP\"");
    } finally {
      running.close();
    }
    assertThat(service.events).containsExactly("start:ops-up", "close:" + ServiceRunner.STOP_WAIT);
    assertThatThrownBy(() -> get("http://127.0.0.1:" + port + "/health/live"))
        .isInstanceOf(ConnectException.class);
  }

  /**
   * The {@code kafka} component: ready while the cluster answers, not ready once it has not for the
   * staleness, never not live (a broker outage is not the process's fault).
   */
  @Test
  void kafkaIsReadyWhileTheClusterAnswersAndNotReadyOnceItHasNotForTheStaleness() throws Exception {
    Duration interval = Duration.ofMillis(200);
    Duration stale = Duration.ofMillis(800);
    try (KafkaReachability up = KafkaReachability.start(kafka, interval, stale)) {
      // ready throughout more than twice the staleness: a few asks, each answered
      Awaitility.await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(4))
          .until(up::isReady);
      assertThat(up.name()).isEqualTo("kafka");
      assertThat(up.isLive()).isTrue();
    }
    int closed = freePort(); // nothing listens there
    try (KafkaReachability down =
        KafkaReachability.start(KafkaSettings.bootstrap("127.0.0.1:" + closed), interval, stale)) {
      assertThat(down.isReady()).as("reachable for the staleness from the start").isTrue();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !down.isReady());
      assertThat(down.isLive()).isTrue();
    }
  }

  /**
   * A service whose work ended by itself, failed, exits with status 1 so that its supervisor
   * restarts it: the JVM lived on, not live and doing nothing (a worker whose loop died of an
   * exception; found by a hostile-user pass).
   */
  @Test
  void aServiceWhoseWorkFailedExitsWithStatusOne() throws Exception {
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                FailingServiceMain.class.getName(),
                TestKafka.bootstrapServers(),
                "failing-" + UUID.randomUUID() + ".",
                Integer.toString(freePort()))
            .redirectErrorStream(true)
            .start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();

    assertThat(child.exitValue()).as(output).isEqualTo(1);
    assertThat(output).contains("failing ended without being stopped ([work] failed)");
  }

  @Test
  void aServiceThatFailsToStartIsClosedWithItsOpsServer() throws Exception {
    int port = freePort();
    Env env = new Env(Map.of(OpsConfig.PORT_ENV, Integer.toString(port)));
    FakeService service = new FakeService(port, true);

    assertThatThrownBy(() -> ServiceRunner.start("fake", env, kafka, topics, 1, meters -> service))
        .hasMessage("cannot start");
    assertThat(service.events).containsExactly("start:ops-up", "close:" + ServiceRunner.STOP_WAIT);
    assertThatThrownBy(() -> get("http://127.0.0.1:" + port + "/health/live"))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void aBadReplicationFactorIsRefusedBeforeAnythingStarts() {
    Env env = new Env(Map.of(TopicsEnv.REPLICATION_ENV, "33"));
    List<String> created = new ArrayList<>();
    assertThatThrownBy(
            () ->
                ServiceRunner.start(
                    "fake",
                    env,
                    kafka,
                    topics,
                    0,
                    meters -> {
                      created.add("service");
                      return new FakeService(0, false);
                    }))
        .hasMessageContaining("EMOSTREAM_TOPIC_REPLICATION='33'")
        .hasMessageContaining("from 1 to 32");
    assertThat(created).isEmpty();
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Records what the runner asks of it; ready once started. */
  private final class FakeService implements ServiceRunner.Service, HealthCheck {

    private final int opsPort;
    private final boolean failToStart;
    private final List<String> events = new ArrayList<>();
    private volatile boolean started;

    FakeService(int opsPort, boolean failToStart) {
      this.opsPort = opsPort;
      this.failToStart = failToStart;
    }

    @Override
    public List<HealthCheck> healthChecks() {
      return List.of(this);
    }

    @Override
    public void start() throws IOException {
      boolean opsUp;
      try {
        opsUp = get("http://127.0.0.1:" + opsPort + "/health/live").statusCode() == 200;
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      events.add("start:" + (opsUp ? "ops-up" : "ops-down"));
      if (failToStart) {
        throw new IllegalStateException("cannot start");
      }
      started = true;
    }

    @Override
    public boolean close(Duration timeout) {
      events.add("close:" + timeout);
      started = false;
      return true;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public boolean isLive() {
      return true;
    }

    @Override
    public boolean isReady() {
      return started;
    }
  }
}
