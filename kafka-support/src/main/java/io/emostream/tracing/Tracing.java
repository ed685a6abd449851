package io.emostream.tracing;

import io.emostream.kafka.Env;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces of clips through the pipeline: OpenTelemetry context carried in Kafka record headers (W3C
 * {@code traceparent}, and {@code baggage} with the source id) and one span per stage and clip,
 * with the clip and source ids as attributes. Ingest starts a clip's trace ({@code ingest.publish})
 * and puts its context on the clip's manifest, audio and frames records; each worker continues it
 * ({@code audio.predict}, {@code video.predict}) and puts its own on the prediction it publishes in
 * the same transaction; fusion's {@code fusion.fuse} is a child of ingest's span, linked to both
 * workers' spans, and its context goes on the fused record.
 *
 * <p>Off (the default, {@link TracingConfig}): the no-op API, nothing injected, no span recorded. A
 * service's {@code main} installs its instance with {@link #install}; the stages take {@link
 * #global()} when built.
 *
 * <p>Over 300 lines: the one place that touches the OpenTelemetry API (start, extract, inject,
 * spans), so that no stage does.
 */
public final class Tracing implements AutoCloseable {

  public static final AttributeKey<String> CLIP_ID = AttributeKey.stringKey("emostream.clip_id");
  public static final AttributeKey<String> SOURCE_ID =
      AttributeKey.stringKey("emostream.source_id");

  /**
   * What the stage made of the clip: a prediction's status (OK, NO_FACE, ...) or the fused status.
   */
  public static final AttributeKey<String> STATUS = AttributeKey.stringKey("emostream.status");

  /**
   * The baggage entry that carries the source id to the stages whose records hold only the clip id.
   */
  public static final String SOURCE_ID_BAGGAGE = "emostream.source_id";

  static final String INSTRUMENTATION = "io.emostream";

  private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
  private static final Tracing NOOP = new Tracing(OpenTelemetry.noop(), false, null);
  private static volatile Tracing global = NOOP;

  private final OpenTelemetry openTelemetry;
  private final boolean enabled;

  /** The SDK this instance started and closes; null when it was given one (or none). */
  private final OpenTelemetrySdk owned;

  private final Tracer tracer;

  private Tracing(OpenTelemetry openTelemetry, boolean enabled, OpenTelemetrySdk owned) {
    this.openTelemetry = openTelemetry;
    this.enabled = enabled;
    this.owned = owned;
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
  }

  /** Tracing off: the no-op API. */
  public static Tracing noop() {
    return NOOP;
  }

  /**
   * Traces through {@code openTelemetry} (tests: an SDK with an in-memory exporter); {@link #close}
   * leaves it open.
   */
  public static Tracing of(OpenTelemetry openTelemetry) {
    return new Tracing(openTelemetry, true, null);
  }

  /**
   * As {@link TracingConfig} says: off, or an OpenTelemetry SDK configured by the {@code OTEL_*}
   * variables of {@code env} that exports spans over OTLP (batched; flushed by {@link #close}).
   */
  public static Tracing fromEnv(Env env, String serviceName) {
    return start(TracingConfig.fromEnv(env, serviceName), env);
  }

  static Tracing start(TracingConfig config, Env env) {
    if (!config.enabled()) {
      return NOOP;
    }
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> properties(config, env))
            .disableShutdownHook() // closed by the service's own shutdown, after its stages: their
            // last spans go out
            .build()
            .getOpenTelemetrySdk();
    LOG.info(
        "tracing on: spans of {} exported over OTLP to {}",
        config.serviceName(),
        env.optional(TracingConfig.OTLP_TRACES_ENDPOINT_ENV)
            .or(() -> env.optional(TracingConfig.OTLP_ENDPOINT_ENV))
            .orElse("the default endpoint (http://localhost:4318)"));
    return new Tracing(sdk, true, sdk);
  }

  /**
   * The autoconfigure properties: emostream's defaults (traces only, OTLP/HTTP, the service's
   * name), then every {@code OTEL_*} variable of {@code env} under its property name; the process's
   * own environment and system properties still win, as autoconfigure reads them itself.
   */
  static Map<String, String> properties(TracingConfig config, Env env) {
    Map<String, String> props = new HashMap<>();
    props.put("otel.traces.exporter", "otlp");
    props.put("otel.metrics.exporter", "none");
    props.put("otel.logs.exporter", "none");
    props.put("otel.exporter.otlp.protocol", TracingConfig.OTLP_PROTOCOL);
    props.put("otel.service.name", config.serviceName());
    env.asMap()
        .forEach(
            (name, value) -> {
              if (name.startsWith("OTEL_") && value != null && !value.isBlank()) {
                props.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value.trim());
              }
            });
    return props;
  }

  /**
   * {@link #fromEnv}, installed as the process's tracing: what a service's {@code main} calls
   * first; it closes the returned instance after its stages have stopped (so their last spans are
   * exported).
   */
  public static Tracing installFromEnv(Env env, String serviceName) {
    Tracing tracing = fromEnv(env, serviceName);
    install(tracing);
    return tracing;
  }

  /** The process's tracing: what {@link #install} set, else {@link #noop()}. */
  public static Tracing global() {
    return global;
  }

  /**
   * Makes {@code tracing} the process's tracing (for the stages built from now on); returns the
   * previous one.
   */
  public static Tracing install(Tracing tracing) {
    Tracing previous = global;
    global = Objects.requireNonNull(tracing);
    return previous;
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * The context a producer put in {@code headers}; {@link Context#root()} when there is none (or
   * tracing is off).
   */
  public Context extract(Headers headers) {
    if (!enabled || headers == null) {
      return Context.root();
    }
    return openTelemetry
        .getPropagators()
        .getTextMapPropagator()
        .extract(Context.root(), headers, HeadersGetter.INSTANCE);
  }

  /**
   * Puts {@code context} (span context and baggage) in {@code headers}, replacing what was there.
   */
  public void inject(Context context, Headers headers) {
    if (enabled) {
      openTelemetry
          .getPropagators()
          .getTextMapPropagator()
          .inject(context, headers, HeadersSetter.INSTANCE);
    }
  }

  /**
   * Starts the span of one stage for one clip.
   *
   * @param parent the context it continues (from {@link #extract}), or {@link Context#root()}: a
   *     new trace
   * @param sourceId the source id; null: the one in {@code parent}'s baggage, if any
   * @param links contexts of other spans this one follows from (fusion: the workers' spans)
   */
  public ClipSpan start(
      String name,
      SpanKind kind,
      Context parent,
      String clipId,
      String sourceId,
      List<Context> links) {
    if (!enabled) {
      return ClipSpan.NOOP;
    }
    String source =
        sourceId != null ? sourceId : Baggage.fromContext(parent).getEntryValue(SOURCE_ID_BAGGAGE);
    SpanBuilder builder =
        tracer
            .spanBuilder(name)
            .setSpanKind(kind)
            .setParent(parent)
            .setAttribute("messaging.system", "kafka")
            .setAttribute(CLIP_ID, clipId);
    if (source != null) {
      builder.setAttribute(SOURCE_ID, source);
    }
    for (Context link : links) {
      SpanContext linked = Span.fromContext(link).getSpanContext();
      if (linked.isValid()) {
        builder.addLink(linked);
      }
    }
    Span span = builder.startSpan();
    Context context = parent.with(span);
    if (source != null) {
      context =
          context.with(
              Baggage.fromContext(parent).toBuilder().put(SOURCE_ID_BAGGAGE, source).build());
    }
    return new ClipSpan(this, span, context);
  }

  /**
   * Closes the SDK this instance started (flushing spans not yet exported); nothing when off or
   * given one.
   */
  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }

  /** The span of one stage for one clip, and the context to put on the records it publishes. */
  public static final class ClipSpan implements AutoCloseable {

    static final ClipSpan NOOP = new ClipSpan(null, Span.getInvalid(), Context.root());

    private final Tracing tracing;
    private final Span span;
    private final Context context;

    private ClipSpan(Tracing tracing, Span span, Context context) {
      this.tracing = tracing;
      this.span = span;
      this.context = context;
    }

    /** This span in the context it continues, with the source id in its baggage. */
    public Context context() {
      return context;
    }

    /** Puts this span's context on each record's headers (the records it publishes). */
    public void inject(Iterable<Headers> headers) {
      if (tracing != null) {
        headers.forEach(h -> tracing.inject(context, h));
      }
    }

    public void inject(Headers headers) {
      if (tracing != null) {
        tracing.inject(context, headers);
      }
    }

    /** What the stage made of the clip ({@link #STATUS}). */
    public ClipSpan status(String status) {
      span.setAttribute(STATUS, status);
      return this;
    }

    /** The stage failed for this clip: the exception is recorded and the span's status is ERROR. */
    public ClipSpan fail(Throwable error) {
      span.recordException(error);
      span.setStatus(
          StatusCode.ERROR, error.getClass().getSimpleName() + ": " + error.getMessage());
      return this;
    }

    @Override
    public void close() {
      span.end();
    }
  }

  /** Reads propagation fields from Kafka headers (the last header of a name wins). */
  enum HeadersGetter implements TextMapGetter<Headers> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Headers headers) {
      List<String> keys = new ArrayList<>();
      for (Header header : headers) {
        keys.add(header.key());
      }
      return keys;
    }

    @Override
    public String get(Headers headers, String key) {
      if (headers == null) {
        return null;
      }
      Header header = headers.lastHeader(key);
      return header == null || header.value() == null
          ? null
          : new String(header.value(), StandardCharsets.UTF_8);
    }
  }

  /** Writes propagation fields to Kafka headers, replacing any of the same name. */
  enum HeadersSetter implements TextMapSetter<Headers> {
    INSTANCE;

    @Override
    public void set(Headers headers, String key, String value) {
      if (headers != null) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
