package io.emostream.inference;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The record processor of a worker: input record → {@link ClipPredictor} → a {@link ModalityPrediction}
 * on the modality's prediction topic, keyed by clip id. When prediction throws, the loop dead-letters
 * the input and this publishes an ERROR prediction, so fusion goes on with the other modality at once
 * instead of waiting for its timeout.
 *
 * <p>Meters (tag {@code modality}): {@code emostream.inference} (model run time per clip, a histogram),
 * {@code emostream.prediction} (whole clip: decode, pre-processing and inference) and
 * {@code emostream.predictions} (count, tag {@code status}: OK, NO_FACE, NO_AUDIO, ERROR, NO_SPEECH).
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

  public PredictionWorker(Modality modality, Topics.Topic<ModalityPrediction> output, ModelManifest model,
      ClipPredictor predictor, Clock clock, MeterRegistry meters) {
    this.modality = modality;
    this.output = output;
    this.model = model;
    this.predictor = predictor;
    this.clock = clock;
    this.meters = meters;
    this.inference = latency("emostream.inference", "model run time per clip (all its frames or its audio)");
    this.prediction = latency("emostream.prediction", "time per clip: decode, pre-processing and inference");
  }

  private Timer latency(String name, String description) {
    return Timer.builder(name).tag("modality", modality.name()).description(description)
        .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(60)).register(meters);
  }

  private void count(PredictionStatus status) {
    Counter.builder("emostream.predictions").tag("modality", modality.name()).tag("status", status.name())
        .description("predictions published").register(meters).increment();
  }

  @Override
  public List<ProducerRecord<String, byte[]>> process(ConsumerRecord<String, byte[]> record) throws Exception {
    if (record.key() == null) {
      throw new IllegalArgumentException("record has no key; every topic is keyed by clip id");
    }
    long start = System.nanoTime();
    ClipPredictor.Outcome outcome = predictor.predict(record.key(), record.value());
    double totalMs = (System.nanoTime() - start) / 1e6;
    measure(outcome, totalMs);
    return List.of(toRecord(prediction(record.key(), outcome, totalMs)));
  }

  /** One clip's meters: its model time, its whole time and its status; the single and the batched path share it. */
  private void measure(ClipPredictor.Outcome outcome, double totalMs) {
    inference.record(Math.round(outcome.inferenceMs() * 1000), TimeUnit.MICROSECONDS);
    prediction.record(Math.round(totalMs * 1000), TimeUnit.MICROSECONDS);
    count(outcome.status());
  }

  /**
   * The records of one transaction through {@link ClipPredictor#predictAll}, so a batching predictor runs
   * the model over all their frames together; a record without a key or whose clip failed fails alone.
   * Timings: each clip's total is the batch's wall time shared out by its share of the batch's own time; each clip
   * is measured (the meters above) as on the one-clip path. A clip that failed is counted as ERROR by
   * {@link #onFailure}, which the loop calls for it.
   */
  @Override
  public List<TransactionalWorkerLoop.Processed> processAll(List<ConsumerRecord<String, byte[]>> records) {
    List<ClipPredictor.Input> inputs = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> record : records) {
      if (record.key() != null) {
        inputs.add(new ClipPredictor.Input(record.key(), record.value()));
      }
    }
    long start = System.nanoTime();
    List<ClipPredictor.Result> results = predictor.predictAll(inputs);
    double totalMs = (System.nanoTime() - start) / 1e6;
    if (results.size() != inputs.size()) {
      throw new IllegalStateException("predictor returned " + results.size() + " results for " + inputs.size()
          + " clips");
    }
    double ownSum = results.stream().filter(r -> r.outcome() != null).mapToDouble(r -> ownMs(r.outcome())).sum();
    List<TransactionalWorkerLoop.Processed> out = new ArrayList<>(records.size());
    int next = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      if (record.key() == null) {
        out.add(TransactionalWorkerLoop.Processed.failed(
            new IllegalArgumentException("record has no key; every topic is keyed by clip id")));
        continue;
      }
      ClipPredictor.Result result = results.get(next++);
      if (result.failure() != null) {
        out.add(TransactionalWorkerLoop.Processed.failed(result.failure()));
      } else {
        double share = ownSum > 0 ? ownMs(result.outcome()) / ownSum : 1.0 / inputs.size();
        measure(result.outcome(), totalMs * share);
        out.add(TransactionalWorkerLoop.Processed.ok(
            List.of(toRecord(prediction(record.key(), result.outcome(), totalMs * share)))));
      }
    }
    return out;
  }

  private static double ownMs(ClipPredictor.Outcome outcome) {
    return outcome.decodeMs() + outcome.preprocessMs() + outcome.inferenceMs();
  }

  @Override
  public List<ProducerRecord<String, byte[]>> onFailure(ConsumerRecord<String, byte[]> record, Exception error) {
    if (record.key() == null) {
      return List.of();
    }
    String why = error.getClass().getSimpleName() + ": " + error.getMessage();
    count(PredictionStatus.ERROR);
    return List.of(toRecord(prediction(record.key(),
        ClipPredictor.Outcome.without(PredictionStatus.ERROR, why, 0, 0, 0), 0)));
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
        .setTimings(new Timings(outcome.decodeMs(), outcome.preprocessMs(), outcome.inferenceMs(), totalMs))
        .setProducedAtMs(clock.instant())
        .build();
  }

  private ProducerRecord<String, byte[]> toRecord(ModalityPrediction prediction) {
    return output.record(prediction.getClipId(), prediction);
  }
}
