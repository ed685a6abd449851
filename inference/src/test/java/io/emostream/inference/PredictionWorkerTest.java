package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class PredictionWorkerTest {

  private final Topics topics = new Topics("t.", 1);
  private final ModelManifest manifest = ModelManifest.load(
      Path.of(System.getProperty("emostream.models.dir", "../models")).resolve("fer-mini-xception/manifest.json"));

  @Test
  void aTransactionsClipsArePredictedInOneCallAndEachSucceedsOrFailsAlone() {
    List<List<String>> calls = new ArrayList<>();
    ClipPredictor predictor = new ClipPredictor() {
      @Override
      public Outcome predict(String clipId, byte[] value) {
        throw new AssertionError("the worker must call predictAll");
      }

      @Override
      public List<Result> predictAll(List<Input> inputs) {
        calls.add(inputs.stream().map(Input::clipId).toList());
        return inputs.stream().map(in -> in.clipId().equals("bad")
            ? Result.failed(new IllegalArgumentException("not a frame batch"))
            : Result.of(Outcome.ok(new float[] {0, 0, 0, 1, 0, 0, 0}, 3, 1, 2, 3))).toList();
      }
    };
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    PredictionWorker worker = new PredictionWorker(Modality.VIDEO, topics.videoPredictions(), manifest, predictor,
        Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), meters);

    List<TransactionalWorkerLoop.Processed> results = worker.processAll(List.of(record("a"), record("bad"),
        record(null), record("b")));

    assertThat(calls).containsExactly(List.of("a", "bad", "b"));
    assertThat(results).hasSize(4);
    assertThat(results.get(1).failure()).hasMessage("not a frame batch");
    assertThat(results.get(2).failure()).hasMessageContaining("no key");
    for (int i : new int[] {0, 3}) {
      ModalityPrediction prediction = topics.videoPredictions().valueSerde().deserializer()
          .deserialize(topics.videoPredictions().name(), results.get(i).outputs().get(0).value());
      assertThat(prediction.getStatus()).isEqualTo(PredictionStatus.OK);
      assertThat(prediction.getItemsAnalysed()).isEqualTo(3);
      assertThat(prediction.getProbabilities().get(3)).isEqualTo(1f);
    }
    assertThat(results.get(3).outputs().get(0).key()).isEqualTo("b");
    assertThat(meters.get("emostream.predictions").tags("modality", "VIDEO", "status", "OK").counter().count())
        .as("the batched path counts what it publishes").isEqualTo(2);
    assertThat(meters.get("emostream.inference").tag("modality", "VIDEO").timer().count()).isEqualTo(2);
    assertThat(meters.get("emostream.inference").tag("modality", "VIDEO").timer().totalTime(TimeUnit.MICROSECONDS))
        .as("3 ms of model time per clip").isEqualTo(6000);
    assertThat(meters.get("emostream.prediction").tag("modality", "VIDEO").timer().count()).isEqualTo(2);
    assertThat(meters.find("emostream.predictions").tag("status", "ERROR").counter())
        .as("a failed clip is counted by onFailure, which the loop calls for it").isNull();
  }

  private static ConsumerRecord<String, byte[]> record(String key) {
    return new ConsumerRecord<>("t.clips.frames", 0, 0, key, new byte[] {1});
  }
}
