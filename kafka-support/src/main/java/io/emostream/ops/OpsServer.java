package io.emostream.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations endpoints of a service, on their own port (the JDK's built-in HTTP server):
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter of the registry in the Prometheus text format
 *   <li>{@code GET /health/live}: 200 when every component is live, else 503; body {@code
 *       {"status":"UP","components":{"audio-worker":"UP"}}}
 *   <li>{@code GET /health/ready}: the same for readiness
 * </ul>
 *
 * The same states are gauges in {@code /metrics}, so Prometheus can alert on them without probing:
 * {@code emostream_health_live} and {@code emostream_health_ready} (tag {@code component}; 1 up, 0
 * down), read from the health checks at every scrape.
 */
public final class OpsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The Prometheus text exposition format, version 0.0.4, which every Prometheus scrapes. */
  static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String host;

  private OpsServer(OpsConfig config, PrometheusMeterRegistry registry, List<HealthCheck> checks)
      throws IOException {
    this.host = config.host();
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 16);
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "ops-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    List<HealthCheck> components = List.copyOf(checks);
    for (HealthCheck check : components) {
      gauge(
          registry,
          "emostream.health.live",
          check,
          HealthCheck::isLive,
          "1 when the component is live, else 0");
      gauge(
          registry,
          "emostream.health.ready",
          check,
          HealthCheck::isReady,
          "1 when the component is ready, else 0");
    }
    server.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            respond(
                exchange,
                200,
                PROMETHEUS_CONTENT_TYPE,
                registry.scrape().getBytes(StandardCharsets.UTF_8));
          }
        });
    server.createContext(
        "/health/live", exchange -> health(exchange, components, HealthCheck::isLive));
    server.createContext(
        "/health/ready", exchange -> health(exchange, components, HealthCheck::isReady));
  }

  /** Starts serving; the caller closes it on shutdown. */
  public static OpsServer start(
      OpsConfig config, PrometheusMeterRegistry registry, List<HealthCheck> checks)
      throws IOException {
    OpsServer ops = new OpsServer(config, registry, checks);
    ops.server.start();
    LOG.info(
        "metrics on http://{}:{}/metrics, health on /health/live and /health/ready",
        urlHost(config.host()),
        ops.port());
    return ops;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url(String path) {
    return "http://" + urlHost(host) + ":" + port() + path;
  }

  /**
   * A host as a URL writes it: an IPv6 literal in brackets ({@code [::1]}). Printed bare, {@code
   * http://::1:8080/} was a URL no client takes (found by a hostile-user pass).
   */
  public static String urlHost(String host) {
    return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static void gauge(
      PrometheusMeterRegistry registry,
      String name,
      HealthCheck check,
      Predicate<HealthCheck> up,
      String description) {
    Gauge.builder(name, check, c -> safeTest(up, c) ? 1 : 0)
        .tag("component", check.name())
        .description(description)
        .register(registry);
  }

  private static void health(
      HttpExchange exchange, List<HealthCheck> components, Predicate<HealthCheck> up)
      throws IOException {
    try (exchange) {
      Map<String, String> states = new LinkedHashMap<>();
      boolean all = true;
      for (HealthCheck check : components) {
        boolean ok = safeTest(up, check);
        all &= ok;
        states.put(check.name(), ok ? "UP" : "DOWN");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("status", all ? "UP" : "DOWN");
      body.put("components", states);
      respond(exchange, all ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
    }
  }

  private static boolean safeTest(Predicate<HealthCheck> up, HealthCheck check) {
    try {
      return up.test(check);
    } catch (RuntimeException e) {
      LOG.warn("health check of {} failed", check.name(), e);
      return false;
    }
  }

  private static void respond(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      exchange.sendResponseHeaders(405, -1);
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
  }
}
