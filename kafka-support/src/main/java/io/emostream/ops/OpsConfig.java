package io.emostream.ops;

import io.emostream.kafka.Env;

/**
 * Where a service serves its operations endpoints ({@code /metrics}, {@code /health/live}, {@code
 * /health/ready}).
 *
 * @param host EMOSTREAM_METRICS_HOST (default 127.0.0.1; the container images set 0.0.0.0)
 * @param port EMOSTREAM_METRICS_PORT (default distinct per service, so they can share a host; 0
 *     picks a free port)
 */
public record OpsConfig(String host, int port) {

  public static final String HOST_ENV = "EMOSTREAM_METRICS_HOST";
  public static final String PORT_ENV = "EMOSTREAM_METRICS_PORT";

  /**
   * Default ports: one per service, and the embedded platform of {@code ./emostream up} shares
   * ingest's.
   */
  public static final int INGEST_PORT = 9464;

  public static final int AUDIO_WORKER_PORT = 9465;
  public static final int VIDEO_WORKER_PORT = 9466;
  public static final int FUSION_STREAM_PORT = 9467;
  public static final int EMBEDDED_PORT = INGEST_PORT;

  public static OpsConfig fromEnv(Env env, int defaultPort) {
    return new OpsConfig(
        env.string(HOST_ENV, "127.0.0.1"), env.integer(PORT_ENV, defaultPort, 0, 65535));
  }
}
