package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceKind;
import io.emostream.testkit.LiveMediaServer;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Live sources on the real broker with the committed models, as {@code ./emostream up} runs them:
 * an RTMP source served in real time by FFmpeg and registered with {@code POST /streams} has fused
 * records before its stream ends, every segment fused once, and STARTED / ENDED events with the
 * right clip count; past EMOSTREAM_MAX_LIVE_SOURCES a source is refused 429; {@code DELETE
 * /streams/{id}} stops one (reason stopped); an uploaded file has its events too. And {@code
 * ./emostream analyze rtmp://...} prints each segment as it is fused. Skipped without ffmpeg.
 */
@Timeout(300)
class LiveSourcesIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "live-token";
  private static final Path SAMPLE = EndToEndIT.SAMPLE;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeEach
  void needsFfmpeg() {
    assumeThat(LiveMediaServer.ffmpegAvailable())
        .as("ffmpeg is not installed; the live source tests need it (apt-get install ffmpeg)")
        .isTrue();
  }

  private static Map<String, String> env(String run) {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers());
    env.put("EMOSTREAM_TOPIC_PREFIX", "live-" + run + ".");
    env.put("EMOSTREAM_TOPIC_PARTITIONS", "2");
    env.put("EMOSTREAM_SEGMENT_SECONDS", "2");
    env.put("EMOSTREAM_FUSION_APP_ID", "live-fusion-" + run);
    env.put("EMOSTREAM_AUDIO_GROUP_ID", "live-audio-" + run);
    env.put("EMOSTREAM_VIDEO_GROUP_ID", "live-video-" + run);
    env.put("EMOSTREAM_INGEST_TOKEN", TOKEN);
    env.put("EMOSTREAM_MAX_LIVE_SOURCES", "1");
    env.put("EMOSTREAM_LIVE_READ_TIMEOUT", "3s");
    env.put("EMOSTREAM_LIVE_RECONNECT_FOR", "2s");
    return env;
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder post(String base, String json) {
    return HttpRequest.newBuilder(URI.create(base + "/streams"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder request) {
    return request.header("Authorization", "Bearer " + TOKEN);
  }

  @Test
  void anRtmpSourceIsFusedWhileItPlaysThenEndsWithItsEvents() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env = new Env(env(run));
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, Path.of(".."), 0);
        FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics());
        LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 5);
        LiveMediaServer other = LiveMediaServer.rtmp(SAMPLE, 3)) {
      String base = "http://127.0.0.1:" + platform.startHttp("127.0.0.1", 0);
      // A file first, fused before the live source starts, as on a platform that has been up a
      // while (workers and fusion have joined their groups, the models are warm); its events too.
      IngestService.Result file = platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null);
      Map<String, List<FusedEmotion>> fileFused = new HashMap<>();
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                collect(reader, file.sourceId(), fileFused);
                return fileFused.size() == file.clips().size();
              });

      String body = "{\"url\": \"" + server.url() + "?key=secret\", \"name\": \"call-1\"}";
      assertThat(send(post(base, body)).statusCode()).as("no token").isEqualTo(401);
      assertThat(send(authorized(post(base, "{\"name\": \"x\"}"))).statusCode()).isEqualTo(400);
      assertThat(send(authorized(post(base, "{\"url\": \"file:///etc/passwd\"}"))).body())
          .contains("not a live source URL");

      HttpResponse<String> created = send(authorized(post(base, body)));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      String sourceId = JSON.readTree(created.body()).get("sourceId").asText();
      assertThat(JSON.readTree(created.body()).get("url").asText()).doesNotContain("secret");

      HttpResponse<String> second =
          send(authorized(post(base, "{\"url\": \"" + other.url() + "\"}")));
      assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
      assertThat(second.body()).contains("EMOSTREAM_MAX_LIVE_SOURCES");

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                JsonNode listed =
                    JSON.readTree(
                        send(authorized(HttpRequest.newBuilder(URI.create(base + "/streams"))))
                            .body());
                assertThat(listed.get("streams").get(0).get("state").asText()).isEqualTo("live");
              });

      Map<String, List<FusedEmotion>> fused = new HashMap<>();
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                collect(reader, sourceId, fused);
                return !fused.isEmpty();
              });
      assertThat(server.isAlive()).as("a fused record came before the stream ended").isTrue();

      IngestService.LiveResult result =
          platform.live().done(sourceId).orElseThrow().get(120, TimeUnit.SECONDS);
      assertThat(result.endReason()).isEqualTo("completed");
      List<String> clipIds =
          result.result().clips().stream().map(IngestService.Clip::clipId).toList();
      assertThat(clipIds).hasSizeBetween(11, 12); // 22.6 s in 2 s segments
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                collect(reader, sourceId, fused);
                return fused.keySet().containsAll(clipIds);
              });
      collect(reader, sourceId, fused); // one more poll: a duplicate would show
      assertThat(fused.keySet()).containsExactlyInAnyOrderElementsOf(clipIds);
      assertThat(fused.values()).allSatisfy(list -> assertThat(list).hasSize(1));

      JsonNode ended =
          JSON.readTree(
              send(authorized(HttpRequest.newBuilder(URI.create(base + "/streams/" + sourceId))))
                  .body());
      assertThat(ended.get("state").asText()).isEqualTo("ended");
      assertThat(ended.get("endReason").asText()).isEqualTo("completed");
      assertThat(ended.get("segmentsPublished").asInt()).isEqualTo(clipIds.size());

      Map<String, List<SourceEvent>> events =
          sourceEvents(platform, 4).stream()
              .collect(Collectors.groupingBy(e -> e.getSourceId().toString()));
      assertThat(events.get(sourceId))
          .extracting(SourceEvent::getType)
          .containsExactly(SourceEventType.STARTED, SourceEventType.ENDED);
      SourceEvent end = events.get(sourceId).get(1);
      assertThat(end.getKind()).isEqualTo(SourceKind.LIVE);
      assertThat(end.getClipCount()).isEqualTo(clipIds.size());
      assertThat(end.getEndReason()).isEqualTo("completed");
      assertThat(end.getUrl()).isEqualTo(server.url());
      assertThat(end.getMediaTimeMs()).isEqualTo(result.mediaTimeMs());
      SourceEvent fileEnd = events.get(file.sourceId()).get(1);
      assertThat(fileEnd.getKind()).isEqualTo(SourceKind.FILE);
      assertThat(fileEnd.getClipCount()).isEqualTo(file.clips().size());
      assertThat(fileEnd.getEndReason()).isEqualTo("completed");
    }
  }

  @Test
  void deleteStopsALiveSourceAndAnalyzeUrlPrintsSegmentsAsTheyAreFused() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(new Env(env(run)), Path.of(".."), 0);
        LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 5)) {
      String base = "http://127.0.0.1:" + platform.startHttp("127.0.0.1", 0);
      HttpResponse<String> created =
          send(
              authorized(
                  post(base, "{\"url\": \"" + server.url() + "\", \"sourceId\": \"stop-me\"}")));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> platform.live().status("stop-me").orElseThrow().segmentsPublished() > 0);
      HttpResponse<String> deleted =
          send(authorized(HttpRequest.newBuilder(URI.create(base + "/streams/stop-me")).DELETE()));
      assertThat(deleted.statusCode()).isEqualTo(200);
      IngestService.LiveResult result =
          platform.live().done("stop-me").orElseThrow().get(30, TimeUnit.SECONDS);
      assertThat(result.endReason()).isEqualTo("stopped");
      assertThat(result.mediaTimeMs()).isLessThan(20_000);
      SourceEvent end =
          sourceEvents(platform, 2).stream()
              .filter(e -> e.getType() == SourceEventType.ENDED)
              .findFirst()
              .orElseThrow();
      assertThat(end.getEndReason()).isEqualTo("stopped");
      assertThat(end.getClipCount()).isEqualTo(result.result().clips().size());

      // its id is used: neither a second live source nor an upload may mix into its timeline
      HttpResponse<String> again =
          send(
              authorized(
                  post(base, "{\"url\": \"" + server.url() + "\", \"sourceId\": \"stop-me\"}")));
      assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
      assertThat(again.body()).contains("sourceId 'stop-me' is already used");
      HttpResponse<String> upload =
          send(
              authorized(
                  HttpRequest.newBuilder(URI.create(base + "/clips?sourceId=stop-me"))
                      .header("Content-Type", "video/mp4")
                      .POST(HttpRequest.BodyPublishers.ofFile(SAMPLE))));
      assertThat(upload.statusCode()).as(upload.body()).isEqualTo(409);
    }

    try (LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 2)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Map<String, String> vars = env(UUID.randomUUID().toString().substring(0, 8));
      int code =
          new Main(
                  new PrintStream(out, true, StandardCharsets.UTF_8),
                  new PrintStream(err, true, StandardCharsets.UTF_8),
                  new Env(vars),
                  Path.of(".."))
              .run(new String[] {"analyze", "--json", "--source-id", "cli-live", server.url()});
      String stderr = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(stderr).isZero();
      List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(lines).hasSizeBetween(4, 5); // 9 s in 2 s segments
      List<Integer> indices = new ArrayList<>();
      for (String line : lines) {
        JsonNode segment = JSON.readTree(line);
        assertThat(segment.get("sourceId").asText()).isEqualTo("cli-live");
        indices.add(segment.get("segmentIndex").asInt());
      }
      assertThat(indices).doesNotHaveDuplicates();
      assertThat(stderr).contains("ended (completed)");
    }
  }

  /**
   * Ctrl-C on {@code analyze URL} (its first signal, which {@code AnalyzeCommand} hands to it) ends
   * the source as DELETE does, and every segment published up to then is still printed once fused:
   * exit 0, nothing computed lost from the output. The source would play for about 90 s.
   */
  @Test
  void aLiveAnalysisAskedToStopEndsItsSourceAndPrintsEverySegmentItPublished() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(new Env(env(run)), Path.of(".."), 0);
        LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 20)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          LiveAnalysis.run(
              platform,
              server.url(),
              null,
              ChannelSelection.MIXED,
              "cli-stop",
              true,
              Duration.ofSeconds(60),
              () -> out.size() > 0, // asked to stop once its first segment is printed
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      String stderr = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(stderr).isZero();
      assertThat(stderr).contains("cli-stop: stopping").contains("ended (stopped)");
      Matcher counts =
          Pattern.compile("(\\d+) segment\\(s\\) published, (\\d+) fused").matcher(stderr);
      assertThat(counts.find()).as(stderr).isTrue();
      int published = Integer.parseInt(counts.group(1));
      assertThat(Integer.parseInt(counts.group(2))).isEqualTo(published);
      assertThat(published).as("stopped well before the source's 45 segments").isBetween(1, 20);
      List<Integer> indices = new ArrayList<>();
      for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
        indices.add(JSON.readTree(line).get("segmentIndex").asInt());
      }
      assertThat(indices).doesNotHaveDuplicates().hasSize(published);
    }
  }

  private static void collect(
      FusedResultReader reader, String sourceId, Map<String, List<FusedEmotion>> fused) {
    for (FusedEmotion segment : reader.poll(Duration.ofMillis(200))) {
      if (segment.getSourceId().toString().equals(sourceId)) {
        fused.computeIfAbsent(segment.getClipId().toString(), k -> new ArrayList<>()).add(segment);
      }
    }
  }

  private static List<SourceEvent> sourceEvents(EmbeddedPlatform platform, int expected) {
    var topic = platform.topics().sources();
    Function<ConsumerRecord<String, byte[]>, SourceEvent> read =
        r -> topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
    return TopicReader.readCommitted(
            TestKafka.bootstrapServers(),
            topic.name(),
            expected,
            Duration.ofSeconds(30),
            Duration.ofMillis(500))
        .stream()
        .map(read)
        .toList();
  }
}
