package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.Modality;
import io.emostream.testkit.InMemoryTracing;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fused span on the production topology (TopologyTestDriver, mock wall clock): a child of the
 * ingest span the manifest's headers carry, linked to the workers' spans, and its context on the
 * fused record's headers.
 */
class FusionTracingTest {

  private static final Instant START = Instant.parse("2025-01-01T00:00:10Z");

  @TempDir Path stateDir;

  private final Topics topics = new Topics("test.", 1);
  private final InMemoryTracing sdk = new InMemoryTracing();
  private final Tracing tracing = Tracing.of(sdk.openTelemetry());
  private TopologyTestDriver driver;
  private TestOutputTopic<String, FusedEmotion> fused;

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
    sdk.close();
  }

  private void start(Tracing traced) {
    FusionConfig config =
        FusionConfig.of("fusion-test", topics, KafkaSettings.bootstrap("unused:9092"));
    driver =
        new TopologyTestDriver(
            FusionTopology.build(config, new FusionMetrics(new SimpleMeterRegistry()), traced),
            FusionStreamApp.streamsProperties(
                config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString())),
            START);
    fused =
        driver.createOutputTopic(
            topics.fused().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fused().valueSerde().deserializer());
  }

  @Test
  void theFusedSpanIsAChildOfIngestLinkedToBothWorkersAndTheFusedRecordCarriesIt() {
    start(tracing);
    Headers ingest = stage("ingest.publish", Context.root(), "source-1");
    Headers audio = stage("audio.predict", tracing.extract(ingest), null);
    Headers video = stage("video.predict", tracing.extract(ingest), null);

    input(topics.audioPredictions())
        .pipeInput(new TestRecord<>("c1", Clips.audio("c1", Clips.SPEECH_HAPPY), audio));
    input(topics.manifests())
        .pipeInput(
            new TestRecord<>("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), ingest));
    input(topics.videoPredictions())
        .pipeInput(new TestRecord<>("c1", Clips.video("c1", Clips.FACE_SAD), video));

    TestRecord<String, FusedEmotion> out = fused.readRecord();
    SpanData fuse = sdk.span("fusion.fuse");
    assertThat(fuse.getTraceId()).isEqualTo(sdk.span("ingest.publish").getTraceId());
    assertThat(fuse.getParentSpanId()).isEqualTo(sdk.span("ingest.publish").getSpanId());
    assertThat(fuse.getLinks())
        .extracting(l -> l.getSpanContext().getSpanId())
        .containsExactlyInAnyOrder(
            sdk.span("audio.predict").getSpanId(), sdk.span("video.predict").getSpanId());
    assertThat(fuse.getAttributes().get(Tracing.CLIP_ID)).isEqualTo("c1");
    assertThat(fuse.getAttributes().get(Tracing.SOURCE_ID)).isEqualTo("source-1");
    assertThat(fuse.getAttributes().get(Tracing.STATUS)).isEqualTo("COMPLETE");
    assertThat(Span.fromContext(tracing.extract(out.headers())).getSpanContext().getSpanId())
        .isEqualTo(fuse.getSpanId());
  }

  @Test
  void aClipFusedAtItsTimeoutIsTracedWithWhatArrived() {
    start(tracing);
    Headers ingest = stage("ingest.publish", Context.root(), "source-1");
    Headers audio = stage("audio.predict", tracing.extract(ingest), null);
    input(topics.manifests())
        .pipeInput(
            new TestRecord<>("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), ingest));
    input(topics.audioPredictions())
        .pipeInput(new TestRecord<>("c1", Clips.audio("c1", Clips.SPEECH_HAPPY), audio));

    driver.advanceWallClockTime(FusionConfig.DEFAULT_TIMEOUT);

    TestRecord<String, FusedEmotion> out = fused.readRecord();
    assertThat(out.value().getStatus().name()).isEqualTo("AUDIO_ONLY");
    SpanData fuse = sdk.span("fusion.fuse");
    assertThat(fuse.getParentSpanId()).isEqualTo(sdk.span("ingest.publish").getSpanId());
    assertThat(fuse.getLinks())
        .extracting(LinkData::getSpanContext)
        .extracting(c -> c.getSpanId())
        .containsExactly(sdk.span("audio.predict").getSpanId());
    assertThat(fuse.getAttributes().get(Tracing.STATUS)).isEqualTo("AUDIO_ONLY");
  }

  @Test
  void offTheFusedRecordHasNoHeadersAndNothingIsRecorded() {
    start(Tracing.noop());
    Headers ingest = stage("ingest.publish", Context.root(), "source-1");
    input(topics.manifests())
        .pipeInput(new TestRecord<>("c1", Clips.manifest("c1", Modality.AUDIO), ingest));
    input(topics.audioPredictions())
        .pipeInput(
            new TestRecord<>("c1", Clips.audio("c1", Clips.SPEECH_HAPPY), new RecordHeaders()));

    assertThat(fused.readRecord().headers().toArray()).isEmpty();
    assertThat(sdk.spans()).extracting(SpanData::getName).containsExactly("ingest.publish");
  }

  /** Ends a span of an upstream stage and returns the headers its record would carry. */
  private Headers stage(String name, Context parent, String sourceId) {
    Headers headers = new RecordHeaders();
    try (Tracing.ClipSpan span =
        tracing.start(name, SpanKind.PRODUCER, parent, "c1", sourceId, List.of())) {
      span.inject(headers);
    }
    return headers;
  }

  private <V> TestInputTopic<String, V> input(Topics.Topic<V> topic) {
    return driver.createInputTopic(
        topic.name(),
        Topics.KEY_SERDE.serializer(),
        topic.valueSerde().serializer(),
        START,
        Duration.ZERO);
  }
}
