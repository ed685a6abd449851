package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.testkit.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What {@code ./emostream up} adds to ingest's HTTP, on the real broker with the committed models:
 * the sample uploaded with the token appears under {@code GET /sources/{id}} segment by segment, in
 * the one JSON shape; the store's listener (the lines {@code up} prints) hears of the upload and of
 * every fused segment; {@code GET /} lists the endpoints.
 */
class UpResultsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "up-results-token";

  @Test
  void anUploadsSegmentsAppearUnderItsSourceAsTheyAreFused() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                "up-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_SEGMENT_SECONDS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                "up-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "up-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "up-video-" + run,
                "EMOSTREAM_INGEST_TOKEN",
                TOKEN));
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    FusedSegmentStore.Listener listener =
        new FusedSegmentStore.Listener() {
          @Override
          public void uploaded(IngestService.Result upload) {
            lines.add(UpLog.upload(upload));
          }

          @Override
          public void fused(FusedEmotion segment) {
            lines.add(UpLog.segment(segment));
          }
        };
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, Path.of(".."), 0)) {
      FusedSegmentStore results =
          platform.startResults(new FusedSegmentStore.Limits(10, 100), listener);
      String base = "http://127.0.0.1:" + platform.startHttp("127.0.0.1", 0, results);

      HttpResponse<String> index = send(HttpRequest.newBuilder(URI.create(base + "/")).GET());
      assertThat(index.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(index.body()).get("endpoints").toString())
          .contains("/clips", "/sources/{sourceId}");

      HttpResponse<String> created =
          send(
              HttpRequest.newBuilder(URI.create(base + "/clips?name=happy-speech.mp4"))
                  .header("Content-Type", "video/mp4")
                  .header("Authorization", "Bearer " + TOKEN)
                  .POST(HttpRequest.BodyPublishers.ofFile(EndToEndIT.SAMPLE)));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      String sourceId = JSON.readTree(created.body()).get("sourceId").asText();
      URI source = URI.create(base + "/sources/" + sourceId);
      assertThat(send(HttpRequest.newBuilder(source).GET()).statusCode())
          .as("no token")
          .isEqualTo(401);

      AtomicReference<JsonNode> answer = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                HttpResponse<String> got =
                    send(
                        HttpRequest.newBuilder(source)
                            .header("Authorization", "Bearer " + TOKEN)
                            .GET());
                assertThat(got.statusCode()).isEqualTo(200);
                answer.set(JSON.readTree(got.body()));
                assertThat(answer.get().get("complete").asBoolean()).isTrue();
              });

      JsonNode done = answer.get();
      assertThat(done.get("sourceName").asText()).isEqualTo("happy-speech.mp4");
      assertThat(done.get("segmentsExpected").asInt()).isEqualTo(2); // 4.5 s in 2 s segments
      assertThat(done.get("segments")).hasSize(2);
      List<String> shape = names(FusedSegmentJson.toJson(ResultFormatTest.result()));
      for (int i = 0; i < 2; i++) {
        JsonNode segment = done.get("segments").get(i);
        assertThat(names(segment)).containsExactlyElementsOf(shape);
        assertThat(segment.get("sourceId").asText()).isEqualTo(sourceId);
        assertThat(segment.get("segmentIndex").asInt()).isEqualTo(i);
        assertThat(segment.get("status").asText()).isEqualTo("COMPLETE");
      }
      assertThat(
              send(HttpRequest.newBuilder(URI.create(base + "/sources/nobody-" + run))
                      .header("Authorization", "Bearer " + TOKEN)
                      .GET())
                  .statusCode())
          .isEqualTo(404);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lines).hasSize(3));
      assertThat(lines)
          .contains(
              "upload happy-speech.mp4: source "
                  + sourceId
                  + ", 2 segment(s); GET /sources/"
                  + sourceId
                  + " for results");
      assertThat(lines)
          .filteredOn(
              l -> l.startsWith("fused happy-speech.mp4 (source " + sourceId + ") segment "))
          .hasSize(2)
          .allSatisfy(l -> assertThat(l).endsWith(" COMPLETE"));
    }
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
