package io.emostream.ingest;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Ingest settings from the environment.
 *
 * @param segmentMs EMOSTREAM_SEGMENT_SECONDS (default 4): clip length
 * @param minSegmentMs EMOSTREAM_MIN_SEGMENT_SECONDS (default 1): a shorter tail joins the previous
 *     clip
 * @param framesPerSegment EMOSTREAM_FRAMES_PER_SEGMENT (default 8, 2 a second; was 32: the face
 *     model's labels held at 8, docs/performance.md "Frames per clip and JPEG quality")
 * @param maxFrameSide EMOSTREAM_MAX_FRAME_SIDE (default 640): frames are downscaled to fit
 * @param jpegQuality EMOSTREAM_JPEG_QUALITY (default 0.75; was 0.9, see framesPerSegment)
 * @param httpHost EMOSTREAM_HTTP_HOST (default 127.0.0.1)
 * @param httpPort EMOSTREAM_HTTP_PORT (default 8080)
 * @param maxUploadBytes EMOSTREAM_MAX_UPLOAD_BYTES (default 1 GiB)
 * @param workDir EMOSTREAM_WORK_DIR (default the system temp dir): uploads are spooled here
 * @param channels EMOSTREAM_AUDIO_CHANNEL (mix, left, right, both) and EMOSTREAM_CHANNEL_ROLES
 *     (e.g. left:agent,right:customer): which channel of a stereo call is analysed; with roles and
 *     no channel, the customer's
 * @param maxFramePixels EMOSTREAM_MAX_FRAME_PIXELS (default 7680x4320, 8K UHD): a video whose
 *     frames are larger is rejected after probing, before anything is decoded
 * @param maxDurationMs EMOSTREAM_MAX_DURATION_SECONDS (default 14400, 4 h): a source whose
 *     container says it is longer is rejected before anything is decoded
 * @param ingestToken EMOSTREAM_INGEST_TOKEN (default none): when set, {@code POST /clips} needs
 *     {@code Authorization: Bearer <token>}; never logged ({@link #toString()} hides it)
 * @param authDisabled EMOSTREAM_INGEST_AUTH=none: the standalone service may run without a token
 * @param http the HTTP server's timeouts and limits ({@link HttpLimits})
 * @param audioStream EMOSTREAM_AUDIO_STREAM (default none): which audio stream of a source with
 *     several is analysed, counted from 0 among its audio streams (FFmpeg's {@code a:N}); without
 *     it, the stream marked default, else FFmpeg's best one
 * @param live the limits and timeouts of live sources ({@link LiveLimits})
 * @param segmentation EMOSTREAM_SEGMENTATION and its settings: fixed windows or cuts at pauses in
 *     the speech ({@link Segmentation})
 * @param publishers EMOSTREAM_INGEST_PUBLISHERS (default 4, 1 to 64): transactional producers
 *     publishing clips at once ({@link ClipPublisher}); one caps an instance at about 100 clips a
 *     second, one transaction per clip
 * @param skipNonReferenceFrames EMOSTREAM_DECODE_SKIP_NONREF (default true): the video decoder
 *     skips frames no other frame refers to (FFmpeg's {@code skip_frame=noref}: most B-frames of
 *     H.264 and HEVC), since ingest keeps only a few frames a second; a kept frame is then the next
 *     decoded one, at most a few frames later. No change for streams without such frames. Only
 *     while frames are kept at least {@link #SKIP_NONREF_MIN_SPACING_MS} apart ({@link
 *     #decodesReferenceFramesOnly}), so no kept frame is lost to a skipped run.
 *     <p>Over 300 lines: one field, environment variable and default per ingest setting, declared
 *     together next to the record as the service kit asks.
 */
public record IngestConfig(
    KafkaSettings kafka,
    Topics topics,
    long segmentMs,
    long minSegmentMs,
    int framesPerSegment,
    int maxFrameSide,
    float jpegQuality,
    String httpHost,
    int httpPort,
    long maxUploadBytes,
    Path workDir,
    String transactionalIdPrefix,
    ChannelSelection channels,
    long maxFramePixels,
    long maxDurationMs,
    String ingestToken,
    boolean authDisabled,
    HttpLimits http,
    Integer audioStream,
    LiveLimits live,
    Segmentation segmentation,
    int publishers,
    boolean skipNonReferenceFrames) {

  /**
   * Live sources ({@code POST /streams}, {@code ./emostream analyze URL}): how many at once, and
   * how long a silent or lost one is waited for.
   *
   * @param maxSources EMOSTREAM_MAX_LIVE_SOURCES (default 8): live sources pulled at once, one
   *     thread each; one more is answered 429
   * @param connectTimeout EMOSTREAM_LIVE_CONNECT_TIMEOUT (default 10s): connecting to an RTSP, HTTP
   *     or SRT URL fails after this (not RTMP: see {@link VideoDemuxer#liveOptions})
   * @param readTimeout EMOSTREAM_LIVE_READ_TIMEOUT (default 10s): a source that sends nothing for
   *     this long is taken as lost (FFmpeg's {@code rw_timeout})
   * @param reconnectFor EMOSTREAM_LIVE_RECONNECT_FOR (default 10s; 0 turns reconnecting off): a
   *     source whose connection ends is reconnected, with backoff from {@link #FIRST_BACKOFF}
   *     doubling up to {@link #MAX_BACKOFF}, for this long; then it ends, {@code completed} if the
   *     server closed the stream, {@code timeout: ...} if it went silent or was never reached (an
   *     RTMP or SRT server's end of stream and a dropped link look alike to FFmpeg, so a source's
   *     ENDED event comes this long after its last media)
   */
  public record LiveLimits(
      int maxSources, Duration connectTimeout, Duration readTimeout, Duration reconnectFor) {

    public static final String MAX_LIVE_SOURCES_ENV = "EMOSTREAM_MAX_LIVE_SOURCES";
    public static final String LIVE_CONNECT_TIMEOUT_ENV = "EMOSTREAM_LIVE_CONNECT_TIMEOUT";
    public static final String LIVE_READ_TIMEOUT_ENV = "EMOSTREAM_LIVE_READ_TIMEOUT";
    public static final String LIVE_RECONNECT_FOR_ENV = "EMOSTREAM_LIVE_RECONNECT_FOR";
    public static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** The next wait of a backoff: {@code backoff} doubled, at most {@code max}. */
    static Duration doubled(Duration backoff, Duration max) {
      Duration twice = backoff.multipliedBy(2);
      return twice.compareTo(max) > 0 ? max : twice;
    }

    public LiveLimits {
      HttpLimits.positive(LIVE_CONNECT_TIMEOUT_ENV, connectTimeout);
      HttpLimits.positive(LIVE_READ_TIMEOUT_ENV, readTimeout);
    }

    public static LiveLimits fromEnv(Env env) {
      return new LiveLimits(
          env.integer(MAX_LIVE_SOURCES_ENV, 8, 1, 10_000),
          env.duration(LIVE_CONNECT_TIMEOUT_ENV, Duration.ofSeconds(10)),
          env.duration(LIVE_READ_TIMEOUT_ENV, Duration.ofSeconds(10)),
          env.duration(LIVE_RECONNECT_FOR_ENV, Duration.ofSeconds(10)));
    }
  }

  /**
   * What keeps the upload endpoint up under slow or hostile clients. Request heads are parsed and
   * bodies read without holding a thread (Jetty's selector), so a stalled or slow client costs a
   * connection and a little memory, not a worker; the limits below bound those too.
   *
   * @param headerTimeout EMOSTREAM_HTTP_HEADER_TIMEOUT (default 10s): a connection that has not
   *     sent a whole request head this long after it opened (or after its previous answer) is
   *     closed
   * @param idleTimeout EMOSTREAM_HTTP_IDLE_TIMEOUT (default 30s): an upload whose body sends no
   *     byte for this long is answered 408 and cut off
   * @param uploadTimeout EMOSTREAM_UPLOAD_TIMEOUT (default 30m): the whole body must arrive within
   *     this, else 408
   * @param minUploadRate EMOSTREAM_UPLOAD_MIN_RATE (bytes per second, default 4096; 0 turns it
   *     off): an upload whose average rate since its body started falls below this, once {@code
   *     minRateAfter} has passed, is answered 408 and cut off
   * @param minRateAfter EMOSTREAM_UPLOAD_MIN_RATE_AFTER (default 10s): how long a body runs before
   *     its rate is checked (TCP slow start, a client's warm-up)
   * @param maxConnections EMOSTREAM_HTTP_MAX_CONNECTIONS (default 256): with this many open the
   *     server stops accepting until one closes (new ones wait in the operating system's accept
   *     queue)
   * @param threads EMOSTREAM_HTTP_THREADS (default 32): the server's bounded thread pool (no thread
   *     waits on a client)
   * @param ingestThreads EMOSTREAM_HTTP_INGEST_THREADS (default 4): uploads demuxed and published
   *     at once; up to {@link #INGEST_QUEUE} more wait for one, and beyond that an upload is
   *     answered 503
   * @param idempotencyTtl EMOSTREAM_IDEMPOTENCY_TTL (default 1440m, a day): how long the answer to
   *     an upload with an {@code Idempotency-Key} is kept for its retries
   */
  public record HttpLimits(
      Duration headerTimeout,
      Duration idleTimeout,
      Duration uploadTimeout,
      long minUploadRate,
      Duration minRateAfter,
      int maxConnections,
      int threads,
      int ingestThreads,
      Duration idempotencyTtl) {

    /** The variables of the fields above, in order. */
    public static final String HTTP_HEADER_TIMEOUT_ENV = "EMOSTREAM_HTTP_HEADER_TIMEOUT";

    public static final String HTTP_IDLE_TIMEOUT_ENV = "EMOSTREAM_HTTP_IDLE_TIMEOUT";
    public static final String UPLOAD_TIMEOUT_ENV = "EMOSTREAM_UPLOAD_TIMEOUT";
    public static final String IDEMPOTENCY_TTL_ENV = "EMOSTREAM_IDEMPOTENCY_TTL";
    public static final String UPLOAD_MIN_RATE_ENV = "EMOSTREAM_UPLOAD_MIN_RATE";
    public static final String UPLOAD_MIN_RATE_AFTER_ENV = "EMOSTREAM_UPLOAD_MIN_RATE_AFTER";
    public static final String HTTP_MAX_CONNECTIONS_ENV = "EMOSTREAM_HTTP_MAX_CONNECTIONS";
    public static final String HTTP_THREADS_ENV = "EMOSTREAM_HTTP_THREADS";
    public static final String HTTP_INGEST_THREADS_ENV = "EMOSTREAM_HTTP_INGEST_THREADS";

    /**
     * Uploads received completely that wait for an ingest thread before new ones are answered 503.
     */
    public static final int INGEST_QUEUE = 64;

    /**
     * The shortest HTTP timeout taken: a bare number is milliseconds, so {@code
     * EMOSTREAM_HTTP_IDLE_TIMEOUT=5} meant 5 ms and every request was cut off (found by a
     * hostile-user pass); no client sends a request within less.
     */
    static final Duration MIN_HTTP_TIMEOUT = Duration.ofSeconds(1);

    public HttpLimits {
      atLeastOneSecond(HTTP_HEADER_TIMEOUT_ENV, headerTimeout);
      atLeastOneSecond(HTTP_IDLE_TIMEOUT_ENV, idleTimeout);
      atLeastOneSecond(UPLOAD_TIMEOUT_ENV, uploadTimeout);
      positive(IDEMPOTENCY_TTL_ENV, idempotencyTtl);
    }

    static void positive(String name, Duration d) {
      if (d.isZero()) {
        throw new IllegalArgumentException(
            name + " must be longer than 0, such as 500ms, 30s or 2m");
      }
    }

    private static void atLeastOneSecond(String name, Duration d) {
      if (d.compareTo(MIN_HTTP_TIMEOUT) < 0) {
        throw new IllegalArgumentException(
            name
                + " is "
                + d.toMillis()
                + " ms; it must be at least 1s (a number without a unit is milliseconds: write"
                + " 30s, 2m)");
      }
    }

    public static HttpLimits fromEnv(Env env) {
      return new HttpLimits(
          env.duration(HTTP_HEADER_TIMEOUT_ENV, Duration.ofSeconds(10)),
          env.duration(HTTP_IDLE_TIMEOUT_ENV, Duration.ofSeconds(30)),
          env.duration(UPLOAD_TIMEOUT_ENV, Duration.ofMinutes(30)),
          (long) env.decimal(UPLOAD_MIN_RATE_ENV, 4096, 0, 1e12),
          env.duration(UPLOAD_MIN_RATE_AFTER_ENV, Duration.ofSeconds(10)),
          env.integer(HTTP_MAX_CONNECTIONS_ENV, 256, 1, 1_000_000),
          env.integer(HTTP_THREADS_ENV, 32, 8, 10_000),
          env.integer(HTTP_INGEST_THREADS_ENV, 4, 1, 1_000),
          env.duration(IDEMPOTENCY_TTL_ENV, Duration.ofDays(1)));
    }
  }

  /** The variables of the fields above (see each); the HTTP limits' are in {@link HttpLimits}. */
  public static final String SEGMENT_SECONDS_ENV = "EMOSTREAM_SEGMENT_SECONDS";

  public static final String MIN_SEGMENT_SECONDS_ENV = "EMOSTREAM_MIN_SEGMENT_SECONDS";
  public static final String FRAMES_PER_SEGMENT_ENV = "EMOSTREAM_FRAMES_PER_SEGMENT";
  public static final String MAX_FRAME_SIDE_ENV = "EMOSTREAM_MAX_FRAME_SIDE";
  public static final String JPEG_QUALITY_ENV = "EMOSTREAM_JPEG_QUALITY";
  public static final String HTTP_HOST_ENV = "EMOSTREAM_HTTP_HOST";
  public static final String HTTP_PORT_ENV = "EMOSTREAM_HTTP_PORT";
  public static final String MAX_UPLOAD_BYTES_ENV = "EMOSTREAM_MAX_UPLOAD_BYTES";
  public static final String WORK_DIR_ENV = "EMOSTREAM_WORK_DIR";
  public static final String INGEST_TRANSACTIONAL_ID_ENV = "EMOSTREAM_INGEST_TRANSACTIONAL_ID";
  public static final String AUDIO_CHANNEL_ENV = "EMOSTREAM_AUDIO_CHANNEL";
  public static final String CHANNEL_ROLES_ENV = "EMOSTREAM_CHANNEL_ROLES";
  public static final String MAX_FRAME_PIXELS_ENV = "EMOSTREAM_MAX_FRAME_PIXELS";
  public static final String MAX_DURATION_SECONDS_ENV = "EMOSTREAM_MAX_DURATION_SECONDS";
  public static final String AUDIO_STREAM_ENV = "EMOSTREAM_AUDIO_STREAM";
  public static final String PUBLISHERS_ENV = "EMOSTREAM_INGEST_PUBLISHERS";
  public static final int DEFAULT_PUBLISHERS = 4;
  public static final String DEFAULT_TRANSACTIONAL_ID = "emostream-ingest";
  public static final String DEFAULT_HTTP_HOST = "127.0.0.1";
  public static final int DEFAULT_HTTP_PORT = 8080;

  /** EMOSTREAM_INGEST_AUTH: {@code token} (default) or {@code none}. */
  public static final String AUTH_ENV = "EMOSTREAM_INGEST_AUTH";

  public static final String TOKEN_ENV = "EMOSTREAM_INGEST_TOKEN";

  public static final String SKIP_NONREF_ENV = "EMOSTREAM_DECODE_SKIP_NONREF";

  /** Kept frames closer than this (more than 5 a second) are all decoded. */
  public static final long SKIP_NONREF_MIN_SPACING_MS = 200;

  /**
   * Whether the decoder skips non-reference frames: EMOSTREAM_DECODE_SKIP_NONREF, and frames kept
   * at least {@link #SKIP_NONREF_MIN_SPACING_MS} apart (500 ms by default).
   */
  public boolean decodesReferenceFramesOnly() {
    return skipNonReferenceFrames && segmentMs >= SKIP_NONREF_MIN_SPACING_MS * framesPerSegment;
  }

  public static IngestConfig fromEnv(Env env) {
    return new IngestConfig(
        KafkaSettings.fromEnv(env),
        TopicsEnv.fromEnv(env),
        Math.round(env.decimal(SEGMENT_SECONDS_ENV, 4.0, 0.5, 600) * 1000),
        Math.round(env.decimal(MIN_SEGMENT_SECONDS_ENV, 1.0, 0, 600) * 1000),
        env.integer(FRAMES_PER_SEGMENT_ENV, 8, 1, 512),
        env.integer(MAX_FRAME_SIDE_ENV, 640, 32, 4096),
        (float) env.decimal(JPEG_QUALITY_ENV, 0.75, 0.1, 1.0),
        env.string(HTTP_HOST_ENV, DEFAULT_HTTP_HOST),
        env.integer(HTTP_PORT_ENV, DEFAULT_HTTP_PORT, 0, 65535),
        (long) env.decimal(MAX_UPLOAD_BYTES_ENV, 1L << 30, 1, 1L << 40),
        workDir(env),
        env.string(INGEST_TRANSACTIONAL_ID_ENV, DEFAULT_TRANSACTIONAL_ID),
        ChannelSelection.parse(
            env.optional(AUDIO_CHANNEL_ENV).orElse(null),
            env.optional(CHANNEL_ROLES_ENV).orElse(null)),
        (long) env.decimal(MAX_FRAME_PIXELS_ENV, 7680L * 4320, 1, Long.MAX_VALUE),
        Math.round(env.decimal(MAX_DURATION_SECONDS_ENV, 4 * 3600, 1, 1e9) * 1000),
        env.optional(TOKEN_ENV).map(String::trim).filter(t -> !t.isEmpty()).orElse(null),
        authDisabled(env.optional(AUTH_ENV).orElse("token")),
        HttpLimits.fromEnv(env),
        env.optional(AUDIO_STREAM_ENV).isPresent()
            ? env.integer(AUDIO_STREAM_ENV, 0, 0, 1_000)
            : null,
        LiveLimits.fromEnv(env),
        Segmentation.fromEnv(env),
        env.integer(PUBLISHERS_ENV, DEFAULT_PUBLISHERS, 1, 64),
        env.bool(SKIP_NONREF_ENV, true));
  }

  /**
   * EMOSTREAM_WORK_DIR (default: the JVM's temporary folder), made when missing; a folder that
   * cannot be made or written is refused at start, not at the first upload's spool.
   */
  static Path workDir(Env env) {
    Path dir = env.path(WORK_DIR_ENV, Path.of(System.getProperty("java.io.tmpdir")));
    try {
      Files.createDirectories(dir);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          WORK_DIR_ENV + "=" + dir + " cannot be created; give a folder uploads may be spooled to");
    }
    if (!Files.isWritable(dir)) {
      throw new IllegalArgumentException(
          WORK_DIR_ENV + "=" + dir + " is not writable; give a folder uploads may be spooled to");
    }
    return dir;
  }

  private static boolean authDisabled(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "none" -> true;
      case "token", "" -> false;
      default ->
          throw new IllegalArgumentException(
              AUTH_ENV + "='" + value + "' is not accepted; use token or none");
    };
  }

  /** Whether {@code POST /clips} needs a bearer token. */
  public boolean requiresToken() {
    return ingestToken != null;
  }

  /**
   * The standalone service's rule: with neither a token nor EMOSTREAM_INGEST_AUTH=none it refuses
   * to start (the embedded {@code ./emostream up} does not call this: it listens on 127.0.0.1 and
   * stays open unless a token is set).
   */
  public void checkAuthConfigured() {
    if (ingestToken == null && !authDisabled) {
      throw new IllegalStateException(
          "ingest needs a bearer token: set "
              + TOKEN_ENV
              + " (clients then send "
              + "'Authorization: Bearer <token>'), or set "
              + AUTH_ENV
              + "=none to serve uploads without authentication");
    }
  }

  @Override
  public String toString() {
    return "IngestConfig[kafka="
        + kafka
        + ", topics="
        + topics
        + ", segmentMs="
        + segmentMs
        + ", http="
        + httpHost
        + ":"
        + httpPort
        + ", maxUploadBytes="
        + maxUploadBytes
        + ", maxFramePixels="
        + maxFramePixels
        + ", maxDurationMs="
        + maxDurationMs
        + ", workDir="
        + workDir
        + ", token="
        + (ingestToken == null ? "none" : "[hidden]")
        + ", authDisabled="
        + authDisabled
        + ", limits="
        + http
        + ", audioStream="
        + audioStream
        + ", live="
        + live
        + ", segmentation="
        + segmentation
        + ", publishers="
        + publishers
        + "]";
  }

  // The with* copies below repeat the canonical constructor's argument list: a record has no
  // copy-with syntax, and a builder would be more code than it saves (alike by design).
  public IngestConfig withKafka(KafkaSettings settings, Topics newTopics) {
    return new IngestConfig(
        settings,
        newTopics,
        segmentMs,
        minSegmentMs,
        framesPerSegment,
        maxFrameSide,
        jpegQuality,
        httpHost,
        httpPort,
        maxUploadBytes,
        workDir,
        transactionalIdPrefix,
        channels,
        maxFramePixels,
        maxDurationMs,
        ingestToken,
        authDisabled,
        http,
        audioStream,
        live,
        segmentation,
        publishers,
        skipNonReferenceFrames);
  }

  public IngestConfig withHttp(String host, int port) {
    return new IngestConfig(
        kafka,
        topics,
        segmentMs,
        minSegmentMs,
        framesPerSegment,
        maxFrameSide,
        jpegQuality,
        host,
        port,
        maxUploadBytes,
        workDir,
        transactionalIdPrefix,
        channels,
        maxFramePixels,
        maxDurationMs,
        ingestToken,
        authDisabled,
        http,
        audioStream,
        live,
        segmentation,
        publishers,
        skipNonReferenceFrames);
  }

  public IngestConfig withHttpLimits(HttpLimits limits) {
    return new IngestConfig(
        kafka,
        topics,
        segmentMs,
        minSegmentMs,
        framesPerSegment,
        maxFrameSide,
        jpegQuality,
        httpHost,
        httpPort,
        maxUploadBytes,
        workDir,
        transactionalIdPrefix,
        channels,
        maxFramePixels,
        maxDurationMs,
        ingestToken,
        authDisabled,
        limits,
        audioStream,
        live,
        segmentation,
        publishers,
        skipNonReferenceFrames);
  }

  public IngestConfig withLiveLimits(LiveLimits limits) {
    return new IngestConfig(
        kafka,
        topics,
        segmentMs,
        minSegmentMs,
        framesPerSegment,
        maxFrameSide,
        jpegQuality,
        httpHost,
        httpPort,
        maxUploadBytes,
        workDir,
        transactionalIdPrefix,
        channels,
        maxFramePixels,
        maxDurationMs,
        ingestToken,
        authDisabled,
        http,
        audioStream,
        limits,
        segmentation,
        publishers,
        skipNonReferenceFrames);
  }

  public IngestConfig withSegmentation(Segmentation newSegmentation) {
    return new IngestConfig(
        kafka,
        topics,
        segmentMs,
        minSegmentMs,
        framesPerSegment,
        maxFrameSide,
        jpegQuality,
        httpHost,
        httpPort,
        maxUploadBytes,
        workDir,
        transactionalIdPrefix,
        channels,
        maxFramePixels,
        maxDurationMs,
        ingestToken,
        authDisabled,
        http,
        audioStream,
        live,
        newSegmentation,
        publishers,
        skipNonReferenceFrames);
  }
}
