package io.emostream.tracing;

import io.emostream.kafka.Env;
import java.util.Locale;

/**
 * Whether a service exports traces. Off by default: no OpenTelemetry SDK is started and the no-op
 * API costs nothing per clip. On, the SDK is configured by OpenTelemetry's own {@code OTEL_*}
 * variables (autoconfigure: endpoint, headers, sampler, resource attributes, service name);
 * emostream only sets defaults (traces only, over OTLP/HTTP, service name {@code serviceName}).
 *
 * @param enabled EMOSTREAM_TRACING: {@code otlp} (export over OTLP) or {@code off}; default {@code
 *     otlp} when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, else
 *     {@code off}. An explicit {@code off} wins over an endpoint.
 * @param serviceName the default of OTEL_SERVICE_NAME (the service's own name; {@code emostream}
 *     for the embedded platform)
 */
public record TracingConfig(boolean enabled, String serviceName) {

  public static final String TRACING_ENV = "EMOSTREAM_TRACING";

  /**
   * OpenTelemetry's standard variables: either one turns tracing on unless EMOSTREAM_TRACING=off.
   */
  public static final String OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT";

  public static final String OTLP_TRACES_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

  /**
   * Which OTLP transport: only {@code http/protobuf} is built in (the JDK's HTTP client, no gRPC
   * stack).
   */
  public static final String OTLP_PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_PROTOCOL";

  public static final String OTLP_TRACES_PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
  public static final String OTLP_PROTOCOL = "http/protobuf";

  public TracingConfig {
    if (serviceName == null || serviceName.isBlank()) {
      throw new IllegalArgumentException("a service name is required");
    }
  }

  public static TracingConfig fromEnv(Env env, String serviceName) {
    boolean endpoint =
        env.optional(OTLP_ENDPOINT_ENV).isPresent()
            || env.optional(OTLP_TRACES_ENDPOINT_ENV).isPresent();
    String mode = env.string(TRACING_ENV, endpoint ? "otlp" : "off").toLowerCase(Locale.ROOT);
    boolean enabled =
        switch (mode) {
          case "otlp" -> true;
          case "off" -> false;
          default ->
              throw new IllegalArgumentException(
                  "environment variable "
                      + TRACING_ENV
                      + "='"
                      + mode
                      + "' is not valid: expected otlp (export traces over OTLP, see "
                      + OTLP_ENDPOINT_ENV
                      + ") or off");
        };
    if (enabled) {
      checkProtocol(env, OTLP_PROTOCOL_ENV);
      checkProtocol(env, OTLP_TRACES_PROTOCOL_ENV);
    }
    return new TracingConfig(enabled, serviceName);
  }

  private static void checkProtocol(Env env, String name) {
    env.optional(name)
        .ifPresent(
            protocol -> {
              if (!OTLP_PROTOCOL.equals(protocol)) {
                throw new IllegalArgumentException(
                    "environment variable "
                        + name
                        + "='"
                        + protocol
                        + "' is not valid: "
                        + "expected "
                        + OTLP_PROTOCOL
                        + " (OTLP over HTTP, a collector's port 4318); gRPC is not built in");
              }
            });
  }
}
