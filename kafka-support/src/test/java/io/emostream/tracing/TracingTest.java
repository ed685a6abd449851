package io.emostream.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.emostream.kafka.Env;
import io.emostream.testkit.InMemoryTracing;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TracingTest {

  private InMemoryTracing sdk;
  private Tracing tracing;

  @BeforeEach
  void inMemorySdk() {
    sdk = new InMemoryTracing();
    tracing = Tracing.of(sdk.openTelemetry());
  }

  @AfterEach
  void closeSdk() {
    sdk.close();
  }

  @Test
  void offByDefaultAndOnWithAnEndpointOrTheSwitch() {
    assertThat(config(Map.of()).enabled()).isFalse();
    assertThat(config(Map.of("EMOSTREAM_TRACING", "otlp")).enabled()).isTrue();
    assertThat(config(Map.of("EMOSTREAM_TRACING", "OTLP")).enabled()).isTrue();
    assertThat(config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")).enabled())
        .isTrue();
    assertThat(
            config(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces"))
                .enabled())
        .isTrue();
    assertThat(
            config(
                    Map.of(
                        "EMOSTREAM_TRACING",
                        "off",
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "http://collector:4318"))
                .enabled())
        .as("an explicit off wins")
        .isFalse();
    assertThat(Tracing.fromEnv(new Env(Map.of()), "ingest")).isSameAs(Tracing.noop());
  }

  @Test
  void aBadSwitchOrAnUnsupportedProtocolIsAClearError() {
    assertThatThrownBy(() -> config(Map.of("EMOSTREAM_TRACING", "jaeger")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_TRACING='jaeger'")
        .hasMessageContaining("otlp")
        .hasMessageContaining("off");
    assertThatThrownBy(
            () ->
                config(Map.of("EMOSTREAM_TRACING", "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OTEL_EXPORTER_OTLP_PROTOCOL='grpc'")
        .hasMessageContaining("http/protobuf");
    // off: the OTEL_* settings are not used, so they are not checked either
    assertThat(config(Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")).enabled()).isFalse();
  }

  @Test
  void offInjectsNothingAndRecordsNothing() {
    Tracing off = Tracing.noop();
    Headers headers = new RecordHeaders();
    try (Tracing.ClipSpan span =
        off.start("ingest.publish", SpanKind.PRODUCER, Context.root(), "c-1", "s-1", List.of())) {
      span.status("OK").inject(headers);
    }
    assertThat(headers.toArray()).isEmpty();
    assertThat(off.extract(headers)).isSameAs(Context.root());
    assertThat(off.enabled()).isFalse();
  }

  @Test
  void aStageContinuesTheTraceItsInputHeadersCarryWithTheSourceIdFromBaggage() {
    Headers onTheWire = new RecordHeaders();
    onTheWire.add(
        "traceparent", "stale".getBytes(StandardCharsets.UTF_8)); // replaced, not duplicated
    try (Tracing.ClipSpan ingest =
        tracing.start(
            "ingest.publish", SpanKind.PRODUCER, Context.root(), "c-1", "s-1", List.of())) {
      ingest.inject(List.of(onTheWire));
    }
    assertThat(onTheWire.headers("traceparent")).hasSize(1);
    assertThat(new String(onTheWire.lastHeader("baggage").value(), StandardCharsets.UTF_8))
        .contains("emostream.source_id=s-1");

    Headers prediction = new RecordHeaders();
    try (Tracing.ClipSpan audio =
        tracing.start(
            "audio.predict",
            SpanKind.CONSUMER,
            tracing.extract(onTheWire),
            "c-1",
            null,
            List.of())) {
      audio.status("NO_SPEECH").inject(prediction);
    }
    try (Tracing.ClipSpan fuse =
        tracing.start(
            "fusion.fuse",
            SpanKind.CONSUMER,
            tracing.extract(onTheWire),
            "c-1",
            "s-1",
            List.of(tracing.extract(prediction), Context.root()))) {
      fuse.fail(new IllegalStateException("boom"));
    }

    SpanData ingest = span("ingest.publish");
    SpanData audio = span("audio.predict");
    SpanData fuse = span("fusion.fuse");
    assertThat(List.of(audio, fuse))
        .allSatisfy(
            s -> {
              assertThat(s.getTraceId()).isEqualTo(ingest.getTraceId());
              assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId());
              assertThat(s.getAttributes().get(Tracing.CLIP_ID)).isEqualTo("c-1");
              assertThat(s.getAttributes().get(Tracing.SOURCE_ID)).isEqualTo("s-1");
            });
    assertThat(ingest.getParentSpanContext().isValid()).as("ingest starts the trace").isFalse();
    assertThat(audio.getAttributes().get(Tracing.STATUS)).isEqualTo("NO_SPEECH");
    assertThat(fuse.getLinks())
        .singleElement()
        .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(audio.getSpanId()));
    assertThat(fuse.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(fuse.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
  }

  @Test
  void headersWithoutContextStartANewTrace() {
    assertThat(tracing.extract(new RecordHeaders())).isSameAs(Context.root());
    try (Tracing.ClipSpan span =
        tracing.start("video.predict", SpanKind.CONSUMER, Context.root(), "c-2", null, List.of())) {
      span.status("OK");
    }
    SpanData video = span("video.predict");
    assertThat(video.getParentSpanContext().isValid()).isFalse();
    assertThat(video.getAttributes().get(Tracing.SOURCE_ID))
        .as("no baggage, no source id")
        .isNull();
  }

  @Test
  void installReturnsThePreviousTracing() {
    Tracing before = Tracing.install(tracing);
    try {
      assertThat(Tracing.global()).isSameAs(tracing);
    } finally {
      assertThat(Tracing.install(before)).isSameAs(tracing);
    }
  }

  /**
   * On, the autoconfigured SDK really exports over OTLP/HTTP: a local receiver gets the span,
   * flushed by close().
   */
  @Test
  void onItExportsSpansOverOtlpHttpToTheConfiguredEndpoint() throws Exception {
    List<String> paths = new CopyOnWriteArrayList<>();
    List<String> types = new CopyOnWriteArrayList<>();
    ByteArrayOutputStream bodies = new ByteArrayOutputStream();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          paths.add(exchange.getRequestURI().getPath());
          types.add(exchange.getRequestHeaders().getFirst("Content-Type"));
          byte[] body = exchange.getRequestBody().readAllBytes();
          synchronized (bodies) {
            bodies.writeBytes(body);
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    receiver.start();
    try {
      Tracing on =
          Tracing.fromEnv(
              new Env(
                  Map.of(
                      "OTEL_EXPORTER_OTLP_ENDPOINT",
                      "http://127.0.0.1:" + receiver.getAddress().getPort())),
              "audio-worker");
      assertThat(on.enabled()).isTrue();
      try (Tracing.ClipSpan span =
          on.start(
              "audio.predict",
              SpanKind.CONSUMER,
              Context.root(),
              "clip-otlp-42",
              "source-otlp-7",
              List.of())) {
        span.status("OK");
      }
      on.close(); // flushes the batch processor: the export has completed when it returns
      assertThat(paths).contains("/v1/traces");
      assertThat(types).contains("application/x-protobuf");
      String body;
      synchronized (bodies) {
        body = bodies.toString(StandardCharsets.ISO_8859_1);
      }
      // protobuf carries strings as plain UTF-8: the span, its ids and the service name are in the
      // request
      assertThat(body)
          .contains(
              "audio.predict",
              "clip-otlp-42",
              "source-otlp-7",
              "emostream.clip_id",
              "audio-worker");
    } finally {
      receiver.stop(0);
    }
  }

  private SpanData span(String name) {
    return sdk.span(name);
  }

  private static TracingConfig config(Map<String, String> vars) {
    return TracingConfig.fromEnv(new Env(vars), "test");
  }
}
