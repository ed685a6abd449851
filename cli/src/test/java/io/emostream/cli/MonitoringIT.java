package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.audio.AudioWorkerMain;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.FusionStreamApp;
import io.emostream.inference.VadConfig;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.IngestHttpServer;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.ops.Meters;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.OpsServer;
import io.emostream.schemas.FusedEmotion;
import io.emostream.testkit.TestKafka;
import io.emostream.topics.Topics;
import io.emostream.video.VideoWorkerMain;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard and the alert rules against what the services really export: the four services are
 * started as in their own processes (each its own meter registry and ops server, as the *Main
 * classes wire them) on the real broker, the sample video is uploaded over HTTP and fused, and then
 * every metric a panel or a rule reads must be in one of the four {@code /metrics} scrapes, with
 * every label the expression matches or groups by. The scrapes are written to {@code
 * target/monitoring-it/} for reference.
 */
class MonitoringIT {

  private static final Path HOME = Path.of("..");
  private static final String TOKEN = "monitoring-it-" + UUID.randomUUID();

  /**
   * Kafka clients' metrics that appear after start (partitions assigned, Streams tasks created) are
   * bound by Micrometer's Kafka binders on their 60 s refresh, so the scrapes may need that long to
   * be complete.
   */
  private static final Duration METRICS_COMPLETE = Duration.ofSeconds(150);

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void everyMetricAndLabelTheDashboardAndTheRulesReadIsExportedByTheServices(@TempDir Path dir)
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> vars =
        new HashMap<>(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                "mon-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_SEGMENT_SECONDS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                "mon-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "mon-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "mon-video-" + run,
                "EMOSTREAM_INGEST_TOKEN",
                TOKEN,
                "EMOSTREAM_HTTP_PORT",
                "0"));
    vars.put("EMOSTREAM_WORK_DIR", dir.toString());
    Env env = new Env(vars);
    Topics topics = TopicsEnv.fromEnv(env);
    IngestConfig ingestConfig = IngestConfig.fromEnv(env);
    TopicAdmin.ensureTopics(ingestConfig.kafka(), topics, (short) 1);

    Map<String, PrometheusMeterRegistry> registries = new LinkedHashMap<>();
    for (String service : List.of("ingest", "audio-worker", "video-worker", "fusion-stream")) {
      registries.put(service, Meters.prometheus());
    }
    OpsConfig anyPort = new OpsConfig("127.0.0.1", 0);
    try (FusionStreamApp fusion =
            new FusionStreamApp(
                FusionConfig.fromEnv(env),
                Map.of("state.dir", dir.resolve("state").toString()),
                registries.get("fusion-stream"));
        WorkerService audio =
            AudioWorkerMain.start(
                WorkerConfig.fromEnv(env, "AUDIO", HOME.resolve(AudioWorkerMain.DEFAULT_MODEL)),
                VadConfig.fromEnv(env, HOME.resolve(VadConfig.DEFAULT_MODEL)),
                registries.get("audio-worker"));
        WorkerService video =
            VideoWorkerMain.start(
                WorkerConfig.fromEnv(env, "VIDEO", HOME.resolve(VideoWorkerMain.DEFAULT_MODEL)),
                registries.get("video-worker"));
        IngestService ingest =
            new IngestService(ingestConfig, Clock.systemUTC(), registries.get("ingest"));
        IngestHttpServer upload =
            new IngestHttpServer(ingestConfig, ingest, registries.get("ingest"));
        OpsServer fusionOps =
            OpsServer.start(anyPort, registries.get("fusion-stream"), List.of(fusion));
        OpsServer audioOps =
            OpsServer.start(anyPort, registries.get("audio-worker"), List.of(audio.health()));
        OpsServer videoOps =
            OpsServer.start(anyPort, registries.get("video-worker"), List.of(video.health()));
        OpsServer ingestOps = OpsServer.start(anyPort, registries.get("ingest"), List.of(upload));
        FusedResultReader reader = new FusedResultReader(ingestConfig.kafka(), topics)) {
      fusion.start();
      upload.start();
      Set<String> clipIds = uploadSample(upload.port());
      Map<String, FusedEmotion> fused = reader.await(clipIds, Duration.ofSeconds(180), () -> {});
      assertThat(fused.keySet()).containsExactlyInAnyOrderElementsOf(clipIds);

      Map<String, OpsServer> ops =
          Map.of(
              "ingest",
              ingestOps,
              "audio-worker",
              audioOps,
              "video-worker",
              videoOps,
              "fusion-stream",
              fusionOps);
      Map<String, String> expressions = MonitoringFiles.allExpressions();
      Awaitility.await()
          .atMost(METRICS_COMPLETE)
          .pollInterval(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                Map<String, Set<String>> exported = new TreeMap<>();
                for (Map.Entry<String, OpsServer> service : ops.entrySet()) {
                  String scrape = get(service.getValue().url("/metrics")).body();
                  write(service.getKey(), scrape);
                  MonitoringFiles.seriesLabels(scrape)
                      .forEach(
                          (name, labels) ->
                              exported.computeIfAbsent(name, k -> new TreeSet<>()).addAll(labels));
                }
                List<String> missing = new ArrayList<>();
                expressions.forEach(
                    (where, expression) -> missing.addAll(problems(where, expression, exported)));
                assertThat(missing)
                    .as("metrics and labels read by the dashboard and the rules, not exported")
                    .isEmpty();
              });
    }
  }

  private static List<String> problems(
      String where, String expression, Map<String, Set<String>> exported) {
    MonitoringFiles.Usage usage = MonitoringFiles.usage(expression);
    List<String> problems = new ArrayList<>();
    Set<String> available = new TreeSet<>(MonitoringFiles.TARGET_LABELS);
    for (String metric : usage.metrics()) {
      if (MonitoringFiles.SYNTHETIC_SERIES.contains(metric)) {
        continue;
      }
      if (!exported.containsKey(metric)) {
        problems.add(where + ": metric " + metric);
      } else {
        available.addAll(exported.get(metric));
      }
    }
    for (String label : usage.labels()) {
      if (!available.contains(label)) {
        problems.add(where + ": label " + label + " on " + usage.metrics());
      }
    }
    return problems;
  }

  private Set<String> uploadSample(int port) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/clips?name=happy-speech.mp4"))
            .header("Content-Type", "video/mp4")
            .header("Authorization", "Bearer " + TOKEN)
            .POST(HttpRequest.BodyPublishers.ofFile(HOME.resolve("samples/happy-speech.mp4")))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    Set<String> ids = new TreeSet<>();
    for (JsonNode clip : new ObjectMapper().readTree(response.body()).path("clips")) {
      ids.add(clip.path("clipId").asText());
    }
    assertThat(ids).isNotEmpty();
    return ids;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void write(String service, String scrape) throws Exception {
    Path out = Path.of("target", "monitoring-it");
    Files.createDirectories(out);
    Files.writeString(out.resolve(service + ".prom"), scrape);
  }
}
