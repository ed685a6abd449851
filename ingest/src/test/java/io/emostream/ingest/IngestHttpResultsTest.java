package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.kafka.Env;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /sources/{id}} and {@code GET /} over real HTTP, with a store filled by hand (no
 * broker).
 */
class IngestHttpResultsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static IngestHttpServer server(Map<String, String> env, FusedSegmentStore results)
      throws Exception {
    IngestConfig config = IngestConfig.fromEnv(new Env(env)).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> FusedSegmentStoreTest.upload("up-1", 2),
            new SimpleMeterRegistry(),
            Clock.systemUTC(),
            results);
    http.start();
    return http;
  }

  @Test
  void anUploadsSourceAnswersItsSegmentsSoFar() throws Exception {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    IngestHttpServer http = server(Map.of(), store);
    try {
      HttpResponse<String> created = send(http, "POST", "/clips?name=call.mp4", null);
      assertThat(created.statusCode()).isEqualTo(201);

      JsonNode waiting = JSON.readTree(get(http, "/sources/up-1", null).body());
      assertThat(waiting.get("segmentsExpected").asInt()).isEqualTo(2);
      assertThat(waiting.get("segments")).isEmpty();

      store.add(FusedSegmentStoreTest.segment("up-1", 0));
      HttpResponse<String> one = get(http, "/sources/up-1", null);
      assertThat(one.statusCode()).isEqualTo(200);
      assertThat(one.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode answer = JSON.readTree(one.body());
      assertThat(answer.get("sourceId").asText()).isEqualTo("up-1");
      assertThat(answer.get("segmentsFused").asInt()).isEqualTo(1);
      assertThat(answer.get("complete").asBoolean()).isFalse();
      assertThat(answer.get("segments").get(0).get("clipId").asText()).isEqualTo("up-1-00000");
      assertThat(answer.get("segments").get(0).get("distribution").get("happy").asDouble())
          .isEqualTo(0.75);

      HttpResponse<String> unknown = get(http, "/sources/nobody", null);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(unknown.body()).get("error").asText())
          .contains("no results for source 'nobody'")
          .contains("last 10 sources");
      assertThat(get(http, "/sources/bad%20id", null).statusCode()).isEqualTo(400);
      assertThat(send(http, "POST", "/sources/up-1", null).statusCode()).isEqualTo(405);
    } finally {
      http.close();
    }
  }

  /**
   * {@code up} prints a line per upload: one refused with nothing published is told to the store's
   * listener too (only uploads answered 201 or failing after some clips were).
   */
  @Test
  void anUploadRefusedWithNothingPublishedIsToldToTheListener() throws Exception {
    List<String> lines = new ArrayList<>();
    FusedSegmentStore store =
        new FusedSegmentStore(
            new FusedSegmentStore.Limits(10, 100),
            new FusedSegmentStore.Listener() {
              @Override
              public void refused(String name, int status, String error) {
                lines.add(name + " " + status + " " + error);
              }
            });
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              throw new IngestException("'" + name + "' could not be decoded");
            },
            new SimpleMeterRegistry(),
            Clock.systemUTC(),
            store);
    http.start();
    try {
      assertThat(send(http, "POST", "/clips?name=broken.mp4", null).statusCode()).isEqualTo(400);
      // refused before the body is read: these got no line (a hostile-user pass)
      assertThat(send(http, "POST", "/clips?name=typo.mp4&sourceid=x", null).statusCode())
          .isEqualTo(400);
      assertThat(send(http, "POST", "/clips?name=bad.mp4&rule=median", null).statusCode())
          .isEqualTo(400);
      assertThat(send(http, "GET", "/clips?name=get.mp4", null).statusCode()).isEqualTo(405);
    } finally {
      http.close();
    }
    assertThat(lines)
        .containsExactly(
            "broken.mp4 400 'broken.mp4' could not be decoded",
            "typo.mp4 400 unknown query parameter 'sourceid' (did you mean 'sourceId'?); accepted:"
                + " name, rule, channel, audioStream, sourceId",
            "bad.mp4 400 unknown fusion rule 'median'; accepted: [AVERAGE, WEIGHTED_AVERAGE,"
                + " CONFIDENCE_THRESHOLD, DYNAMIC_CONFIDENCE, RULE_BASED, LOGISTIC_REGRESSION]",
            "get.mp4 405 use POST with the video as the request body");
  }

  @Test
  void withATokenSourcesNeedItAndTheIndexStaysOpen() throws Exception {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.add(FusedSegmentStoreTest.segment("s-1", 0));
    IngestHttpServer http = server(Map.of("EMOSTREAM_INGEST_TOKEN", "s3cret-token"), store);
    try {
      for (String header : new String[] {null, "Bearer wrong"}) {
        HttpResponse<String> denied = get(http, "/sources/s-1", header);
        assertThat(denied.statusCode()).as(header).isEqualTo(401);
        assertThat(denied.body()).doesNotContain("happy");
      }
      assertThat(get(http, "/sources/s-1", "Bearer s3cret-token").statusCode()).isEqualTo(200);

      HttpResponse<String> index = get(http, "/", null);
      assertThat(index.statusCode()).isEqualTo(200);
      JsonNode body = JSON.readTree(index.body());
      assertThat(body.get("bearerTokenRequired").asBoolean()).isTrue();
      List<String> endpoints = new ArrayList<>();
      body.get("endpoints")
          .forEach(e -> endpoints.add(e.get("method").asText() + " " + e.get("path").asText()));
      assertThat(endpoints)
          .containsExactly("POST /clips", "GET /sources/{sourceId}", "GET /health", "GET /");
      assertThat(body.get("endpoints").get(0).get("needsToken").asBoolean()).isTrue();
      assertThat(body.get("endpoints").get(2).get("needsToken").asBoolean()).isFalse(); // health
    } finally {
      http.close();
    }
  }

  @Test
  void withoutAStoreSourcesSayWhereTheResultsAre() throws Exception {
    IngestHttpServer http = server(Map.of(), null);
    try {
      HttpResponse<String> answer = get(http, "/sources/s-1", null);
      assertThat(answer.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(answer.body()).get("error").asText())
          .contains("served by ./emostream up")
          .contains("read the fused topic");
      assertThat(
              JSON.readTree(get(http, "/", null).body())
                  .get("endpoints")
                  .get(1)
                  .get("description")
                  .asText())
          .startsWith("not served here");
      assertThat(JSON.readTree(get(http, "/", null).body()).get("endpoints"))
          .as("no token set: no endpoint needs one")
          .allSatisfy(e -> assertThat(e.get("needsToken").asBoolean()).isFalse());
      assertThat(get(http, "/nothing", null).statusCode()).isEqualTo(404);
    } finally {
      http.close();
    }
  }

  private static HttpResponse<String> get(IngestHttpServer http, String path, String authorization)
      throws Exception {
    return send(http, "GET", path, authorization);
  }

  private static HttpResponse<String> send(
      IngestHttpServer http, String method, String path, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
    if ("POST".equals(method)) {
      request
          .header("Content-Type", "video/mp4")
          .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}));
    } else {
      request.GET();
    }
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
