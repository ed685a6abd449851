package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.testkit.GatedStream;
import io.emostream.testkit.StreamedMedia;
import io.emostream.testkit.StreamedMedia.Container;
import io.emostream.testkit.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streamed uploads on the real broker with the committed models (issue 13 item 2): the sample as a
 * Matroska and as an MPEG-TS body, sent with chunked transfer encoding by a Java client that holds
 * the last quarter back until the upload's first segment is fused; only then is the rest sent. So a
 * segment was published and fused before its body ended; afterwards every segment is fused once.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StreamedUploadIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aChunkedUploadIsFusedSegmentBySegmentBeforeItsBodyEnds() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                "streamed-" + run + ".",
                "EMOSTREAM_SEGMENT_SECONDS",
                "1",
                "EMOSTREAM_FUSION_APP_ID",
                "streamed-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "streamed-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "streamed-video-" + run,
                // The body is held back for as long as fusion takes: far below the minimum rate.
                "EMOSTREAM_UPLOAD_MIN_RATE",
                "0"));
    List<FusedEmotion> fused = new CopyOnWriteArrayList<>();
    FusedSegmentStore.Listener listener =
        new FusedSegmentStore.Listener() {
          @Override
          public void uploaded(IngestService.Result upload) {}

          @Override
          public void fused(FusedEmotion segment) {
            fused.add(segment);
          }
        };
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, Path.of(".."), 0)) {
      FusedSegmentStore results =
          platform.startResults(new FusedSegmentStore.Limits(10, 100), listener);
      String base = "http://127.0.0.1:" + platform.startHttp("127.0.0.1", 0, results);

      for (Container container : List.of(Container.MATROSKA, Container.MPEGTS)) {
        String sourceId = "streamed-" + container.name().toLowerCase(Locale.ROOT);
        byte[] media = StreamedMedia.remux(EndToEndIT.SAMPLE, container);
        GatedStream body = new GatedStream(media, media.length * 3 / 4, 8 * 1024);
        CompletableFuture<HttpResponse<String>> answer =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .sendAsync(
                    HttpRequest.newBuilder(
                            URI.create(base + "/clips?name=call&sourceId=" + sourceId))
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());

        await()
            .alias(container + ": a segment fused while the client holds the rest of the body")
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> fused.stream().anyMatch(s -> sourceId.equals(s.getSourceId())));
        assertThat(body.waitingAtGate()).isTrue();
        assertThat(answer).isNotDone();
        body.open();

        HttpResponse<String> created = answer.get(120, TimeUnit.SECONDS);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode json = JSON.readTree(created.body());
        assertThat(json.get("streamed").asBoolean()).isTrue();
        int segments = json.get("clips").size();
        assertThat(segments).as(container.name()).isBetween(4, 5);
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () ->
                    assertThat(fused)
                        .filteredOn(s -> sourceId.equals(s.getSourceId()))
                        .extracting(FusedEmotion::getSegmentIndex)
                        .containsExactlyInAnyOrderElementsOf(
                            IntStream.range(0, segments).boxed().toList()));
      }
    }
  }
}
