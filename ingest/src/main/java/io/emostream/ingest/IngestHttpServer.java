package io.emostream.ingest;

import io.emostream.ops.HealthCheck;
import io.emostream.schemas.FusionRule;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
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
 * finish (they are answered) for up to the grace period; the uploads still in flight {@link
 * #ANSWER_TIME} before its end (a body still arriving, or one still being ingested) are stopped
 * before their next clip and answered 503 with Retry-After and the clips they published. Meters:
 * {@code emostream.ingest.http.requests} (tag {@code status}, {@code emostream.ingest.http.cutoff}
 * (tag {@code reason}: header-timeout, idle-timeout, upload-timeout, min-rate, shutdown).
 *
 * <p>This class holds the Jetty server, its routes, the index and {@code GET /sources/…}, and the
 * orderly close; uploads are {@link UploadHandler}'s (body: {@link BodySpool}, {@link
 * StreamedBody}), live sources {@link StreamsHandler}'s, answers and shared checks {@link
 * HttpAnswers}' and {@link RequestChecks}', the drain of an unread body {@link Drain}'s. Over 300
 * lines with this contract of the endpoints and the constructors its callers use; the code is the
 * server's wiring and routes.
 */
public final class IngestHttpServer implements AutoCloseable, HealthCheck {

  /** How long {@link #close()} waits for uploads in flight. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  /**
   * The end of a shutdown's grace kept for answering the uploads still arriving, which are cut off
   * when it starts ({@link #close(Duration)}).
   */
  static final Duration ANSWER_TIME = Duration.ofSeconds(5);

  /** The header naming a retry-safe upload. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private static final Logger LOG = LoggerFactory.getLogger(IngestHttpServer.class);

  private final IngestConfig config;
  private final Server server;
  private final ServerConnector connector;
  private final Scheduler scheduler;
  private final RequestHeadTimeout headTimeout;
  private final ThreadPoolExecutor ingestPool;

  /** Null: this server keeps no results ({@code GET /sources/…} says where they are). */
  private final FusedSegmentStore results;

  /** Null: this ingest pulls no live sources. */
  private final LiveSources live;

  private final HttpAnswers answers;
  private final UploadHandler uploads;
  private final StreamsHandler streams;

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
    if (live != null && results != null) {
      live.onEnded(ended -> results.liveEnded(ended.result()));
    }
    IngestConfig.HttpLimits limits = config.http();
    this.answers = new HttpAnswers(config, meters);
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
        new RequestHeadTimeout(
            scheduler, limits.headerTimeout(), () -> answers.cutOff("header-timeout"));
    connector.addEventListener(headTimeout);
    server.setHandler(new Routes());
    server.setErrorHandler(new JsonErrors());
    AtomicInteger ingestThread = new AtomicInteger();
    this.ingestPool =
        new ThreadPoolExecutor(
            limits.ingestThreads(),
            limits.ingestThreads(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(IngestConfig.HttpLimits.INGEST_QUEUE),
            r -> new Thread(r, "ingest-upload-" + ingestThread.incrementAndGet()));
    this.uploads =
        new UploadHandler(
            config, service, clock, results, ingestPool, scheduler, answers, () -> closing);
    this.streams =
        new StreamsHandler(
            config, live, uploads.sourceIds, uploads.unavailableRules, answers, () -> closing);
  }

  /**
   * Answers requests for {@code rule} (uploads and live sources) 400 with {@code why}: for a rule
   * the fusion behind this server cannot run (e.g. LOGISTIC_REGRESSION without a model), which
   * would otherwise fail in fusion and reach the client as another rule's result. The one-JVM
   * platform knows its fusion's settings and calls this; a standalone ingest does not.
   */
  public void refuseRule(FusionRule rule, String why) {
    uploads.unavailableRules.put(rule, why);
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
              scheduler,
              request,
              response,
              Callback.from(callback, () -> headTimeout.requestEnded(connection)));
      String path = request.getHttpURI().getPath();
      switch (path) {
        case "/health", "/health/" -> answers.respond(response, done, 200, Map.of("status", "UP"));
        case "/clips", "/clips/" -> uploads.clips(request, response, done);
        case "/" -> index(request, response, done);
        default -> {
          if (path.startsWith(SOURCES)) {
            source(request, response, done, path.substring(SOURCES.length()));
          } else if (path.equals("/streams") || path.equals("/streams/")) {
            streams.streams(request, response, done);
          } else if (path.startsWith(STREAMS)) {
            streams.stream(request, response, done, path.substring(STREAMS.length()));
          } else {
            answers.respond(
                response, done, 404, HttpAnswers.error("no such endpoint; GET / lists them"));
          }
        }
      }
      return true;
    }
  }

  private static final String SOURCES = "/sources/";
  private static final String STREAMS = "/streams/";

  /** The endpoints, for people finding their way. */
  private void index(Request request, Response response, Callback callback) {
    if (!answers.onlyGet(request, response, callback)) {
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
              endpoint("GET", "/streams/{sourceId}", "one live source", true),
              endpoint("DELETE", "/streams/{sourceId}", "stop a live source", true)));
    }
    index.put("endpoints", endpoints);
    index.put("bearerTokenRequired", config.requiresToken());
    answers.respond(response, callback, 200, index);
  }

  /**
   * {@code token}: the endpoint takes the bearer token when one is set (EMOSTREAM_INGEST_TOKEN).
   */
  private Map<String, Object> endpoint(
      String method, String path, String description, boolean token) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("method", method);
    e.put("path", path);
    e.put("description", description);
    e.put("needsToken", token && config.requiresToken());
    return e;
  }

  /**
   * {@code GET /sources/{id}}: the source's fused segments so far, under the same token rule as
   * uploads.
   */
  private void source(Request request, Response response, Callback callback, String rawId) {
    if (!answers.onlyGet(request, response, callback)
        || answers.refusedToken(request, response, callback)) {
      return;
    }
    String sourceId = answers.pathSourceId(rawId, response, callback);
    if (sourceId == null) {
      return;
    }
    if (results == null) {
      answers.respond(
          response,
          callback,
          404,
          HttpAnswers.error(
              "this ingest keeps no results: GET /sources/{id} is served by "
                  + "./emostream up; read the fused topic for the results of source "
                  + sourceId));
      return;
    }
    var answer = results.source(sourceId);
    if (answer.isEmpty()) {
      answers.respond(
          response,
          callback,
          404,
          HttpAnswers.error(
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
    answers.respond(response, callback, 200, answer.get());
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
      Duration answering =
          grace.compareTo(ANSWER_TIME.multipliedBy(2)) > 0 ? ANSWER_TIME : grace.dividedBy(2);
      Duration untilCut = grace.minus(answering);
      if (!uploads.awaitNoneInFlight(untilCut)) {
        int cut = uploads.cutOffReading();
        if (cut > 0) {
          LOG.warn(
              "{} upload(s) still in flight after {}: stopped before their next clip and answered"
                  + " 503 (Retry-After) with the clips published",
              cut,
              untilCut);
        }
        if (!uploads.awaitNoneInFlight(answering)) {
          LOG.warn("uploads still in flight after {}; stopping anyway", grace);
        }
      }
      ingestPool.shutdown();
      if (!ingestPool.awaitTermination(1, TimeUnit.SECONDS)) {
        ingestPool.shutdownNow();
      }
      server.stop();
    } catch (InterruptedException e) {
      // told to stop without waiting: the uploads still arriving are cut off first, so they are
      // answered 503 with their clips, not as bodies that broke off
      Thread.currentThread().interrupt();
      uploads.cutOffReading();
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

  /**
   * The answers Jetty makes itself, before any route (414 URI too long, 431 headers too large, 400
   * on a malformed request line), as the same {"error": ...} JSON as every other answer, not an
   * HTML page.
   */
  static final class JsonErrors extends ErrorHandler {
    @Override
    protected void generateResponse(
        Request request,
        Response response,
        int code,
        String message,
        Throwable cause,
        Callback callback)
        throws IOException {
      String text = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
      byte[] body =
          HttpAnswers.JSON.writeValueAsBytes(HttpAnswers.error(text.toLowerCase(Locale.ROOT)));
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(true, ByteBuffer.wrap(body), callback);
    }
  }
}
