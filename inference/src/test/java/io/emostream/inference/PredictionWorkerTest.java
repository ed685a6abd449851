package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.InMemoryTracing;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class PredictionWorkerTest {

  private final Topics topics = new Topics("t.", 1);
  private final ModelManifest manifest =
      ModelManifest.load(
          Path.of(System.getProperty("emostream.models.dir", "../models"))
              .resolve("fer-mini-xception/manifest.json"));

  @Test
  void aTransactionsClipsArePredictedInOneCallAndEachSucceedsOrFailsAlone() {
    List<List<String>> calls = new ArrayList<>();
    ClipPredictor predictor =
        new ClipPredictor() {
          @Override
          public Outcome predict(String clipId, byte[] value) {
            throw new AssertionError("the worker must call predictAll");
          }

          @Override
          public List<Result> predictAll(List<Input> inputs) {
            calls.add(inputs.stream().map(Input::clipId).toList());
            return inputs.stream()
                .map(
                    in ->
                        in.clipId().equals("bad")
                            ? Result.failed(new IllegalArgumentException("not a frame batch"))
                            : Result.of(Outcome.ok(new float[] {0, 0, 0, 1, 0, 0, 0}, 3, 1, 2, 3)))
                .toList();
          }
        };
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    PredictionWorker worker =
        new PredictionWorker(
            Modality.VIDEO,
            topics.videoPredictions(),
            manifest,
            predictor,
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
            meters);

    List<TransactionalWorkerLoop.Processed> results =
        worker.processAll(List.of(record("a"), record("bad"), record(null), record("b")));

    assertThat(calls).containsExactly(List.of("a", "bad", "b"));
    assertThat(results).hasSize(4);
    assertThat(results.get(1).failure()).hasMessage("not a frame batch");
    assertThat(results.get(2).failure()).hasMessageContaining("no key");
    for (int i : new int[] {0, 3}) {
      ModalityPrediction prediction =
          topics
              .videoPredictions()
              .valueSerde()
              .deserializer()
              .deserialize(
                  topics.videoPredictions().name(), results.get(i).outputs().get(0).value());
      assertThat(prediction.getStatus()).isEqualTo(PredictionStatus.OK);
      assertThat(prediction.getItemsAnalysed()).isEqualTo(3);
      assertThat(prediction.getProbabilities().get(3)).isEqualTo(1f);
    }
    assertThat(results.get(3).outputs().get(0).key()).isEqualTo("b");
    assertThat(
            meters
                .get("emostream.predictions")
                .tags("modality", "VIDEO", "status", "OK")
                .counter()
                .count())
        .as("the batched path counts what it publishes")
        .isEqualTo(2);
    assertThat(meters.get("emostream.inference").tag("modality", "VIDEO").timer().count())
        .isEqualTo(2);
    assertThat(
            meters
                .get("emostream.inference")
                .tag("modality", "VIDEO")
                .timer()
                .totalTime(TimeUnit.MICROSECONDS))
        .as("3 ms of model time per clip")
        .isEqualTo(6000);
    assertThat(meters.get("emostream.prediction").tag("modality", "VIDEO").timer().count())
        .isEqualTo(2);
    assertThat(meters.find("emostream.predictions").tag("status", "ERROR").counter())
        .as("a failed clip is counted by onFailure, which the loop calls for it")
        .isNull();
  }

  @Test
  void eachClipGetsASpanInTheIngestTraceAndItsPredictionCarriesItOn() throws Exception {
    ClipPredictor predictor =
        new ClipPredictor() {
          @Override
          public Outcome predict(String clipId, byte[] value) {
            if (clipId.startsWith("bad")) {
              throw new IllegalArgumentException("not a frame batch");
            }
            return Outcome.without(PredictionStatus.NO_FACE, null, 3, 1, 2);
          }

          @Override
          public List<Result> predictAll(List<Input> inputs) {
            return inputs.stream()
                .map(
                    in ->
                        in.clipId().startsWith("bad")
                            ? Result.failed(new IllegalArgumentException("not a frame batch"))
                            : Result.of(Outcome.ok(new float[] {0, 0, 0, 1, 0, 0, 0}, 3, 1, 2, 3)))
                .toList();
          }
        };
    try (InMemoryTracing sdk = new InMemoryTracing()) {
      Tracing tracing = Tracing.of(sdk.openTelemetry());
      PredictionWorker worker =
          new PredictionWorker(
              Modality.VIDEO,
              topics.videoPredictions(),
              manifest,
              predictor,
              Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
              new SimpleMeterRegistry(),
              tracing);
      Headers fromIngest = new RecordHeaders();
      try (Tracing.ClipSpan ingest =
          tracing.start(
              "ingest.publish", SpanKind.PRODUCER, Context.root(), "a", "src-1", List.of())) {
        ingest.inject(fromIngest);
      }
      ConsumerRecord<String, byte[]> a = traced("a", fromIngest);
      ConsumerRecord<String, byte[]> bad = traced("bad", fromIngest);
      ConsumerRecord<String, byte[]> single = traced("single", fromIngest);

      List<TransactionalWorkerLoop.Processed> results = worker.processAll(List.of(a, bad));
      ProducerRecord<String, byte[]> error = worker.onFailure(bad, results.get(1).failure()).get(0);
      ProducerRecord<String, byte[]> noFace = worker.process(single).get(0);

      SpanData ingest = sdk.span("ingest.publish");
      List<SpanData> predicted =
          sdk.spans().stream().filter(s -> s.getName().equals("video.predict")).toList();
      assertThat(predicted)
          .hasSize(3)
          .allSatisfy(
              s -> {
                assertThat(s.getTraceId()).isEqualTo(ingest.getTraceId());
                assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId());
                assertThat(s.getKind()).isEqualTo(SpanKind.CONSUMER);
                assertThat(s.getAttributes().get(Tracing.SOURCE_ID))
                    .as("from the ingest baggage")
                    .isEqualTo("src-1");
              });
      SpanData okSpan = byClip(predicted, "a");
      SpanData badSpan = byClip(predicted, "bad");
      assertThat(okSpan.getAttributes().get(Tracing.STATUS)).isEqualTo("OK");
      assertThat(okSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(badSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(byClip(predicted, "single").getAttributes().get(Tracing.STATUS))
          .isEqualTo("NO_FACE");
      assertThat(spanIdIn(tracing, results.get(0).outputs().get(0).headers()))
          .isEqualTo(okSpan.getSpanId());
      assertThat(spanIdIn(tracing, error.headers()))
          .as("the ERROR prediction carries the failed clip's span")
          .isEqualTo(badSpan.getSpanId());
      assertThat(spanIdIn(tracing, noFace.headers()))
          .isEqualTo(byClip(predicted, "single").getSpanId());
    }
  }

  @Test
  void tracingOffAddsNoHeaders() throws Exception {
    ClipPredictor predictor =
        (clipId, value) -> ClipPredictor.Outcome.without(PredictionStatus.NO_FACE, null, 3, 1, 2);
    PredictionWorker worker =
        new PredictionWorker(
            Modality.VIDEO,
            topics.videoPredictions(),
            manifest,
            predictor,
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
            new SimpleMeterRegistry(),
            Tracing.noop());
    Headers in = new RecordHeaders();
    in.add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".getBytes());
    assertThat(worker.process(traced("c", in)).get(0).headers().toArray()).isEmpty();
  }

  private static SpanData byClip(List<SpanData> spans, String clipId) {
    return spans.stream()
        .filter(s -> clipId.equals(s.getAttributes().get(Tracing.CLIP_ID)))
        .findFirst()
        .orElseThrow();
  }

  private static String spanIdIn(Tracing tracing, Headers headers) {
    return Span.fromContext(tracing.extract(headers)).getSpanContext().getSpanId();
  }

  private static ConsumerRecord<String, byte[]> traced(String key, Headers headers) {
    return new ConsumerRecord<>(
        "t.clips.frames",
        0,
        0,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        key,
        new byte[] {1},
        new RecordHeaders(headers.toArray()),
        Optional.empty());
  }

  private static ConsumerRecord<String, byte[]> record(String key) {
    return new ConsumerRecord<>("t.clips.frames", 0, 0, key, new byte[] {1});
  }
}
