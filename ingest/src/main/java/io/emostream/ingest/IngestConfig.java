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
 */
public record IngestConfig(KafkaSettings kafka, Topics topics, long segmentMs, long minSegmentMs,
    int framesPerSegment, int maxFrameSide, float jpegQuality, String httpHost, int httpPort,
    long maxUploadBytes, Path workDir, String transactionalIdPrefix, ChannelSelection channels) {

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
            env.optional("EMOSTREAM_CHANNEL_ROLES").orElse(null)));
  }

  public IngestConfig withKafka(KafkaSettings settings, Topics newTopics) {
    return new IngestConfig(settings, newTopics, segmentMs, minSegmentMs, framesPerSegment, maxFrameSide, jpegQuality,
        httpHost, httpPort, maxUploadBytes, workDir, transactionalIdPrefix, channels);
  }

  public IngestConfig withHttp(String host, int port) {
    return new IngestConfig(kafka, topics, segmentMs, minSegmentMs, framesPerSegment, maxFrameSide, jpegQuality,
        host, port, maxUploadBytes, workDir, transactionalIdPrefix, channels);
  }
}
