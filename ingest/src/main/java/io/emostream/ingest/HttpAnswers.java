package io.emostream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The JSON answers of ingest's HTTP endpoints and their meters, and the checks several endpoints
 * share (bearer token, GET only, a source id in the path).
 */
final class HttpAnswers {

  static final ObjectMapper JSON = new ObjectMapper();

  private final IngestConfig config;
  private final MeterRegistry meters;

  HttpAnswers(IngestConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  void respond(Response response, Callback callback, int status, Object body) {
    Counter.builder("emostream.ingest.http.requests")
        .tag("status", Integer.toString(status))
        .description("HTTP requests answered by ingest")
        .register(meters)
        .increment();
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      callback.failed(e);
      return;
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  void cutOff(String reason) {
    Counter.builder("emostream.ingest.http.cutoff")
        .tag("reason", reason)
        .description("connections and uploads cut off: too slow, or the server shutting down")
        .register(meters)
        .increment();
  }

  static Map<String, String> error(String message) {
    return Map.of("error", message);
  }

  static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) { // Java's own words named no parameter
        throw new IllegalArgumentException(
            "the query has a malformed %-escape in '"
                + RequestChecks.shown(pair)
                + "'; write % as %25");
      }
      if (params.put(name, value) != null) {
        // the last one won: rule=average&rule=rule-based was fused RULE_BASED without a word
        throw new IllegalArgumentException(
            "query parameter '" + RequestChecks.shown(name) + "' is given more than once");
      }
    }
    return params;
  }

  /** True for GET; else answers 405. */
  boolean onlyGet(Request request, Response response, Callback callback) {
    if ("GET".equals(request.getMethod())) {
      return true;
    }
    response.getHeaders().put(HttpHeader.ALLOW, "GET");
    respond(response, callback, 405, error("use GET"));
    return false;
  }

  /** Answers 401 and true when a token is required and the request has not got it. */
  boolean refusedToken(Request request, Response response, Callback callback) {
    if (!config.requiresToken()
        || RequestChecks.authorized(
            request.getHeaders().get(HttpHeader.AUTHORIZATION), config.ingestToken())) {
      return false;
    }
    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"emostream-ingest\"");
    respond(
        response,
        callback,
        401,
        error("missing or wrong bearer token: send 'Authorization: Bearer <token>'"));
    return true;
  }

  /** The source id at the end of a path, checked; null when answered 400. */
  String pathSourceId(String rawId, Response response, Callback callback) {
    try {
      return IngestService.checkSourceId(
          URLDecoder.decode(
              rawId.endsWith("/") ? rawId.substring(0, rawId.length() - 1) : rawId,
              StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      respond(response, callback, 400, error(e.getMessage()));
      return null;
    }
  }
}
