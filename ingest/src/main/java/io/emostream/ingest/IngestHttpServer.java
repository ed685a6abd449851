package io.emostream.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.ops.HealthCheck;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP front of ingest, on Jetty 12's core server.
 *
 * <ul>
 *   <li>{@code POST /clips?rule=AVERAGE&name=call.mp4&channel=right&audioStream=1&sourceId=call-42}
 *       with the media as the body ({@code Content-Type: video/*}, {@code audio/*} or {@code
 *       application/octet-stream}) → {@code 201} and {@code {"sourceId": …, "clips": [{"clipId": …,
 *       …}]}}; {@code channel} (mix, left, right, both) overrides EMOSTREAM_AUDIO_CHANNEL for this
 *       upload, {@code audioStream} (the Nth audio stream, from 0) EMOSTREAM_AUDIO_STREAM; {@code
 *       sourceId} is the source's id in every record (checked by {@link
 *       IngestService#checkSourceId}; a generated UUID without it)
 *   <li>{@code GET /sources/{sourceId}} → {@code 200} and the fused segments of that source so far
 *       ({@link FusedSegmentStore#source}, each in the one JSON shape of {@code FusedSegmentJson}),
 *       {@code 404} for a source unknown or evicted; only with a {@link FusedSegmentStore} (in
 *       {@code ./emostream up}), else {@code 404} saying where results are
 *   <li>{@code GET /health} → {@code 200 {"status":"UP"}}
 *   <li>{@code GET /} → {@code 200} and a short JSON index of these endpoints
 * </ul>
 *
 * Errors are JSON {@code {"error": "…"}} with a 4xx/5xx status, never a stack trace or a server
 * path. With EMOSTREAM_INGEST_TOKEN set, {@code POST /clips} and {@code GET /sources/…} need {@code
 * Authorization: Bearer <token>} (else 401); {@code /health} and {@code /} stay open.
 *
 * <p><b>Slow and hostile clients.</b> Why Jetty: its selector parses request heads and delivers
 * body bytes without a thread per connection, its thread pool is bounded with a bounded queue, and
 * it has idle timeouts and a connection limit built in; the JDK's HttpServer (used before) gives
 * each exchange a pool thread for its whole life and has no timeouts, so four clients that never
 * finished their request stopped every upload and {@code /health}. Here (limits in {@link
 * IngestConfig.HttpLimits}): a request head must arrive within EMOSTREAM_HTTP_HEADER_TIMEOUT
 * ({@link RequestHeadTimeout}, else the connection is closed); the body is read asynchronously into
 * a spool file (FFmpeg needs to seek in MP4, and it is always deleted), unless its first bytes show
 * a container FFmpeg reads without seeking ({@link StreamSniffer}: Matroska/WebM, MPEG-TS, FLV,
 * fragmented MP4): then an ingest thread demuxes it while it arrives and publishes each clip as
 * soon as it is complete ({@link StreamedBody}, under the same limits). With 408 for a body silent
 * for EMOSTREAM_HTTP_IDLE_TIMEOUT, slower than EMOSTREAM_UPLOAD_MIN_RATE or longer than
 * EMOSTREAM_UPLOAD_TIMEOUT; only a body that arrived completely is ingested (on a bounded pool of
 * EMOSTREAM_HTTP_INGEST_THREADS, 503 when its queue is full), so an upload cut off or abandoned
 * mid-body publishes nothing. {@code /health} is answered at once on Jetty's pool, which no upload
 * blocks.
 *
 * <p><b>Idempotency-Key.</b> A {@code POST /clips} may carry {@code Idempotency-Key: <1-255
 * printable characters>}. Its first attempt whose body arrives completely is ingested; a retry with
 * the same key (and the same bearer token, query and Content-Length) gets the first attempt's
 * answer, without the body being analysed again, marked {@code Idempotent-Replayed: true}. While
 * the first attempt is still being ingested, the retry <em>waits</em> for its answer (no thread is
 * held meanwhile). The same key with other parameters is 422. Only a 201 is kept (for
 * EMOSTREAM_IDEMPOTENCY_TTL); after a failure a retry runs again. See {@link IdempotencyStore}.
 *
 * <p>{@link #close(Duration)} stops accepting connections at once and lets the uploads in flight
 * finish (they are answered) for up to the grace period. Meters: {@code
 * emostream.ingest.http.requests} (tag {@code status}), {@code emostream.ingest.http.cutoff} (tag
 * {@code reason}: header-timeout, idle-timeout, upload-timeout, min-rate).
 *
 * <p>Over 300 lines, and the largest class: routes, upload spooling with its limits, idempotency
 * and the orderly close share one Jetty server and its in-flight count; not split yet (a candidate:
 * the upload spool).
 */
public final class IngestHttpServer implements AutoCloseable, HealthCheck {

  /** How long {@link #close()} waits for uploads in flight. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  /** The header naming a retry-safe upload. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private static final Logger LOG = LoggerFactory.getLogger(IngestHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_IDEMPOTENCY_KEYS = 10_000;

  /**
   * The most of an unread request body read and dropped after its answer, and for how long; see
   * {@link Drain}.
   */
  static final long DRAIN_BYTES = 16L << 20;

  static final Duration DRAIN_TIME = Duration.ofSeconds(5);

  private final IngestConfig config;
  private final IngestConfig.HttpLimits limits;
  private final Ingestor service;
  private final MeterRegistry meters;
  private final Server server;
  private final ServerConnector connector;
  private final Scheduler scheduler;
  private final RequestHeadTimeout headTimeout;
  private final ThreadPoolExecutor ingestPool;
  private final IdempotencyStore idempotency;

  /** Null: this server keeps no results ({@code GET /sources/…} says where they are). */
  private final FusedSegmentStore results;

  private final LiveSources live;

  private final Object inFlightLock = new Object();
  private int inFlight;
  private volatile boolean started;
  private volatile boolean closing;
  private volatile boolean closed;

  public IngestHttpServer(IngestConfig config, Ingestor service) throws IOException {
    this(config, service, new SimpleMeterRegistry());
  }

  public IngestHttpServer(IngestConfig config, Ingestor service, MeterRegistry meters)
      throws IOException {
    this(config, service, meters, Clock.systemUTC());
  }

  /** {@code clock} ages the kept idempotent answers. */
  public IngestHttpServer(IngestConfig config, Ingestor service, MeterRegistry meters, Clock clock)
      throws IOException {
    this(config, service, meters, clock, null);
  }

  /**
   * Also answers {@code GET /sources/{id}} from {@code results} (null: no results here), and tells
   * it of every upload answered 201.
   */
  public IngestHttpServer(
      IngestConfig config,
      Ingestor service,
      MeterRegistry meters,
      Clock clock,
      FusedSegmentStore results)
      throws IOException {
    this(config, service, meters, clock, results, null);
  }

  /**
   * Also serves {@code POST /streams}, {@code GET /streams} and {@code DELETE /streams/{id}} from
   * {@code live} (null: answered 404); the caller closes {@code live} after this server.
   */
  public IngestHttpServer(
      IngestConfig config,
      Ingestor service,
      MeterRegistry meters,
      Clock clock,
      FusedSegmentStore results,
      LiveSources live)
      throws IOException {
    this.config = config;
    this.results = results;
    this.live = live;
    this.limits = config.http();
    this.service = service;
    this.meters = meters;
    this.idempotency = new IdempotencyStore(clock, limits.idempotencyTtl(), MAX_IDEMPOTENCY_KEYS);
    // Bounded threads; the task queue is Jetty's default (its advice): no task waits on a client,
    // and the connection
    // limit bounds the tasks.
    QueuedThreadPool threads =
        new QueuedThreadPool(limits.threads(), Math.min(4, limits.threads()), 60_000);
    threads.setName("ingest-http");
    threads.setReservedThreads(0);
    this.server = new Server(threads);
    server.setStopTimeout(0); // close(grace) waits for the uploads in flight itself
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(config.httpHost());
    connector.setPort(config.httpPort());
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    connector.setAcceptQueueSize(128);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
    this.scheduler = server.getScheduler();
    this.headTimeout =
        new RequestHeadTimeout(scheduler, limits.headerTimeout(), () -> cutOff("header-timeout"));
    connector.addEventListener(headTimeout);
    server.setHandler(new Routes());
    AtomicInteger ingestThread = new AtomicInteger();
    this.ingestPool =
        new ThreadPoolExecutor(
            limits.ingestThreads(),
            limits.ingestThreads(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(IngestConfig.HttpLimits.INGEST_QUEUE),
            r -> new Thread(r, "ingest-upload-" + ingestThread.incrementAndGet()));
  }

  public void start() {
    try {
      server.start();
    } catch (Exception e) {
      ingestPool.shutdownNow();
      throw new IllegalStateException(
          "ingest HTTP could not listen on "
              + config.httpHost()
              + ":"
              + config.httpPort()
              + ": "
              + e.getMessage(),
          e);
    }
    started = true;
    LOG.info("ingest HTTP listening on http://{}:{}/clips", config.httpHost(), port());
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** Connections open now. */
  int openConnections() {
    return headTimeout.watched();
  }

  /**
   * Routes by path; every request's end re-arms its connection's head timeout, and a body left
   * unread by its answer is read to its end first ({@link Drain}).
   */
  private final class Routes extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Connection connection = request.getConnectionMetaData().getConnection();
      headTimeout.requestStarted(connection);
      Callback done =
          new Drain(
              request,
              response,
              Callback.from(callback, () -> headTimeout.requestEnded(connection)));
      String path = request.getHttpURI().getPath();
      switch (path) {
        case "/health", "/health/" -> respond(response, done, 200, Map.of("status", "UP"));
        case "/clips", "/clips/" -> clips(request, response, done);
        case "/" -> index(request, response, done);
        default -> {
          if (path.startsWith(SOURCES)) {
            source(request, response, done, path.substring(SOURCES.length()));
          } else if (path.equals("/streams") || path.equals("/streams/")) {
            streams(request, response, done);
          } else if (path.startsWith(STREAMS)) {
            stream(request, response, done, path.substring(STREAMS.length()));
          } else {
            respond(response, done, 404, error("no such endpoint; GET / lists them"));
          }
        }
      }
      return true;
    }
  }

  private static final String SOURCES = "/sources/";
  private static final String STREAMS = "/streams/";

  /** Largest {@code POST /streams} body read. */
  static final int MAX_STREAM_REQUEST_BYTES = 16 * 1024;

  /** The endpoints, for people finding their way. */
  private void index(Request request, Response response, Callback callback) {
    if (!onlyGet(request, response, callback)) {
      return;
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("service", "emostream ingest");
    List<Map<String, Object>> endpoints =
        new ArrayList<>(
            List.of(
                endpoint(
                    "POST",
                    "/clips",
                    "upload a video or audio file as the body (Content-Type video/*, audio/* or "
                        + "application/octet-stream); query: name, rule, channel, audioStream, sourceId; answers 201 with the "
                        + "source id and the clip id of every segment; Matroska/WebM, MPEG-TS, FLV and fragmented MP4 "
                        + "are demuxed while they arrive (chunked transfer encoding welcome)",
                    true),
                endpoint(
                    "GET",
                    "/sources/{sourceId}",
                    results == null
                        ? "not served here: this ingest keeps no results; read the fused topic"
                        : "the fused segments of a source so far (the last "
                            + results.limits().maxSources()
                            + " sources, "
                            + results.limits().maxSegments()
                            + " segments in all)",
                    true),
                endpoint("GET", "/health", "liveness of ingest", false),
                endpoint("GET", "/", "this index", false)));
    if (live != null) {
      endpoints.addAll(
          endpoints.size() - 2,
          List.of(
              endpoint(
                  "POST",
                  "/streams",
                  "pull a live source: JSON {\"url\", \"name\", \"rule\", \"channel\", "
                      + "\"sourceId\"} (url required: rtsp, rtmp, srt, http(s)); answers 201 with the "
                      + "source id",
                  true),
              endpoint("GET", "/streams", "the live sources: state, segments, media time", true),
              endpoint("DELETE", "/streams/{sourceId}", "stop a live source", true)));
    }
    index.put("endpoints", endpoints);
    index.put("bearerTokenRequired", config.requiresToken());
    respond(response, callback, 200, index);
  }

  private static Map<String, Object> endpoint(
      String method, String path, String description, boolean token) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("method", method);
    e.put("path", path);
    e.put("description", description);
    e.put("needsToken", token);
    return e;
  }

  /**
   * {@code GET /sources/{id}}: the source's fused segments so far, under the same token rule as
   * uploads.
   */
  private void source(Request request, Response response, Callback callback, String rawId) {
    if (!onlyGet(request, response, callback) || refusedToken(request, response, callback)) {
      return;
    }
    String sourceId = pathSourceId(rawId, response, callback);
    if (sourceId == null) {
      return;
    }
    if (results == null) {
      respond(
          response,
          callback,
          404,
          error(
              "this ingest keeps no results: GET /sources/{id} is served by "
                  + "./emostream up; read the fused topic for the results of source "
                  + sourceId));
      return;
    }
    var answer = results.source(sourceId);
    if (answer.isEmpty()) {
      respond(
          response,
          callback,
          404,
          error(
              "no results for source '"
                  + sourceId
                  + "': not uploaded or fused since "
                  + "this server started, or evicted (it keeps the last "
                  + results.limits().maxSources()
                  + " sources, "
                  + results.limits().maxSegments()
                  + " segments in all)"));
      return;
    }
    respond(response, callback, 200, answer.get());
  }

  /** Answers 401 and true when a token is required and the request has not got it. */
  private boolean refusedToken(Request request, Response response, Callback callback) {
    if (!config.requiresToken()
        || authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION), config.ingestToken())) {
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

  /** {@code POST /streams} starts a live source, {@code GET /streams} lists them. */
  private void streams(Request request, Response response, Callback callback) {
    if (refusedToken(request, response, callback) || noLiveSources(response, callback)) {
      return;
    }
    switch (request.getMethod()) {
      case "GET" -> respond(response, callback, 200, Map.of("streams", live.list()));
      case "POST" -> {
        if (closing) {
          respond(response, callback, 503, error("ingest is shutting down; retry elsewhere"));
          return;
        }
        if (request.getLength() > MAX_STREAM_REQUEST_BYTES) {
          respond(response, callback, 413, error("a stream request is a small JSON object"));
          return;
        }
        Content.Source.asStringAsync(request, StandardCharsets.UTF_8)
            .whenComplete(
                (body, failure) -> {
                  if (failure != null) {
                    respond(response, callback, 400, error("the request body could not be read"));
                  } else {
                    startStream(body, response, callback);
                  }
                });
      }
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
        respond(response, callback, 405, error("use POST to start a live source, GET to list"));
      }
    }
  }

  private void startStream(String body, Response response, Callback callback) {
    LiveSources.Request wanted;
    try {
      wanted = streamRequest(body, config.channels());
    } catch (IllegalArgumentException e) {
      respond(response, callback, 400, error(e.getMessage()));
      return;
    }
    try {
      LiveSources.Status started = live.start(wanted);
      Map<String, Object> created = new LinkedHashMap<>();
      created.put("sourceId", started.sourceId());
      created.put("sourceName", started.sourceName());
      created.put("url", started.url());
      created.put("state", started.state());
      respond(response, callback, 201, created);
    } catch (LiveSources.TooManySources e) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "30");
      respond(response, callback, 429, error(e.getMessage()));
    } catch (LiveSources.AlreadyLive e) {
      respond(response, callback, 409, error(e.getMessage()));
    } catch (IllegalArgumentException e) {
      respond(response, callback, 400, error(e.getMessage()));
    } catch (IllegalStateException e) {
      respond(response, callback, 503, error(e.getMessage()));
    }
  }

  /**
   * A {@code POST /streams} body: a JSON object with {@code url} (required) and optionally {@code
   * name}, {@code rule}, {@code channel}, {@code sourceId}, checked as the same query parameters of
   * {@code POST /clips} are.
   */
  static LiveSources.Request streamRequest(String body, ChannelSelection defaults) {
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      json = null;
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException(
          "send a JSON object such as {\"url\": \"rtmp://host/live/call\", \"name\": \"call 42\"}");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String field : List.of("url", "name", "rule", "channel", "sourceId")) {
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
  private void stream(Request request, Response response, Callback callback, String rawId) {
    if (refusedToken(request, response, callback) || noLiveSources(response, callback)) {
      return;
    }
    String sourceId = pathSourceId(rawId, response, callback);
    if (sourceId == null) {
      return;
    }
    Optional<LiveSources.Status> found;
    switch (request.getMethod()) {
      case "GET" -> found = live.status(sourceId);
      case "DELETE" -> found = live.stop(sourceId);
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, DELETE");
        respond(response, callback, 405, error("use GET or DELETE"));
        return;
      }
    }
    if (found.isEmpty()) {
      respond(response, callback, 404, error("no live source '" + sourceId + "'; GET /streams"));
    } else {
      respond(response, callback, 200, found.get());
    }
  }

  /** The source id at the end of a path, checked; null when answered 400. */
  private String pathSourceId(String rawId, Response response, Callback callback) {
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

  private boolean noLiveSources(Response response, Callback callback) {
    if (live != null) {
      return false;
    }
    respond(response, callback, 404, error("this ingest pulls no live sources"));
    return true;
  }

  /** True for GET; else answers 405. */
  private boolean onlyGet(Request request, Response response, Callback callback) {
    if ("GET".equals(request.getMethod())) {
      return true;
    }
    response.getHeaders().put(HttpHeader.ALLOW, "GET");
    respond(response, callback, 405, error("use GET"));
    return false;
  }

  private void clips(Request request, Response response, Callback callback) {
    if (closing) {
      respond(
          response,
          callback,
          503,
          error(
              "ingest is shutting down; send the upload to another instance or " + "retry later"));
      return;
    }
    if (!"POST".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      respond(response, callback, 405, error("use POST with the video as the request body"));
      return;
    }
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (config.requiresToken() && !authorized(authorization, config.ingestToken())) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"emostream-ingest\"");
      respond(
          response,
          callback,
          401,
          error("missing or wrong bearer token: send 'Authorization: Bearer <token>'"));
      return;
    }
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (!acceptedContentType(contentType)) {
      respond(
          response,
          callback,
          415,
          error(
              "Content-Type '"
                  + contentType
                  + "' is not accepted; send video/*, audio/* or application/octet-stream"));
      return;
    }
    UploadRequest upload;
    try {
      upload = UploadRequest.parse(query(request.getHttpURI().getQuery()), config.channels());
    } catch (IllegalArgumentException e) {
      respond(response, callback, 400, error(e.getMessage()));
      return;
    }
    String key = request.getHeaders().get(IDEMPOTENCY_KEY);
    if (key != null && !validIdempotencyKey(key)) {
      respond(
          response,
          callback,
          400,
          error(IDEMPOTENCY_KEY + " must be 1 to 255 printable ASCII characters"));
      return;
    }
    long length = request.getLength();
    String scopedKey = key == null ? null : scope(authorization, key);
    String fingerprint = upload.fingerprint() + " length=" + length;
    if (scopedKey != null
        && answeredFromStore(
            idempotency.lookup(scopedKey, fingerprint), request, response, callback)) {
      return;
    }
    if (length > config.maxUploadBytes()) {
      respond(response, callback, 413, error(tooLarge()));
      return;
    }
    enter();
    new BodySpool(
            request, response, Callback.from(callback, this::leave), upload, scopedKey, fingerprint)
        .start();
  }

  /**
   * Answers from the idempotency store when the key is known; false when the request must run. The
   * body of a request answered here is read and dropped after the answer ({@link Drain}).
   */
  private boolean answeredFromStore(
      IdempotencyStore.Found found, Request request, Response response, Callback callback) {
    if (found instanceof IdempotencyStore.Mismatch) {
      respond(
          response,
          callback,
          422,
          error(
              IDEMPOTENCY_KEY
                  + " was already used for an upload with other "
                  + "parameters (query or Content-Length); use a new key for a new upload"));
      return true;
    }
    if (found instanceof IdempotencyStore.Done done) {
      replay(response, callback, done.answer());
      return true;
    }
    if (found instanceof IdempotencyStore.Pending pending) {
      // Waits without a thread, for as long as the first attempt's analysis takes; its ingest
      // thread answers this one.
      request.addIdleTimeoutListener(timeout -> false);
      pending
          .answer()
          .whenComplete(
              (answer, failure) ->
                  replay(
                      response,
                      callback,
                      answer != null
                          ? answer
                          : new IdempotencyStore.Answer(
                              503, error("the clip could not be published; try again later"))));
      return true;
    }
    return false;
  }

  private void replay(Response response, Callback callback, IdempotencyStore.Answer answer) {
    response.getHeaders().put("Idempotent-Replayed", "true");
    respond(response, callback, answer.status(), answer.body());
  }

  /** The query parameters of an upload, checked before its body is read. */
  record UploadRequest(
      String name,
      FusionRule rule,
      ChannelSelection channels,
      Integer audioStream,
      String sourceId,
      Map<String, String> query) {

    static UploadRequest parse(Map<String, String> query, ChannelSelection defaults) {
      FusionRule rule;
      try {
        rule =
            query.containsKey("rule")
                ? FusionRule.valueOf(
                    query.get("rule").trim().toUpperCase(Locale.ROOT).replace('-', '_'))
                : null;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown fusion rule '"
                + query.get("rule")
                + "'; accepted: "
                + Arrays.toString(FusionRule.values()),
            e);
      }
      ChannelSelection channels = defaults.withMode(query.get("channel"));
      String sourceId =
          query.containsKey("sourceId") ? IngestService.checkSourceId(query.get("sourceId")) : null;
      return new UploadRequest(
          displayName(query.get("name")),
          rule,
          channels,
          audioStream(query.get("audioStream")),
          sourceId,
          query);
    }

    private static Integer audioStream(String raw) {
      if (raw == null) {
        return null;
      }
      try {
        int n = Integer.parseInt(raw.trim());
        if (n >= 0 && n <= 1_000) {
          return n;
        }
      } catch (NumberFormatException e) {
        // falls through to the message below
      }
      throw new IllegalArgumentException(
          "audioStream '"
              + raw
              + "' is not accepted; give the audio stream's number "
              + "among the file's audio streams, from 0");
    }

    /** The parameters that make two requests the same upload, in a fixed order. */
    String fingerprint() {
      return new TreeMap<>(query).toString();
    }
  }

  /**
   * Reads one upload's body into its spool file without holding a thread (Jetty calls back when
   * bytes arrive), then hands it to the ingest pool. Exactly one of: answered after ingest,
   * answered with an error (spool deleted, nothing published), or the client left (nothing
   * published).
   */
  private final class BodySpool {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final UploadRequest upload;
    private final String key;
    private final String fingerprint;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final long startNanos = System.nanoTime();
    private Path spool;
    private FileChannel channel;
    private final byte[] head = new byte[StreamSniffer.WINDOW];
    private int headLength;
    private boolean decided;
    private long received;
    private Scheduler.Task deadline;

    BodySpool(
        Request request,
        Response response,
        Callback callback,
        UploadRequest upload,
        String key,
        String fingerprint) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.upload = upload;
      this.key = key;
      this.fingerprint = fingerprint;
    }

    void start() {
      deadline =
          scheduler.schedule(
              () ->
                  fail(
                      408,
                      "the upload took longer than "
                          + limits.uploadTimeout()
                          + " (EMOSTREAM_UPLOAD_TIMEOUT); it was cut off and nothing was published",
                      "upload-timeout"),
              limits.uploadTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
      read();
    }

    private void read() {
      while (!finished.get()) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this::read);
          return;
        }
        try {
          if (!accept(chunk)) {
            return;
          }
        } finally {
          chunk.release();
        }
      }
    }

    /** Takes one chunk; false once the body is over (complete, refused or failed). */
    private synchronized boolean accept(Content.Chunk chunk) {
      if (finished.get()) {
        return false;
      }
      if (Content.Chunk.isFailure(chunk)) {
        Throwable failure = chunk.getFailure();
        if (failure instanceof TimeoutException) {
          fail(
              408,
              "no data arrived for "
                  + limits.idleTimeout()
                  + " (EMOSTREAM_HTTP_IDLE_TIMEOUT); the upload was "
                  + "cut off and nothing was published",
              "idle-timeout");
        } else {
          LOG.info(
              "upload '{}' ended before its body was complete ({} bytes received): nothing published",
              upload.name(),
              received);
          fail(400, "the upload ended before its body was complete; nothing was published", null);
        }
        return false;
      }
      try {
        ByteBuffer bytes = chunk.getByteBuffer();
        received += bytes.remaining();
        if (received > config.maxUploadBytes()) {
          fail(413, tooLarge(), null);
          return false;
        }
        if (!decided && !decide(bytes, chunk.isLast())) {
          return !finished.get();
        }
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
      } catch (IOException e) {
        LOG.error("cannot spool an upload to {}", config.workDir(), e);
        fail(503, "the upload could not be stored; try again later", null);
        return false;
      }
      if (chunk.isLast()) {
        complete();
        return false;
      }
      long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
      if (limits.minUploadRate() > 0
          && elapsedMs >= limits.minRateAfter().toMillis()
          && elapsedMs > 0
          && received * 1000 / elapsedMs < limits.minUploadRate()) {
        fail(
            408,
            "the upload arrived at "
                + received * 1000 / elapsedMs
                + " bytes/s, below the minimum of "
                + limits.minUploadRate()
                + " bytes/s (EMOSTREAM_UPLOAD_MIN_RATE); it was cut off and nothing was "
                + "published",
            "min-rate");
        return false;
      }
      return true;
    }

    /**
     * Gathers the head of the body until {@link StreamSniffer} decides: true to spool (the head is
     * written, {@code bytes} follows), false while undecided or once the body went to {@link
     * #stream} (which then reads the rest itself).
     */
    private boolean decide(ByteBuffer bytes, boolean last) throws IOException {
      int take = Math.min(bytes.remaining(), head.length - headLength);
      bytes.get(head, headLength, take);
      headLength += take;
      StreamSniffer.Sniff sniff = StreamSniffer.sniff(head, headLength, last);
      if (sniff.verdict() == StreamSniffer.Verdict.MORE) {
        return false;
      }
      decided = true;
      if (sniff.verdict() == StreamSniffer.Verdict.STREAM) {
        byte[] prefix = Arrays.copyOf(head, headLength + bytes.remaining());
        bytes.get(prefix, headLength, bytes.remaining());
        stream(prefix, last, sniff.container());
        return false;
      }
      try {
        spool = Files.createTempFile(config.workDir(), "upload-", ".media");
        channel = FileChannel.open(spool, StandardOpenOption.WRITE);
      } catch (IOException e) {
        LOG.error("cannot spool an upload to {}", config.workDir(), e);
        fail(503, "the upload could not be stored; try again later", null);
        return false;
      }
      ByteBuffer first = ByteBuffer.wrap(head, 0, headLength);
      while (first.hasRemaining()) {
        channel.write(first);
      }
      return true;
    }

    /**
     * A container FFmpeg reads without seeking: from here an ingest thread reads the rest of the
     * body itself, blocking, and publishes each clip as soon as it is complete ({@link
     * StreamedBody}).
     */
    private void stream(byte[] prefix, boolean last, String container) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      deadline.cancel(); // StreamedBody's guard keeps the upload timeout from here
      if (key != null) {
        IdempotencyStore.Found found = idempotency.claim(key, fingerprint);
        if (!(found instanceof IdempotencyStore.Fresh)) {
          answeredFromStore(found, request, response, callback);
          return;
        }
      }
      try {
        ingestPool.execute(
            new StreamedBody(
                request, response, callback, upload, key, prefix, last, container, startNanos));
      } catch (RejectedExecutionException e) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
        IdempotencyStore.Answer busy =
            new IdempotencyStore.Answer(
                503,
                error(
                    "ingest is busy with "
                        + IngestConfig.HttpLimits.INGEST_QUEUE
                        + " uploads waiting; retry later"));
        if (key != null) {
          idempotency.finish(key, busy);
        }
        respond(response, callback, busy.status(), busy.body());
      }
    }

    /** The whole body is in: claim the key (if any) and queue the ingest. */
    private void complete() {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      deadline.cancel();
      closeChannel();
      // From here the client waits for the analysis, which may take minutes: silence is not
      // idleness any more.
      request.addIdleTimeoutListener(timeout -> false);
      if (key != null) {
        IdempotencyStore.Found found = idempotency.claim(key, fingerprint);
        if (!(found instanceof IdempotencyStore.Fresh)) {
          deleteSpool();
          answeredFromStore(found, request, response, callback);
          return;
        }
      }
      try {
        ingestPool.execute(this::ingest);
      } catch (RejectedExecutionException e) {
        deleteSpool();
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
        answer(
            new IdempotencyStore.Answer(
                503,
                error(
                    "ingest is busy with "
                        + IngestConfig.HttpLimits.INGEST_QUEUE
                        + " uploads waiting; retry later")));
      }
    }

    private void ingest() {
      int status;
      Object body;
      try {
        IngestService.Result result =
            service.ingest(
                spool,
                upload.name(),
                upload.rule(),
                upload.channels(),
                upload.audioStream(),
                upload.sourceId(),
                SourceKind.UPLOAD);
        status = 201;
        body = created(result, false);
        LOG.info(
            "upload '{}': source {}, {} segment(s)",
            result.sourceName(),
            result.sourceId(),
            result.clips().size());
        if (results != null) {
          results.uploaded(result);
        }
      } catch (IngestException e) {
        status = 400;
        body = error(withoutServerPaths(e.getMessage(), spool, upload.name()));
      } catch (RuntimeException e) {
        LOG.error("ingest of upload '{}' failed", upload.name(), e);
        status = 503;
        body = error("the clip could not be published; try again later");
      } finally {
        deleteSpool();
      }
      // Answered only once the spooled copy is gone.
      answer(new IdempotencyStore.Answer(status, body));
    }

    private void answer(IdempotencyStore.Answer answer) {
      if (key != null) {
        idempotency.finish(key, answer);
      }
      respond(response, callback, answer.status(), answer.body());
    }

    /** Ends the upload before its body was complete: nothing is ingested, the spool goes. */
    private void fail(int status, String message, String cutOffReason) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      if (deadline != null) {
        deadline.cancel();
      }
      closeChannel();
      deleteSpool();
      if (cutOffReason != null) {
        cutOff(cutOffReason);
      }
      // The rest of the body is never read: the connection closes after this answer.
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
      respond(response, callback, status, error(message));
    }

    private void closeChannel() {
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException e) {
        LOG.warn("closing the spool file of upload '{}' failed", upload.name(), e);
      }
    }

    private void deleteSpool() {
      try {
        if (spool != null) {
          Files.deleteIfExists(spool);
        }
      } catch (IOException e) {
        LOG.warn("could not delete the spool file of upload '{}'", upload.name(), e);
      }
    }
  }

  /**
   * One streamed upload on an ingest thread: reads the rest of the body blocking (after the head
   * {@link BodySpool} sniffed) through a {@link MediaStream}, which FFmpeg demuxes while it
   * arrives, and publishes each clip as soon as it is complete. The limits of a spooled upload hold
   * while it reads: EMOSTREAM_MAX_UPLOAD_BYTES (413), EMOSTREAM_UPLOAD_TIMEOUT and
   * EMOSTREAM_UPLOAD_MIN_RATE (checked after each read, 408), EMOSTREAM_HTTP_IDLE_TIMEOUT (Jetty
   * fails the blocked read, 408); a body cut off or abandoned publishes no clip it cut short. The
   * clips published before an error stay published, and the error answer names them ({@code
   * clipsPublished}, {@code clips}).
   */
  private final class StreamedBody implements Runnable {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final UploadRequest upload;
    private final String key;
    private final byte[] prefix;
    private final boolean last;
    private final String container;
    private final long startNanos;

    StreamedBody(
        Request request,
        Response response,
        Callback callback,
        UploadRequest upload,
        String key,
        byte[] prefix,
        boolean last,
        String container,
        long startNanos) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.upload = upload;
      this.key = key;
      this.prefix = prefix;
      this.last = last;
      this.container = container;
      this.startNanos = startNanos;
    }

    @Override
    public void run() {
      InputStream head = new ByteArrayInputStream(prefix);
      MediaStream body =
          new MediaStream(
              last ? head : new SequenceInputStream(head, Content.Source.asInputStream(request)),
              config.maxUploadBytes(),
              this::guard);
      // Silence while a clip is published after the body's end is not the client's idleness.
      request.addIdleTimeoutListener(timeout -> !body.ended());
      LOG.info("upload '{}': {} streamed, demuxed while it arrives", upload.name(), container);
      IdempotencyStore.Answer answer;
      try {
        IngestService.Result result =
            service.ingest(
                body,
                upload.name(),
                upload.rule(),
                upload.channels(),
                upload.audioStream(),
                upload.sourceId(),
                SourceKind.UPLOAD);
        LOG.info(
            "upload '{}' (streamed): source {}, {} segment(s)",
            result.sourceName(),
            result.sourceId(),
            result.clips().size());
        if (results != null) {
          results.uploaded(result);
        }
        answer = new IdempotencyStore.Answer(201, created(result, true));
      } catch (IngestException e) {
        answer = failed(e, body);
      } catch (RuntimeException e) {
        LOG.error("streamed ingest of upload '{}' failed", upload.name(), e);
        answer =
            new IdempotencyStore.Answer(
                503, error("the clip could not be published; try again later"));
      }
      if (key != null) {
        idempotency.finish(key, answer);
      }
      if (!body.ended()) {
        // The rest of the body is never read: the connection closes after this answer.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      respond(response, callback, answer.status(), answer.body());
    }

    /** The answer to a stream that failed: why, and the clips published before it. */
    private IdempotencyStore.Answer failed(IngestException e, MediaStream body) {
      IngestService.Result published =
          e instanceof PartlyIngestedException partly ? partly.published() : null;
      int clips = published == null ? 0 : published.clips().size();
      IOException failure = body.failure();
      int status = 400;
      String why;
      if (failure instanceof UploadCutOff cut) {
        status = cut.status();
        why = "the upload was cut off: " + cut.getMessage();
        if (cut.reason() != null) {
          cutOff(cut.reason());
        }
      } else if (failure != null && causedByTimeout(failure)) {
        status = 408;
        why =
            "no data arrived for "
                + limits.idleTimeout()
                + " (EMOSTREAM_HTTP_IDLE_TIMEOUT); the upload was cut off";
        cutOff("idle-timeout");
      } else if (failure != null) {
        LOG.info(
            "streamed upload '{}' ended before its body was complete ({} bytes received)",
            upload.name(),
            body.bytesRead());
        why = "the upload ended before its body was complete";
      } else {
        why = null; // the media's fault: the demuxer's message says what was published before it
      }
      if (published != null && results != null) {
        results.uploaded(published);
      }
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put(
          "error",
          why == null
              ? e.getMessage()
              : why
                  + "; "
                  + (clips == 0
                      ? "nothing was published"
                      : clips + " clip(s) complete before it were published and stay published"));
      if (why == null && published == null) {
        return new IdempotencyStore.Answer(status, answer); // refused as a spooled upload is
      }
      if (published != null) {
        answer.put("sourceId", published.sourceId());
      }
      answer.put("clipsPublished", clips);
      answer.put("clips", published == null ? List.of() : published.clips());
      return new IdempotencyStore.Answer(status, answer);
    }

    /** EMOSTREAM_UPLOAD_TIMEOUT and EMOSTREAM_UPLOAD_MIN_RATE, after each read. */
    private void guard(long received) throws UploadCutOff {
      long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
      if (elapsedMs > limits.uploadTimeout().toMillis()) {
        throw new UploadCutOff(
            408,
            "it took longer than " + limits.uploadTimeout() + " (EMOSTREAM_UPLOAD_TIMEOUT)",
            "upload-timeout");
      }
      if (limits.minUploadRate() > 0
          && elapsedMs >= limits.minRateAfter().toMillis()
          && elapsedMs > 0
          && received * 1000 / elapsedMs < limits.minUploadRate()) {
        throw new UploadCutOff(
            408,
            "it arrived at "
                + received * 1000 / elapsedMs
                + " bytes/s, below the minimum of "
                + limits.minUploadRate()
                + " bytes/s (EMOSTREAM_UPLOAD_MIN_RATE)",
            "min-rate");
      }
    }
  }

  private static boolean causedByTimeout(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** The answer to an upload ingested whole. */
  private static Map<String, Object> created(IngestService.Result result, boolean streamed) {
    Map<String, Object> created = new LinkedHashMap<>();
    created.put("sourceId", result.sourceId());
    created.put("sourceName", result.sourceName());
    created.put("clips", result.clips());
    created.put("streamed", streamed);
    return created;
  }

  /**
   * Completes a request only once its body has been read to the end. Answers given before the body
   * is read (a 4xx on the query or the headers, 413 on Content-Length, an idempotent replay) would
   * otherwise leave it unread: Jetty then reads what has already arrived and, if the client is
   * still sending, closes the connection, and a socket closed with unread input sends a TCP reset,
   * which can destroy the answer before the client reads it (the JDK client reports "Broken pipe" /
   * "header parser received no bytes"; RFC 9112 section 9.6). So after the answer is written the
   * rest of the body is read and dropped, up to {@link #DRAIN_BYTES} and {@link #DRAIN_TIME}; past
   * either the connection closes as before. An answer that cuts the upload off ({@code Connection:
   * close}: too slow, too large mid-body) is completed at once.
   */
  private final class Drain implements Callback {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean completed = new AtomicBoolean();
    private long drained;
    private volatile Scheduler.Task deadline;

    Drain(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
    }

    @Override
    public void succeeded() {
      if (response.getHeaders().contains(HttpHeader.CONNECTION, "close")) {
        complete();
        return;
      }
      deadline = scheduler.schedule(this::complete, DRAIN_TIME.toMillis(), TimeUnit.MILLISECONDS);
      drain();
    }

    // Jetty's demand loop (read a chunk, else demand a call back), as in the upload's read(): the
    // two loops do different things with a chunk, so they stay apart (alike by design).
    private void drain() {
      while (!completed.get()) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this::drain);
          return;
        }
        boolean over = chunk.isLast() || Content.Chunk.isFailure(chunk);
        drained += chunk.remaining();
        chunk.release();
        if (over || drained > DRAIN_BYTES) {
          complete();
          return;
        }
      }
    }

    private void complete() {
      if (completed.compareAndSet(false, true)) {
        if (deadline != null) {
          deadline.cancel();
        }
        callback.succeeded();
      }
    }

    @Override
    public void failed(Throwable failure) {
      if (completed.compareAndSet(false, true)) {
        if (deadline != null) {
          deadline.cancel();
        }
        callback.failed(failure);
      }
    }
  }

  private String tooLarge() {
    return "upload larger than the limit of " + config.maxUploadBytes() + " bytes";
  }

  private void cutOff(String reason) {
    Counter.builder("emostream.ingest.http.cutoff")
        .tag("reason", reason)
        .description("connections and uploads cut off for being too slow")
        .register(meters)
        .increment();
  }

  private void enter() {
    synchronized (inFlightLock) {
      inFlight++;
    }
  }

  private void leave() {
    synchronized (inFlightLock) {
      inFlight--;
      inFlightLock.notifyAll();
    }
  }

  private boolean awaitNoneInFlight(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (inFlightLock) {
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(inFlightLock, left);
      }
    }
    return true;
  }

  /**
   * 1 to 255 printable ASCII characters (RFC 9110 field value, as the Idempotency-Key draft takes
   * it).
   */
  static boolean validIdempotencyKey(String key) {
    return !key.isEmpty()
        && key.length() <= 255
        && key.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }

  /**
   * A key belongs to the credentials it was sent with: another token's identical key is another
   * upload.
   */
  private static String scope(String authorization, String key) {
    return HexFormat.of().formatHex(sha256(authorization == null ? "" : authorization)) + " " + key;
  }

  /**
   * Whether {@code header} is {@code Bearer <token>}; the comparison takes the same time wherever
   * they differ.
   */
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
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * The user's message with the spool file (path or name) replaced by the upload's display name.
   */
  static String withoutServerPaths(String message, Path upload, String name) {
    String m =
        String.valueOf(message)
            .replace(upload.toAbsolutePath().toString(), name)
            .replace(upload.toString(), name)
            .replace(upload.getFileName().toString(), name);
    Path dir = upload.toAbsolutePath().getParent();
    return dir == null ? m : m.replace(dir.toString(), "");
  }

  static boolean acceptedContentType(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.toLowerCase(Locale.ROOT).split(";")[0].trim();
    return type.startsWith("video/")
        || type.startsWith("audio/")
        || type.equals("application/octet-stream");
  }

  /**
   * A display name only: directories and control characters are dropped, so it can never become a
   * path.
   */
  static String displayName(String raw) {
    if (raw == null || raw.isBlank()) {
      return "upload";
    }
    String base = raw.replace('\\', '/');
    base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}]", "");
    return base.isBlank() || base.equals("..") || base.equals(".")
        ? "upload"
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
        params.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return params;
  }

  private static Map<String, String> error(String message) {
    return Map.of("error", message);
  }

  private void respond(Response response, Callback callback, int status, Object body) {
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
   * Stops accepting connections, then waits up to {@code grace} for the uploads in flight to be
   * ingested and answered; the caller closes the {@link Ingestor} after this returns.
   */
  public void close(Duration grace) {
    closing = true;
    connector.close();
    try {
      if (!awaitNoneInFlight(grace)) {
        LOG.warn("uploads still in flight after {}; stopping anyway", grace);
      }
      ingestPool.shutdown();
      if (!ingestPool.awaitTermination(1, TimeUnit.SECONDS)) {
        ingestPool.shutdownNow();
      }
      server.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ingestPool.shutdownNow();
    } catch (Exception e) {
      LOG.warn("stopping ingest HTTP failed", e);
    }
    closed = true;
  }

  @Override
  public void close() {
    close(SHUTDOWN_GRACE);
  }
}
