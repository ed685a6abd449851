package io.emostream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.emostream.schemas.FusionRule;

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
 * The upload is spooled to a temporary file (FFmpeg needs to seek in MP4) that is always deleted.
 */
public final class IngestHttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IngestHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IngestConfig config;
  private final IngestService service;
  private final HttpServer server;
  private final ExecutorService executor;

  public IngestHttpServer(IngestConfig config, IngestService service) throws IOException {
    this.config = config;
    this.service = service;
    this.server = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 16);
    this.executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "ingest-http"));
    server.setExecutor(executor);
    server.createContext("/clips", this::handleClips);
    server.createContext("/health", exchange -> respond(exchange, 200, Map.of("status", "UP")));
  }

  public void start() {
    server.start();
    LOG.info("ingest HTTP listening on http://{}:{}/clips", config.httpHost(), port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handleClips(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().add("Allow", "POST");
        respond(exchange, 405, error("use POST with the video as the request body"));
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
    try {
      long size = copyWithLimit(exchange.getRequestBody(), upload, config.maxUploadBytes());
      if (size < 0) {
        respond(exchange, 413, error("upload larger than the limit of " + config.maxUploadBytes() + " bytes"));
        return;
      }
      IngestService.Result result = service.ingest(upload, name, rule, channels);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("sourceId", result.sourceId());
      body.put("sourceName", result.sourceName());
      body.put("clips", result.clips());
      respond(exchange, 201, body);
    } catch (IngestException e) {
      respond(exchange, 400, error(e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("ingest of upload '{}' failed", name, e);
      respond(exchange, 503, error("the clip could not be published; try again later"));
    } finally {
      Files.deleteIfExists(upload);
    }
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

  private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
  }
}
