package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.ops.Meters;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import io.emostream.schemas.Modality;
import io.emostream.testkit.TestKafka;
import io.emostream.topics.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Issue #12, item 7: a worker over the real broker, on the batched path ({@link
 * ClipPredictor#predictAll} through {@link PredictionWorker#processAll}), records every worker
 * meter the README lists; they are read back the way Prometheus reads them, from the ops server's
 * {@code /metrics}.
 */
class WorkerMetricsIT {

  private static final Path MODELS =
      Path.of(System.getProperty("emostream.models.dir", "../models"));
  private static final Path README = Path.of("../README.md");
  private static final int CLIPS = 24;

  /**
   * The README's meters that a worker records, each with the series that must have counted
   * something.
   */
  private static final Map<String, String> WORKER_SERIES =
      Map.of(
          "emostream_worker_records_in_total",
          "emostream_worker_records_in_total{service=\"video-worker\"}",
          "emostream_worker_records_out_total",
          "emostream_worker_records_out_total{service=\"video-worker\"}",
          "emostream_worker_transactions_total",
          "emostream_worker_transactions_total{outcome=\"committed\",service=\"video-worker\"}",
          "emostream_worker_batch_size",
          "emostream_worker_batch_size_count{service=\"video-worker\"}",
          "emostream_inference_seconds",
          "emostream_inference_seconds_count{modality=\"VIDEO\"}",
          "emostream_prediction_seconds",
          "emostream_prediction_seconds_count{modality=\"VIDEO\"}",
          "emostream_predictions_total",
          "emostream_predictions_total{modality=\"VIDEO\",status=\"OK\"}");

  private final KafkaSettings settings = KafkaSettings.bootstrap(TestKafka.bootstrapServers());
  private final Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2);

  @Test
  void theBatchedPathRecordsEveryWorkerMeterTheReadmeLists() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    ModelManifest manifest = ModelManifest.load(MODELS.resolve("fer-mini-xception/manifest.json"));
    List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    ClipPredictor batching =
        new ClipPredictor() {
          @Override
          public Outcome predict(String clipId, byte[] value) {
            throw new AssertionError("the worker must take the batched path");
          }

          @Override
          public List<Result> predictAll(List<Input> inputs) {
            batchSizes.add(inputs.size());
            List<Result> out = new ArrayList<>();
            for (Input input : inputs) {
              out.add(Result.of(Outcome.ok(new float[] {0, 0, 0, 1, 0, 0, 0}, 4, 0.5, 0.5, 2.0)));
            }
            return out;
          }
        };
    WorkerConfig config =
        new WorkerConfig(
            settings,
            topics,
            MODELS.resolve("fer-mini-xception/manifest.json"),
            Device.CPU,
            1,
            "g-" + UUID.randomUUID(),
            8,
            UUID.randomUUID().toString(),
            32,
            Duration.ofMillis(200),
            null);
    PrometheusMeterRegistry meters = Meters.prometheus();
    WorkerService worker = WorkerService.start(config, meters, Modality.VIDEO, manifest, batching);
    try (OpsServer ops =
        OpsServer.start(new OpsConfig("127.0.0.1", 0), meters, List.of(worker.health()))) {
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(
              settings.with(
                  Map.of(
                      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
        for (int i = 0; i < CLIPS; i++) {
          producer.send(
              new ProducerRecord<>(
                  topics.frames().name(), String.format("src-%05d", i), new byte[] {1}));
        }
        producer.flush();
      }

      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  value(
                          scrape(ops),
                          "emostream_predictions_total{modality=\"VIDEO\",status=\"OK\"}")
                      >= CLIPS);
      String text = scrape(ops);

      assertThat(batchSizes)
          .as("the clips went through predictAll, several at a time")
          .anyMatch(n -> n > 1);
      String readme = Files.readString(README, StandardCharsets.UTF_8);
      WORKER_SERIES.forEach(
          (meter, series) -> {
            assertThat(readme).as("README lists %s", meter).contains("`" + meter + "`");
            assertThat(value(text, series)).as("%s in\n%s", series, text).isGreaterThan(0);
          });
      assertThat(value(text, "emostream_predictions_total{modality=\"VIDEO\",status=\"OK\"}"))
          .isEqualTo(CLIPS);
      assertThat(value(text, "emostream_inference_seconds_count{modality=\"VIDEO\"}"))
          .isEqualTo(CLIPS);
      assertThat(value(text, "emostream_prediction_seconds_count{modality=\"VIDEO\"}"))
          .isEqualTo(CLIPS);
      assertThat(value(text, "emostream_inference_seconds_sum{modality=\"VIDEO\"}"))
          .as("2 ms of model time per clip")
          .isCloseTo(CLIPS * 0.002, Offset.offset(1e-6));
      assertThat(readme).contains("`kafka_consumer_fetch_manager_records_lag_max`");
      assertThat(text).contains("kafka_consumer_fetch_manager_records_lag_max{");
    } finally {
      worker.close(Duration.ofSeconds(30));
    }
  }

  private static String scrape(OpsServer ops) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(ops.url("/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /**
   * The value of one series (name and labels as Prometheus prints them), or -1 when it is absent.
   */
  private static double value(String text, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
