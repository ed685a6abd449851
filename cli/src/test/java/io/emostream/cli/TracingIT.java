package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.testkit.InMemoryTracing;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * One trace per clip across all four stages, on the real broker: the sample video through ingest,
 * both workers with the shipped models and fusion-stream (the embedded platform, as {@code
 * ./emostream} runs them), traced into an in-memory exporter. Each clip's {@code ingest.publish},
 * {@code audio.predict}, {@code video.predict} and {@code fusion.fuse} spans share one trace id, of
 * its own, carry the clip and source ids, and the context travelled in the Kafka headers: the
 * predictions and the fused record carry their stage's span.
 */
class TracingIT {

  private static final Path HOME = Path.of("..");
  private static final List<String> STAGES =
      List.of("ingest.publish", "audio.predict", "video.predict", "fusion.fuse");

  @Test
  void eachClipIsOneTraceThroughIngestBothWorkersAndFusion() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX", "trace-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS", "2",
                "EMOSTREAM_SEGMENT_SECONDS", "2",
                "EMOSTREAM_FUSION_APP_ID", "trace-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID", "trace-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID", "trace-video-" + run));
    try (InMemoryTracing sdk = new InMemoryTracing()) {
      Tracing tracing = Tracing.of(sdk.openTelemetry());
      Tracing before = Tracing.install(tracing);
      IngestService.Result ingested;
      Topics topics;
      try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, HOME, 0);
          FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
        topics = platform.topics();
        ingested =
            platform
                .ingest()
                .ingest(HOME.resolve("samples/happy-speech.mp4"), "happy-speech.mp4", null);
        Set<String> clipIds = new LinkedHashSet<>();
        ingested.clips().forEach(c -> clipIds.add(c.clipId()));
        Map<String, FusedEmotion> fused = reader.await(clipIds, Duration.ofSeconds(180), () -> {});
        assertThat(fused.keySet()).containsExactlyInAnyOrderElementsOf(clipIds).hasSize(2);
      } finally {
        Tracing.install(before);
      }

      Map<String, List<SpanData>> byClip =
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> spansByClip(sdk),
                  spans ->
                      ingested.clips().stream()
                          .allMatch(c -> names(spans.get(c.clipId())).containsAll(STAGES)));
      Set<String> traceIds = new LinkedHashSet<>();
      for (IngestService.Clip clip : ingested.clips()) {
        List<SpanData> spans = byClip.get(clip.clipId());
        assertThat(spans)
            .extracting(SpanData::getTraceId)
            .as("one trace for clip %s", clip.clipId())
            .containsOnly(spans.get(0).getTraceId());
        traceIds.add(spans.get(0).getTraceId());
        assertThat(spans)
            .allSatisfy(
                s ->
                    assertThat(s.getAttributes().get(Tracing.SOURCE_ID))
                        .as(s.getName())
                        .isEqualTo(ingested.sourceId()));
        SpanData ingest = one(spans, "ingest.publish");
        SpanData audio = one(spans, "audio.predict");
        SpanData video = one(spans, "video.predict");
        SpanData fuse = one(spans, "fusion.fuse");
        assertThat(ingest.getParentSpanContext().isValid()).as("ingest starts the trace").isFalse();
        assertThat(List.of(audio, video, fuse))
            .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId()));
        assertThat(fuse.getLinks())
            .extracting(LinkData::getSpanContext)
            .extracting(SpanContext::getSpanId)
            .containsExactlyInAnyOrder(audio.getSpanId(), video.getSpanId());
        assertThat(audio.getAttributes().get(Tracing.STATUS)).isEqualTo("OK");
        assertThat(video.getAttributes().get(Tracing.STATUS)).isEqualTo("OK");
        assertThat(fuse.getAttributes().get(Tracing.STATUS)).isEqualTo("COMPLETE");

        // the context travelled in the records' headers, through the workers' and fusion's
        // transactions
        assertThat(spanIn(tracing, only(topics.audioPredictions().name(), clip.clipId())))
            .isEqualTo(audio.getSpanId());
        assertThat(spanIn(tracing, only(topics.videoPredictions().name(), clip.clipId())))
            .isEqualTo(video.getSpanId());
        assertThat(spanIn(tracing, only(topics.fused().name(), clip.clipId())))
            .isEqualTo(fuse.getSpanId());
      }
      assertThat(traceIds).as("a trace of its own per clip").hasSize(ingested.clips().size());
    }
  }

  private static Map<String, List<SpanData>> spansByClip(InMemoryTracing sdk) {
    return sdk.spans().stream()
        .filter(s -> s.getAttributes().get(Tracing.CLIP_ID) != null)
        .collect(Collectors.groupingBy(s -> s.getAttributes().get(Tracing.CLIP_ID)));
  }

  private static Set<String> names(List<SpanData> spans) {
    return spans == null
        ? Set.of()
        : spans.stream().map(SpanData::getName).collect(Collectors.toSet());
  }

  private static SpanData one(List<SpanData> spans, String name) {
    List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as(name).hasSize(1);
    return named.get(0);
  }

  /**
   * The headers of the one record of {@code clipId} on {@code topic}, read as a downstream consumer
   * would.
   */
  private static Headers only(String topic, String clipId) {
    List<ConsumerRecord<String, byte[]>> records =
        TopicReader.readCommitted(
                TestKafka.bootstrapServers(), topic, 2, Duration.ofSeconds(30), Duration.ZERO)
            .stream()
            .filter(r -> clipId.equals(r.key()))
            .toList();
    assertThat(records).as("%s records of clip %s", topic, clipId).hasSize(1);
    return records.get(0).headers();
  }

  private static String spanIn(Tracing tracing, Headers headers) {
    return Span.fromContext(tracing.extract(headers)).getSpanContext().getSpanId();
  }
}
