package io.emostream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.emostream.ops.HealthCheck;
import io.emostream.schemas.FusionRule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * HTTP front of ingest (the JDK's built-in server: no extra dependency for two endpoints).
 *
 * <ul>
 *   <li>{@code POST /clips?rule=AVERAGE&name=call.mp4&channel=right} with the media as the body
 *       ({@code Content-Type: video/*}, {@code audio/*} or {@code application/octet-stream}) →
 *       {@code 201} and {@code {"sourceId": …, "clips": [{"clipId": …, …}]}}; {@code channel} (mix, left,
 *       right, both) overrides EMOSTREAM_AUDIO_CHANNEL for this upload</li>
 *   <li>{@code GET /health} → {@code 200 {"status":"UP"}}</li>
 * </ul>
 * Errors are JSON {@code {"error": "…"}} with a 4xx status, never a stack trace or a server path.
 * With EMOSTREAM_INGEST_TOKEN set, {@code POST /clips} needs {@code Authorization: Bearer <token>} (else 401);
 * {@code /health} stays open.
 * The upload is spooled to a temporary file (FFmpeg needs to seek in MP4) that is always deleted.
 *
 * <p>{@link #close(Duration)} stops accepting connections at once and lets the uploads in flight finish (they are
 * answered) for up to the grace period. Meter: {@code emostream.ingest.http.requests} (tag {@code status}).
 */
public final class IngestHttpServer implements AutoCloseable, HealthCheck {

  /** How long {@link #close()} waits for uploads in flight. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(IngestHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IngestConfig config;
  private final Ingestor service;
  private final HttpServer server;
  private final ExecutorService executor;
  private final MeterRegistry meters;
  private volatile boolean started;
  private volatile boolean closing;
  private volatile boolean closed;
  private final AtomicInteger inFlight = new AtomicInteger();

  public IngestHttpServer(IngestConfig config, Ingestor service) throws IOException {
    this(config, service, new SimpleMeterRegistry());
  }

  public IngestHttpServer(IngestConfig config, Ingestor service, MeterRegistry meters) throws IOException {
    this.config = config;
    this.service = service;
    this.meters = meters;
    this.server = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 16);
    this.executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "ingest-http"));
    server.setExecutor(executor);
    server.createContext("/clips", exchange -> {
      inFlight.incrementAndGet();
      try {
        handleClips(exchange);
      } finally {
        inFlight.decrementAndGet();
      }
    });
    server.createContext("/health", exchange -> respond(exchange, 200, Map.of("status", "UP")));
  }

  public void start() {
    server.start();
    started = true;
    LOG.info("ingest HTTP listening on http://{}:{}/clips", config.httpHost(), port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handleClips(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (closing) {
        respond(exchange, 503, error("ingest is shutting down; send the upload to another instance or retry later"));
        return;
      }
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().add("Allow", "POST");
        respond(exchange, 405, error("use POST with the video as the request body"));
        return;
      }
      if (config.requiresToken() && !authorized(exchange.getRequestHeaders().getFirst("Authorization"),
          config.ingestToken())) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"emostream-ingest\"");
        respond(exchange, 401, error("missing or wrong bearer token: send 'Authorization: Bearer <token>'"));
        return;
      }
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      if (!acceptedContentType(contentType)) {
        respond(exchange, 415, error("Content-Type '" + contentType
            + "' is not accepted; send video/*, audio/* or application/octet-stream"));
        return;
      }
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      FusionRule rule;
      try {
        rule = query.containsKey("rule") ? FusionRule.valueOf(query.get("rule").trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_')) : null;
      } catch (IllegalArgumentException e) {
        respond(exchange, 400, error("unknown fusion rule '" + query.get("rule") + "'; accepted: "
            + java.util.Arrays.toString(FusionRule.values())));
        return;
      }
      ChannelSelection channels;
      try {
        channels = config.channels().withMode(query.get("channel"));
      } catch (IllegalArgumentException e) {
        respond(exchange, 400, error(e.getMessage()));
        return;
      }
      ingestUpload(exchange, displayName(query.get("name")), rule, channels);
    }
  }

  private void ingestUpload(HttpExchange exchange, String name, FusionRule rule, ChannelSelection channels)
      throws IOException {
    Path upload = Files.createTempFile(config.workDir(), "upload-", ".media");
    int status;
    Object body;
    try {
      long size = copyWithLimit(exchange.getRequestBody(), upload, config.maxUploadBytes());
      if (size < 0) {
        status = 413;
        body = error("upload larger than the limit of " + config.maxUploadBytes() + " bytes");
      } else {
        IngestService.Result result = service.ingest(upload, name, rule, channels);
        Map<String, Object> created = new LinkedHashMap<>();
        created.put("sourceId", result.sourceId());
        created.put("sourceName", result.sourceName());
        created.put("clips", result.clips());
        status = 201;
        body = created;
      }
    } catch (IngestException e) {
      status = 400;
      body = error(withoutServerPaths(e.getMessage(), upload, name));
    } catch (RuntimeException e) {
      LOG.error("ingest of upload '{}' failed", name, e);
      status = 503;
      body = error("the clip could not be published; try again later");
    } finally {
      Files.deleteIfExists(upload);
    }
    // Answered only once the spooled copy is gone.
    respond(exchange, status, body);
  }

  /** Whether {@code header} is {@code Bearer <token>}; the comparison takes the same time wherever they differ. */
  static boolean authorized(String header, String token) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    // Digests first, so neither the content nor the length of the token shows in the time taken.
    return MessageDigest.isEqual(sha256(header.substring(7).trim()), sha256(token));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The user's message with the spool file (path or name) replaced by the upload's display name. */
  static String withoutServerPaths(String message, Path upload, String name) {
    String m = String.valueOf(message).replace(upload.toAbsolutePath().toString(), name)
        .replace(upload.toString(), name).replace(upload.getFileName().toString(), name);
    Path dir = upload.toAbsolutePath().getParent();
    return dir == null ? m : m.replace(dir.toString(), "");
  }

  /** Copies at most {@code limit} bytes; returns the size, or -1 when the body was larger. */
  static long copyWithLimit(InputStream in, Path target, long limit) throws IOException {
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(target)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total > limit) {
          return -1;
        }
        out.write(buffer, 0, n);
      }
    }
    return total;
  }

  static boolean acceptedContentType(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.toLowerCase().split(";")[0].trim();
    return type.startsWith("video/") || type.startsWith("audio/") || type.equals("application/octet-stream");
  }

  /** A display name only: directories and control characters are dropped, so it can never become a path. */
  static String displayName(String raw) {
    if (raw == null || raw.isBlank()) {
      return "upload";
    }
    String base = raw.replace('\\', '/');
    base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}]", "");
    return base.isBlank() || base.equals("..") || base.equals(".") ? "upload"
        : base.substring(0, Math.min(base.length(), 200));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return params;
  }

  private static Map<String, String> error(String message) {
    return Map.of("error", message);
  }

  private void respond(HttpExchange exchange, int status, Object body) throws IOException {
    Counter.builder("emostream.ingest.http.requests").tag("status", Integer.toString(status))
        .description("HTTP requests answered by ingest").register(meters).increment();
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public String name() {
    return "ingest-http";
  }

  @Override
  public boolean isLive() {
    return !closed;
  }

  /** Ready while it accepts uploads. */
  @Override
  public boolean isReady() {
    return started && !closing;
  }

  /**
   * Stops accepting connections, then waits up to {@code grace} for the uploads in flight to be ingested and
   * answered; the caller closes the {@link Ingestor} after this returns.
   */
  public void close(Duration grace) {
    closing = true;
    long seconds = Math.max(1, grace.toSeconds());
    // JDK 17's HttpServer.stop(delay) returns early only when an exchange finishes while it waits: with nothing in
    // flight it would sit out the whole delay (seen: every shutdown took 30 s), so then it gets none.
    server.stop(inFlight.get() == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, seconds));
    executor.shutdown();
    try {
      if (!executor.awaitTermination(seconds, TimeUnit.SECONDS)) {
        LOG.warn("uploads still in flight after {}; stopping anyway", grace);
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
  }

  @Override
  public void close() {
    close(SHUTDOWN_GRACE);
  }
}
