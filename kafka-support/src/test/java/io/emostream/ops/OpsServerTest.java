package io.emostream.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class OpsServerTest {

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void servesPrometheusTextAndHealthOfEveryComponent() throws Exception {
    PrometheusMeterRegistry meters = Meters.prometheus();
    Counter counter =
        Counter.builder("emostream.test.records").tag("service", "t").register(meters);
    AtomicBoolean ready = new AtomicBoolean(false);
    HealthCheck worker = check("worker", () -> true, ready::get);
    HealthCheck other = check("other", () -> true, () -> true);
    try (OpsServer ops =
        OpsServer.start(new OpsConfig("127.0.0.1", 0), meters, List.of(worker, other))) {
      counter.increment(3);
      HttpResponse<String> metrics = get(ops.url("/metrics"));
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(metrics.body())
          .contains("emostream_test_records_total{service=\"t\"} 3.0")
          .contains("jvm_memory_used_bytes");

      assertThat(get(ops.url("/health/live")).statusCode()).isEqualTo(200);
      HttpResponse<String> notReady = get(ops.url("/health/ready"));
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body())
          .isEqualTo("{\"status\":\"DOWN\",\"components\":{\"worker\":\"DOWN\",\"other\":\"UP\"}}");

      assertThat(get(ops.url("/metrics")).body())
          .contains("emostream_health_ready{component=\"worker\"} 0.0")
          .contains("emostream_health_ready{component=\"other\"} 1.0")
          .contains("emostream_health_live{component=\"worker\"} 1.0");

      ready.set(true);
      HttpResponse<String> nowReady = get(ops.url("/health/ready"));
      assertThat(nowReady.statusCode()).isEqualTo(200);
      assertThat(nowReady.body()).startsWith("{\"status\":\"UP\"");
      assertThat(get(ops.url("/metrics")).body())
          .contains("emostream_health_ready{component=\"worker\"} 1.0");
    }
  }

  @Test
  void aHealthCheckThatThrowsCountsAsDown() throws Exception {
    HealthCheck broken =
        check(
            "broken",
            () -> {
              throw new IllegalStateException("boom");
            },
            () -> true);
    try (OpsServer ops =
        OpsServer.start(new OpsConfig("127.0.0.1", 0), Meters.prometheus(), List.of(broken))) {
      assertThat(get(ops.url("/health/live")).statusCode()).isEqualTo(503);
      assertThat(get(ops.url("/metrics")).body())
          .contains("emostream_health_live{component=\"broken\"} 0.0");
    }
  }

  @Test
  void portAndHostComeFromTheEnvironmentWithAServiceDefault() {
    assertThat(OpsConfig.fromEnv(new Env(Map.of()), OpsConfig.FUSION_STREAM_PORT))
        .isEqualTo(new OpsConfig("127.0.0.1", 9467));
    assertThat(
            OpsConfig.fromEnv(
                new Env(Map.of(OpsConfig.HOST_ENV, "0.0.0.0", OpsConfig.PORT_ENV, "9999")), 9467))
        .isEqualTo(new OpsConfig("0.0.0.0", 9999));
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HealthCheck check(String name, BooleanSupplier live, BooleanSupplier ready) {
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public boolean isLive() {
        return live.getAsBoolean();
      }

      @Override
      public boolean isReady() {
        return ready.getAsBoolean();
      }
    };
  }

  /** An IPv6 literal in a printed URL goes in brackets: http://::1:8080/ is no URL. */
  @Test
  void aUrlWritesAnIpv6HostInBrackets() {
    assertThat(OpsServer.urlHost("::1")).isEqualTo("[::1]");
    assertThat(OpsServer.urlHost("[::1]")).isEqualTo("[::1]");
    assertThat(OpsServer.urlHost("127.0.0.1")).isEqualTo("127.0.0.1");
    assertThat(OpsServer.urlHost("localhost")).isEqualTo("localhost");
  }
}
