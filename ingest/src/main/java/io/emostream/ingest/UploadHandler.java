package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@code POST /clips}: checks an upload's request, answers a retry from the idempotency store and
 * counts the uploads in flight for an orderly close; {@link BodySpool} reads the body (and hands a
 * streamable one to {@link StreamedBody}).
 */
final class UploadHandler {

  private static final int MAX_IDEMPOTENCY_KEYS = 10_000;

  final IngestConfig config;
  final IngestConfig.HttpLimits limits;
  final Ingestor service;

  /** Null: this server keeps no results. */
  final FusedSegmentStore results;

  final IdempotencyStore idempotency;
  final SourceIdClaims sourceIds;

  /**
   * Rules the fusion behind this server cannot run, with why (shared with {@link StreamsHandler}):
   * a request asking for one is 400, not a clip whose rule fails in fusion ({@link
   * IngestHttpServer#refuseRule}).
   */
  final Map<FusionRule, String> unavailableRules = new ConcurrentHashMap<>();

  final ThreadPoolExecutor ingestPool;
  final Scheduler scheduler;
  final HttpAnswers answers;
  private final BooleanSupplier closing;

  private final Object inFlightLock = new Object();
  private int inFlight;

  /**
   * The uploads whose bodies are still being read, spooled or streamed ({@link #cutOffReading}).
   */
  final Set<BodySpool> reading = ConcurrentHashMap.newKeySet();

  UploadHandler(
      IngestConfig config,
      Ingestor service,
      Clock clock,
      FusedSegmentStore results,
      ThreadPoolExecutor ingestPool,
      Scheduler scheduler,
      HttpAnswers answers,
      BooleanSupplier closing) {
    this.config = config;
    this.limits = config.http();
    this.service = service;
    this.results = results;
    this.idempotency = new IdempotencyStore(clock, limits.idempotencyTtl(), MAX_IDEMPOTENCY_KEYS);
    this.sourceIds = new SourceIdClaims(clock, limits.idempotencyTtl(), MAX_IDEMPOTENCY_KEYS);
    this.ingestPool = ingestPool;
    this.scheduler = scheduler;
    this.answers = answers;
    this.closing = closing;
  }

  void clips(Request request, Response response, Callback callback) {
    if (closing.getAsBoolean()) {
      refuse(
          request,
          response,
          callback,
          503,
          HttpAnswers.error(
              "ingest is shutting down; send the upload to another instance or " + "retry later"));
      return;
    }
    if (!"POST".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      refuse(
          request,
          response,
          callback,
          405,
          HttpAnswers.error("use POST with the video as the request body"));
      return;
    }
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (config.requiresToken() && !RequestChecks.authorized(authorization, config.ingestToken())) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"emostream-ingest\"");
      refuse(
          request,
          response,
          callback,
          401,
          HttpAnswers.error("missing or wrong bearer token: send 'Authorization: Bearer <token>'"));
      return;
    }
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (!RequestChecks.acceptedContentType(contentType)) {
      refuse(
          request,
          response,
          callback,
          415,
          HttpAnswers.error(
              contentType == null
                  ? "no Content-Type; send video/*, audio/* or application/octet-stream"
                  : "Content-Type '"
                      + contentType
                      + "' is not accepted; send video/*, audio/* or application/octet-stream"));
      return;
    }
    // every Content-Encoding header and every coding in each: "identity" alone is the body as it is
    String encoding =
        request.getHeaders().getValuesList(HttpHeader.CONTENT_ENCODING).stream()
            .flatMap(v -> Arrays.stream(v.split(",")))
            .map(String::strip)
            .filter(v -> !v.isEmpty() && !"identity".equalsIgnoreCase(v))
            .findFirst()
            .orElse(null);
    if (encoding != null) {
      // the body would be read as media as it is: a gzip body fails to decode, a mislabelled one
      // is analysed while its header says otherwise
      refuse(
          request,
          response,
          callback,
          415,
          HttpAnswers.error(
              "Content-Encoding '"
                  + encoding
                  + "' is not accepted; send the media file as it is (it is compressed already)"));
      return;
    }
    UploadRequest upload;
    try {
      upload =
          UploadRequest.parseQuery(
              HttpAnswers.query(request.getHttpURI().getQuery()), config.channels());
      checkRule(upload.rule(), unavailableRules);
    } catch (IllegalArgumentException e) {
      refuse(request, response, callback, 400, HttpAnswers.error(e.getMessage()));
      return;
    }
    String key = request.getHeaders().get(IngestHttpServer.IDEMPOTENCY_KEY);
    if (key != null && !RequestChecks.validIdempotencyKey(key)) {
      refuse(
          request,
          response,
          callback,
          400,
          HttpAnswers.error(
              IngestHttpServer.IDEMPOTENCY_KEY + " must be 1 to 255 printable ASCII characters"));
      return;
    }
    long length = request.getLength();
    String scopedKey = key == null ? null : RequestChecks.scope(authorization, key);
    String fingerprint = upload.fingerprint() + " length=" + length;
    if (scopedKey != null
        && answeredFromStore(
            idempotency.lookup(scopedKey, fingerprint), request, response, callback)) {
      return;
    }
    if (length > config.maxUploadBytes()) {
      refuse(request, response, callback, 413, HttpAnswers.error(tooLarge()));
      return;
    }
    String sourceId = upload.sourceId();
    if (sourceId != null && !sourceIds.claim(sourceId, scopedKey)) {
      refuse(request, response, callback, 409, HttpAnswers.error(SourceIdClaims.inUse(sourceId)));
      return;
    }
    if (sourceId == null && scopedKey != null) {
      // the source id a keyed upload gets is derived from its key: claimed as a chosen one is, so a
      // retry of an attempt that failed after publishing clips is refused, not published again
      // under the id whose summary the first attempt's end already wrote
      sourceId = IngestService.ids(null, scopedKey).sourceId();
      if (!sourceIds.claim(sourceId, scopedKey)) {
        refuse(
            request, response, callback, 409, HttpAnswers.error(SourceIdClaims.keyUsed(sourceId)));
        return;
      }
    }
    enter();
    Callback answered = sourceId == null ? callback : releasing(sourceId, response, callback);
    new BodySpool(
            this,
            request,
            response,
            Callback.from(answered, this::leave),
            upload,
            scopedKey,
            fingerprint)
        .start();
  }

  /**
   * Answers an upload refused before its body is read, and tells the results' listener ({@code
   * up}'s log): a 415, 409, 401 or a bad parameter got no line (found by a hostile-user pass).
   */
  private void refuse(
      Request request, Response response, Callback callback, int status, Map<String, String> body) {
    answers.respond(response, callback, status, body);
    answeredWithoutClips(nameOf(request), status, body);
  }

  /** The upload's display name, "upload" when its query has none or cannot be read. */
  private static String nameOf(Request request) {
    try {
      return RequestChecks.displayName(
          HttpAnswers.query(request.getHttpURI().getQuery()).get("name"));
    } catch (IllegalArgumentException e) {
      return RequestChecks.displayName(null);
    }
  }

  /**
   * Tells the results' listener ({@code up}'s log) about an upload answered with an error that
   * published nothing (one that published clips was told as {@code failedAfter}), so every upload
   * gets its line.
   */
  void answeredWithoutClips(String name, int status, Object body) {
    if (results == null || status == 201 || !(body instanceof Map<?, ?> answer)) {
      return;
    }
    Object published = answer.get("clipsPublished");
    if (published instanceof Integer clips && clips > 0) {
      return;
    }
    results.refused(name, status, String.valueOf(answer.get("error")));
  }

  /**
   * {@code callback}, giving the claimed {@code sourceId} back (or keeping it, on a 201) before the
   * answer completes, so that a client retrying at once after an error finds it free.
   */
  private Callback releasing(String sourceId, Response response, Callback callback) {
    return new Callback.Nested(callback) {
      @Override
      public void succeeded() {
        sourceIds.finish(sourceId, response.getStatus());
        super.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        // The answer could not be written (the client went away): what was decided still holds,
        // and an upload whose body arrived whole was ingested (its clips published) all the same.
        sourceIds.finish(sourceId, response.getStatus());
        super.failed(x);
      }
    };
  }

  /**
   * Answers from the idempotency store when the key is known; false when the request must run. The
   * body of a request answered here is read and dropped after the answer ({@link Drain}).
   */
  boolean answeredFromStore(
      IdempotencyStore.Found found, Request request, Response response, Callback callback) {
    if (found instanceof IdempotencyStore.Mismatch) {
      refuse(
          request,
          response,
          callback,
          422,
          HttpAnswers.error(
              IngestHttpServer.IDEMPOTENCY_KEY
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
                              503,
                              HttpAnswers.error(
                                  "the clip could not be published; try again later"))));
      return true;
    }
    return false;
  }

  private void replay(Response response, Callback callback, IdempotencyStore.Answer answer) {
    response.getHeaders().put("Idempotent-Replayed", "true");
    answers.respond(response, callback, answer.status(), answer.body());
  }

  /** Refuses a rule the fusion behind this server cannot run (null: fusion's default rule). */
  static void checkRule(FusionRule rule, Map<FusionRule, String> unavailable) {
    String why = rule == null ? null : unavailable.get(rule);
    if (why != null) {
      throw new IllegalArgumentException("rule " + rule + " cannot run here: " + why);
    }
  }

  static boolean causedByTimeout(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** The answer to an upload ingested whole. */
  static Map<String, Object> created(IngestService.Result result, boolean streamed) {
    Map<String, Object> created = new LinkedHashMap<>();
    created.put("sourceId", result.sourceId());
    created.put("sourceName", result.sourceName());
    created.put("clips", result.clips());
    created.put("streamed", streamed);
    return created;
  }

  String tooLarge() {
    return "upload larger than the limit of " + config.maxUploadBytes() + " bytes";
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

  /**
   * Ends every upload whose body is still arriving because the server is shutting down, and those
   * being ingested at their next clip: each is answered 503 with Retry-After, with the clips
   * published before it. Returns how many bodies were still arriving.
   */
  int cutOffReading() {
    service.stopIngesting(); // and those being ingested stop before their next clip
    List<BodySpool> now = List.copyOf(reading);
    now.forEach(BodySpool::shutDown);
    return now.size();
  }

  boolean awaitNoneInFlight(Duration grace) throws InterruptedException {
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
}
