package io.emostream.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.schemas.FusionRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code /streams}: {@code POST} starts a live source, {@code GET} lists them, {@code GET
 * /streams/{id}} shows one and {@code DELETE /streams/{id}} stops it ({@link LiveSources}).
 */
final class StreamsHandler {

  /** Largest {@code POST /streams} body read. */
  static final int MAX_STREAM_REQUEST_BYTES = 16 * 1024;

  private final IngestConfig config;

  /** Null: this ingest pulls no live sources (answered 404). */
  private final LiveSources live;

  private final HttpAnswers answers;
  private final BooleanSupplier closing;

  /**
   * The source ids this instance has used, shared with uploads: a live source's id is kept once it
   * started (its STARTED and ENDED events are out), so neither an upload nor a later live source
   * mixes its timeline in and loses its summary.
   */
  private final SourceIdClaims sourceIds;

  /** Rules the fusion behind this server cannot run, with why ({@link UploadHandler}'s). */
  private final Map<FusionRule, String> unavailableRules;

  StreamsHandler(
      IngestConfig config,
      LiveSources live,
      SourceIdClaims sourceIds,
      Map<FusionRule, String> unavailableRules,
      HttpAnswers answers,
      BooleanSupplier closing) {
    this.config = config;
    this.live = live;
    this.sourceIds = sourceIds;
    this.unavailableRules = unavailableRules;
    this.answers = answers;
    this.closing = closing;
  }

  /** {@code POST /streams} starts a live source, {@code GET /streams} lists them. */
  void streams(Request request, Response response, Callback callback) {
    if (answers.refusedToken(request, response, callback) || noLiveSources(response, callback)) {
      return;
    }
    switch (request.getMethod()) {
      case "GET" -> answers.respond(response, callback, 200, Map.of("streams", live.list()));
      case "POST" -> {
        if (closing.getAsBoolean()) {
          answers.respond(
              response,
              callback,
              503,
              HttpAnswers.error("ingest is shutting down; retry elsewhere"));
          return;
        }
        if (request.getLength() > MAX_STREAM_REQUEST_BYTES) {
          answers.respond(
              response,
              callback,
              413,
              HttpAnswers.error("a stream request is a small JSON object"));
          return;
        }
        Content.Source.asStringAsync(request, StandardCharsets.UTF_8)
            .whenComplete(
                (body, failure) -> {
                  if (failure != null) {
                    answers.respond(
                        response,
                        callback,
                        400,
                        HttpAnswers.error("the request body could not be read"));
                  } else {
                    startStream(body, response, callback);
                  }
                });
      }
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
        answers.respond(
            response,
            callback,
            405,
            HttpAnswers.error("use POST to start a live source, GET to list"));
      }
    }
  }

  private void startStream(String body, Response response, Callback callback) {
    LiveSources.Request wanted;
    try {
      wanted = streamRequest(body, config.channels());
      UploadHandler.checkRule(wanted.rule(), unavailableRules);
    } catch (IllegalArgumentException e) {
      answers.respond(response, callback, 400, HttpAnswers.error(e.getMessage()));
      return;
    }
    String chosen = wanted.sourceId();
    if (chosen != null && !sourceIds.claim(chosen, null)) {
      answers.respond(response, callback, 409, HttpAnswers.error(SourceIdClaims.inUse(chosen)));
      return;
    }
    int status = 500;
    try {
      LiveSources.Status started = live.start(wanted);
      status = 201;
      Map<String, Object> created = new LinkedHashMap<>();
      created.put("sourceId", started.sourceId());
      created.put("sourceName", started.sourceName());
      created.put("url", started.url());
      created.put("state", started.state());
      answers.respond(response, callback, 201, created);
    } catch (LiveSources.TooManySources e) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "30");
      answers.respond(response, callback, 429, HttpAnswers.error(e.getMessage()));
    } catch (LiveSources.AlreadyLive e) {
      answers.respond(response, callback, 409, HttpAnswers.error(e.getMessage()));
    } catch (IllegalArgumentException e) {
      answers.respond(response, callback, 400, HttpAnswers.error(e.getMessage()));
    } catch (IllegalStateException e) {
      answers.respond(response, callback, 503, HttpAnswers.error(e.getMessage()));
    } finally {
      if (chosen != null) {
        sourceIds.finish(chosen, status); // kept once started, given back when refused
      }
    }
  }

  /**
   * A {@code POST /streams} body: a JSON object with {@code url} (required) and optionally {@code
   * name}, {@code rule}, {@code channel}, {@code sourceId}, checked as the same query parameters of
   * {@code POST /clips} are.
   */
  /** The fields of {@code POST /streams}' JSON object. */
  static final List<String> STREAM_FIELDS = List.of("url", "name", "rule", "channel", "sourceId");

  static LiveSources.Request streamRequest(String body, ChannelSelection defaults) {
    JsonNode json;
    try {
      json = HttpAnswers.JSON.readTree(body);
    } catch (IOException e) {
      json = null;
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException(
          "send a JSON object such as {\"url\": \"rtmp://host/live/call\", \"name\": \"call 42\"}");
    }
    Iterator<String> names = json.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!STREAM_FIELDS.contains(name)) {
        // a typo ("nmae") would otherwise start the source without what was asked for
        throw new IllegalArgumentException(
            "unknown field \""
                + RequestChecks.shown(name)
                + "\"; accepted: "
                + String.join(", ", STREAM_FIELDS));
      }
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String field : STREAM_FIELDS) {
      JsonNode value = json.get(field);
      if (value != null && !value.isNull()) {
        if (!value.isTextual()) {
          throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        fields.put(field, value.asText());
      }
    }
    String url = fields.get("url");
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(
          "\"url\" is required: the live source to pull (rtsp://, rtmp://, srt://, http(s)://)");
    }
    VideoDemuxer.scheme(url.trim());
    UploadRequest parsed = UploadRequest.parse(fields, defaults);
    return new LiveSources.Request(
        url.trim(),
        fields.containsKey("name") ? parsed.name() : null,
        parsed.rule(),
        parsed.channels(),
        parsed.sourceId());
  }

  /** {@code GET /streams/{id}} one live source, {@code DELETE /streams/{id}} stops it. */
  void stream(Request request, Response response, Callback callback, String rawId) {
    if (answers.refusedToken(request, response, callback) || noLiveSources(response, callback)) {
      return;
    }
    String sourceId = answers.pathSourceId(rawId, response, callback);
    if (sourceId == null) {
      return;
    }
    Optional<LiveSources.Status> found;
    switch (request.getMethod()) {
      case "GET" -> found = live.status(sourceId);
      case "DELETE" -> found = live.stop(sourceId);
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, DELETE");
        answers.respond(response, callback, 405, HttpAnswers.error("use GET or DELETE"));
        return;
      }
    }
    if (found.isEmpty()) {
      answers.respond(
          response,
          callback,
          404,
          HttpAnswers.error("no live source '" + sourceId + "'; GET /streams"));
    } else {
      answers.respond(response, callback, 200, found.get());
    }
  }

  private boolean noLiveSources(Response response, Callback callback) {
    if (live != null) {
      return false;
    }
    answers.respond(
        response, callback, 404, HttpAnswers.error("this ingest pulls no live sources"));
    return true;
  }
}
