package io.emostream.inference;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import io.emostream.topics.Topics;
import io.emostream.tracing.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The record processor of a worker: input record → {@link ClipPredictor} → a {@link
 * ModalityPrediction} on the modality's prediction topic, keyed by clip id. When prediction throws,
 * the loop dead-letters the input and this publishes an ERROR prediction, so fusion goes on with
 * the other modality at once instead of waiting for its timeout.
 *
 * <p>Meters (tag {@code modality}): {@code emostream.inference} (model run time per clip, a
 * histogram), {@code emostream.prediction} (whole clip: decode, pre-processing and inference) and
 * {@code emostream.predictions} (count, tag {@code status}: OK, NO_FACE, NO_AUDIO, ERROR,
 * NO_SPEECH).
 *
 * <p>Traces ({@link Tracing}, when on): one {@code audio.predict} or {@code video.predict} span per
 * clip, a child of the ingest span whose context the input record carries, with the prediction's
 * status; the prediction record carries the span's context on to fusion (the ERROR prediction of a
 * failed clip too).
 */
public final class PredictionWorker implements TransactionalWorkerLoop.RecordProcessor {

  private final Modality modality;
  private final Topics.Topic<ModalityPrediction> output;
  private final ModelManifest model;
  private final ClipPredictor predictor;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Timer inference;
  private final Timer prediction;
  private final Tracing tracing;
  private final String spanName;

  /**
   * The span contexts of failed clips until {@link #onFailure} publishes their ERROR prediction.
   */
  private final Map<ConsumerRecord<String, byte[]>, Context> failedSpans = new IdentityHashMap<>();

  /** Traced by the process's {@link Tracing#global()}. */
  public PredictionWorker(
      Modality modality,
      Topics.Topic<ModalityPrediction> output,
      ModelManifest model,
      ClipPredictor predictor,
      Clock clock,
      MeterRegistry meters) {
    this(modality, output, model, predictor, clock, meters, Tracing.global());
  }

  public PredictionWorker(
      Modality modality,
      Topics.Topic<ModalityPrediction> output,
      ModelManifest model,
      ClipPredictor predictor,
      Clock clock,
      MeterRegistry meters,
      Tracing tracing) {
    this.tracing = tracing;
    this.spanName = modality.name().toLowerCase(Locale.ROOT) + ".predict";
    this.modality = modality;
    this.output = output;
    this.model = model;
    this.predictor = predictor;
    this.clock = clock;
    this.meters = meters;
    this.inference =
        latency("emostream.inference", "model run time per clip (all its frames or its audio)");
    this.prediction =
        latency("emostream.prediction", "time per clip: decode, pre-processing and inference");
  }

  private Timer latency(String name, String description) {
    return Timer.builder(name)
        .tag("modality", modality.name())
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(meters);
  }

  private void count(PredictionStatus status) {
    Counter.builder("emostream.predictions")
        .tag("modality", modality.name())
        .tag("status", status.name())
        .description("predictions published")
        .register(meters)
        .increment();
  }

  @Override
  public List<ProducerRecord<String, byte[]>> process(ConsumerRecord<String, byte[]> record)
      throws Exception {
    if (record.key() == null) {
      throw new IllegalArgumentException("record has no key; every topic is keyed by clip id");
    }
    try (Tracing.ClipSpan span = startSpan(record)) {
      try {
        long start = System.nanoTime();
        ClipPredictor.Outcome outcome = predictor.predict(record.key(), record.value());
        double totalMs = (System.nanoTime() - start) / 1e6;
        measure(outcome, totalMs);
        span.status(outcome.status().name());
        return List.of(toRecord(prediction(record.key(), outcome, totalMs), span.context()));
      } catch (Exception e) {
        failed(record, span, e);
        throw e;
      }
    }
  }

  private Tracing.ClipSpan startSpan(ConsumerRecord<String, byte[]> record) {
    return tracing.start(
        spanName,
        SpanKind.CONSUMER,
        tracing.extract(record.headers()),
        record.key(),
        null,
        List.of());
  }

  private void failed(
      ConsumerRecord<String, byte[]> record, Tracing.ClipSpan span, Exception error) {
    span.fail(error);
    if (tracing.enabled()) {
      failedSpans.put(record, span.context());
    }
  }

  /**
   * One clip's meters: its model time, its whole time and its status; the single and the batched
   * path share it.
   */
  private void measure(ClipPredictor.Outcome outcome, double totalMs) {
    inference.record(Math.round(outcome.inferenceMs() * 1000), TimeUnit.MICROSECONDS);
    prediction.record(Math.round(totalMs * 1000), TimeUnit.MICROSECONDS);
    count(outcome.status());
  }

  /**
   * The records of one transaction through {@link ClipPredictor#predictAll}, so a batching
   * predictor runs the model over all their frames together; a record without a key or whose clip
   * failed fails alone. Timings: each clip's total is the batch's wall time shared out by its share
   * of the batch's own time; each clip is measured (the meters above) as on the one-clip path. A
   * clip that failed is counted as ERROR by {@link #onFailure}, which the loop calls for it.
   */
  @Override
  public List<TransactionalWorkerLoop.Processed> processAll(
      List<ConsumerRecord<String, byte[]>> records) {
    failedSpans.clear(); // a new transaction: what the last one left is published or aborted
    List<ClipPredictor.Input> inputs = new ArrayList<>(records.size());
    List<Tracing.ClipSpan> spans = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> record : records) {
      if (record.key() != null) {
        inputs.add(new ClipPredictor.Input(record.key(), record.value()));
        spans.add(startSpan(record));
      }
    }
    try {
      return processAll(records, inputs, spans);
    } catch (RuntimeException e) {
      spans.forEach(
          span ->
              span.fail(e)); // the loop processes the records one by one next: spans of their own
      throw e;
    } finally {
      spans.forEach(Tracing.ClipSpan::close);
    }
  }

  private List<TransactionalWorkerLoop.Processed> processAll(
      List<ConsumerRecord<String, byte[]>> records,
      List<ClipPredictor.Input> inputs,
      List<Tracing.ClipSpan> spans) {
    long start = System.nanoTime();
    List<ClipPredictor.Result> results = predictor.predictAll(inputs);
    double totalMs = (System.nanoTime() - start) / 1e6;
    if (results.size() != inputs.size()) {
      throw new IllegalStateException(
          "predictor returned " + results.size() + " results for " + inputs.size() + " clips");
    }
    double ownSum =
        results.stream()
            .filter(r -> r.outcome() != null)
            .mapToDouble(r -> ownMs(r.outcome()))
            .sum();
    List<TransactionalWorkerLoop.Processed> out = new ArrayList<>(records.size());
    int next = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      if (record.key() == null) {
        out.add(
            TransactionalWorkerLoop.Processed.failed(
                new IllegalArgumentException(
                    "record has no key; every topic is keyed by clip id")));
        continue;
      }
      Tracing.ClipSpan span = spans.get(next);
      ClipPredictor.Result result = results.get(next++);
      if (result.failure() != null) {
        failed(record, span, result.failure());
        out.add(TransactionalWorkerLoop.Processed.failed(result.failure()));
      } else {
        double share = ownSum > 0 ? ownMs(result.outcome()) / ownSum : 1.0 / inputs.size();
        measure(result.outcome(), totalMs * share);
        span.status(result.outcome().status().name());
        out.add(
            TransactionalWorkerLoop.Processed.ok(
                List.of(
                    toRecord(
                        prediction(record.key(), result.outcome(), totalMs * share),
                        span.context()))));
      }
    }
    return out;
  }

  private static double ownMs(ClipPredictor.Outcome outcome) {
    return outcome.decodeMs() + outcome.preprocessMs() + outcome.inferenceMs();
  }

  @Override
  public List<ProducerRecord<String, byte[]>> onFailure(
      ConsumerRecord<String, byte[]> record, Exception error) {
    if (record.key() == null) {
      return List.of();
    }
    String why = error.getClass().getSimpleName() + ": " + error.getMessage();
    count(PredictionStatus.ERROR);
    Context span = failedSpans.remove(record);
    return List.of(
        toRecord(
            prediction(
                record.key(),
                ClipPredictor.Outcome.without(PredictionStatus.ERROR, why, 0, 0, 0),
                0),
            span != null ? span : tracing.extract(record.headers())));
  }

  ModalityPrediction prediction(String clipId, ClipPredictor.Outcome outcome, double totalMs) {
    List<Float> probabilities = new ArrayList<>(outcome.probabilities().length);
    for (float p : outcome.probabilities()) {
      probabilities.add(p);
    }
    return ModalityPrediction.newBuilder()
        .setClipId(clipId)
        .setModality(modality)
        .setModelName(model.name())
        .setModelVersion(model.version())
        .setLabels(model.labels())
        .setProbabilities(probabilities)
        .setStatus(outcome.status())
        .setError(outcome.error())
        .setItemsAnalysed(outcome.itemsAnalysed())
        .setTimings(
            new Timings(outcome.decodeMs(), outcome.preprocessMs(), outcome.inferenceMs(), totalMs))
        .setProducedAtMs(clock.instant())
        .build();
  }

  /**
   * The prediction's record, carrying {@code trace} (the clip's span in this worker) in its
   * headers.
   */
  private ProducerRecord<String, byte[]> toRecord(ModalityPrediction prediction, Context trace) {
    ProducerRecord<String, byte[]> record = output.record(prediction.getClipId(), prediction);
    tracing.inject(trace, record.headers());
    return record;
  }
}
