package io.emostream.ingest;

import java.nio.file.Path;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.topics.Topics;

/**
 * Ingest settings from the environment.
 *
 * @param segmentMs        EMOSTREAM_SEGMENT_SECONDS (default 4): clip length
 * @param minSegmentMs     EMOSTREAM_MIN_SEGMENT_SECONDS (default 1): a shorter tail joins the previous clip
 * @param framesPerSegment EMOSTREAM_FRAMES_PER_SEGMENT (default 32, what ViViT-class models take)
 * @param maxFrameSide     EMOSTREAM_MAX_FRAME_SIDE (default 640): frames are downscaled to fit
 * @param jpegQuality      EMOSTREAM_JPEG_QUALITY (default 0.9)
 * @param httpHost         EMOSTREAM_HTTP_HOST (default 127.0.0.1)
 * @param httpPort         EMOSTREAM_HTTP_PORT (default 8080)
 * @param maxUploadBytes   EMOSTREAM_MAX_UPLOAD_BYTES (default 1 GiB)
 * @param workDir          EMOSTREAM_WORK_DIR (default the system temp dir): uploads are spooled here
 * @param channels         EMOSTREAM_AUDIO_CHANNEL (mix, left, right, both) and EMOSTREAM_CHANNEL_ROLES
 *                         (e.g. left:agent,right:customer): which channel of a stereo call is analysed;
 *                         with roles and no channel, the customer's
 * @param maxFramePixels   EMOSTREAM_MAX_FRAME_PIXELS (default 7680x4320, 8K UHD): a video whose frames are larger is
 *                         rejected after probing, before anything is decoded
 * @param maxDurationMs    EMOSTREAM_MAX_DURATION_SECONDS (default 14400, 4 h): a source whose container says it is
 *                         longer is rejected before anything is decoded
 * @param ingestToken      EMOSTREAM_INGEST_TOKEN (default none): when set, {@code POST /clips} needs
 *                         {@code Authorization: Bearer <token>}; never logged ({@link #toString()} hides it)
 * @param authDisabled     EMOSTREAM_INGEST_AUTH=none: the standalone service may run without a token
 */
public record IngestConfig(KafkaSettings kafka, Topics topics, long segmentMs, long minSegmentMs,
    int framesPerSegment, int maxFrameSide, float jpegQuality, String httpHost, int httpPort,
    long maxUploadBytes, Path workDir, String transactionalIdPrefix, ChannelSelection channels,
    long maxFramePixels, long maxDurationMs, String ingestToken, boolean authDisabled) {

  /** EMOSTREAM_INGEST_AUTH: {@code token} (default) or {@code none}. */
  public static final String AUTH_ENV = "EMOSTREAM_INGEST_AUTH";
  public static final String TOKEN_ENV = "EMOSTREAM_INGEST_TOKEN";

  public static IngestConfig fromEnv(Env env) {
    return new IngestConfig(
        KafkaSettings.fromEnv(env),
        TopicsEnv.fromEnv(env),
        Math.round(env.decimal("EMOSTREAM_SEGMENT_SECONDS", 4.0, 0.5, 600) * 1000),
        Math.round(env.decimal("EMOSTREAM_MIN_SEGMENT_SECONDS", 1.0, 0, 600) * 1000),
        env.integer("EMOSTREAM_FRAMES_PER_SEGMENT", 32, 1, 512),
        env.integer("EMOSTREAM_MAX_FRAME_SIDE", 640, 32, 4096),
        (float) env.decimal("EMOSTREAM_JPEG_QUALITY", 0.9, 0.1, 1.0),
        env.string("EMOSTREAM_HTTP_HOST", "127.0.0.1"),
        env.integer("EMOSTREAM_HTTP_PORT", 8080, 0, 65535),
        (long) env.decimal("EMOSTREAM_MAX_UPLOAD_BYTES", 1L << 30, 1, Long.MAX_VALUE),
        env.path("EMOSTREAM_WORK_DIR", Path.of(System.getProperty("java.io.tmpdir"))),
        env.string("EMOSTREAM_INGEST_TRANSACTIONAL_ID", "emostream-ingest"),
        ChannelSelection.parse(env.optional("EMOSTREAM_AUDIO_CHANNEL").orElse(null),
            env.optional("EMOSTREAM_CHANNEL_ROLES").orElse(null)),
        (long) env.decimal("EMOSTREAM_MAX_FRAME_PIXELS", 7680L * 4320, 1, Long.MAX_VALUE),
        Math.round(env.decimal("EMOSTREAM_MAX_DURATION_SECONDS", 4 * 3600, 1, 1e9) * 1000),
        env.optional(TOKEN_ENV).map(String::trim).filter(t -> !t.isEmpty()).orElse(null),
        authDisabled(env.optional(AUTH_ENV).orElse("token")));
  }

  private static boolean authDisabled(String value) {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "none" -> true;
      case "token", "" -> false;
      default -> throw new IllegalArgumentException(AUTH_ENV + "='" + value + "' is not accepted; use token or none");
    };
  }

  /** Whether {@code POST /clips} needs a bearer token. */
  public boolean requiresToken() {
    return ingestToken != null;
  }

  /**
   * The standalone service's rule: with neither a token nor EMOSTREAM_INGEST_AUTH=none it refuses to start (the
   * embedded {@code ./emostream up} does not call this: it listens on 127.0.0.1 and stays open unless a token is set).
   */
  public void checkAuthConfigured() {
    if (ingestToken == null && !authDisabled) {
      throw new IllegalStateException("ingest needs a bearer token: set " + TOKEN_ENV + " (clients then send "
          + "'Authorization: Bearer <token>'), or set " + AUTH_ENV + "=none to serve uploads without authentication");
    }
  }

  @Override
  public String toString() {
    return "IngestConfig[kafka=" + kafka + ", topics=" + topics + ", segmentMs=" + segmentMs + ", http=" + httpHost + ":"
        + httpPort + ", maxUploadBytes=" + maxUploadBytes + ", maxFramePixels=" + maxFramePixels + ", maxDurationMs="
        + maxDurationMs + ", workDir=" + workDir + ", token=" + (ingestToken == null ? "none" : "[hidden]")
        + ", authDisabled=" + authDisabled + "]";
  }

  public IngestConfig withKafka(KafkaSettings settings, Topics newTopics) {
    return new IngestConfig(settings, newTopics, segmentMs, minSegmentMs, framesPerSegment, maxFrameSide, jpegQuality,
        httpHost, httpPort, maxUploadBytes, workDir, transactionalIdPrefix, channels, maxFramePixels, maxDurationMs,
        ingestToken, authDisabled);
  }

  public IngestConfig withHttp(String host, int port) {
    return new IngestConfig(kafka, topics, segmentMs, minSegmentMs, framesPerSegment, maxFrameSide, jpegQuality,
        host, port, maxUploadBytes, workDir, transactionalIdPrefix, channels, maxFramePixels, maxDurationMs,
        ingestToken, authDisabled);
  }
}
