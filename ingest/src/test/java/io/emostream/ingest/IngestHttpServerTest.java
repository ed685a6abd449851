package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.Socket;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestHttpServerTest {

  @Test
  void displayNamesNeverCarryDirectories() {
    assertThat(RequestChecks.displayName("../../etc/passwd")).isEqualTo("passwd");
    assertThat(RequestChecks.displayName("C:\\calls\\a.mp4")).isEqualTo("a.mp4");
    assertThat(RequestChecks.displayName("..")).isEqualTo("upload");
    assertThat(RequestChecks.displayName(null)).isEqualTo("upload");
  }

  @Test
  void acceptsMediaContentTypesOnly() {
    assertThat(RequestChecks.acceptedContentType("video/mp4")).isTrue();
    assertThat(RequestChecks.acceptedContentType("audio/wav; codecs=1")).isTrue();
    assertThat(RequestChecks.acceptedContentType("application/octet-stream")).isTrue();
    assertThat(RequestChecks.acceptedContentType("text/html")).isFalse();
    assertThat(RequestChecks.acceptedContentType(null)).isFalse();
  }

  /**
   * SIGTERM path: close() refuses new connections at once but answers the upload in flight before
   * returning.
   */
  @Test
  void closeFinishesTheUploadInFlightAndRefusesNewOnes() throws Exception {
    CountDownLatch ingesting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Ingestor slow =
        (file, name, rule, channels) -> {
          ingesting.countDown();
          try {
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return new IngestService.Result("source-1", name, List.of());
        };
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, slow, meters);
    http.start();
    String url = "http://127.0.0.1:" + http.port() + "/clips?name=call.mp4";
    assertThat(http.isReady()).isTrue();

    CompletableFuture<HttpResponse<String>> upload =
        client().sendAsync(post(url), HttpResponse.BodyHandlers.ofString());
    assertThat(ingesting.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed =
        CompletableFuture.runAsync(() -> http.close(Duration.ofSeconds(20)));

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThatThrownBy(
                        () -> client().send(post(url), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class));
    assertThat(http.isReady()).isFalse();
    assertThat(closed).isNotDone();

    release.countDown();
    HttpResponse<String> answered = upload.get(20, TimeUnit.SECONDS);
    assertThat(answered.statusCode()).isEqualTo(201);
    assertThat(answered.body())
        .contains("\"sourceId\":\"source-1\"")
        .contains("\"sourceName\":\"call.mp4\"");
    closed.get(20, TimeUnit.SECONDS);
    assertThat(meters.get("emostream.ingest.http.requests").tag("status", "201").counter().count())
        .isEqualTo(1);
  }

  /**
   * SIGTERM while a long upload (its body in whole) is still being ingested: 5 s before the grace
   * period ends its ingest is stopped at its next clip, and it is answered 503 with Retry-After and
   * the clips published; it used to get no answer when the ingest outlasted the grace period.
   */
  @Test
  void anUploadStillBeingIngestedAtShutdownIsAnswered503WithItsClips() throws Exception {
    CountDownLatch ingesting = new CountDownLatch(1);
    CountDownLatch stop = new CountDownLatch(1);
    Ingestor longIngest =
        new Ingestor() {
          @Override
          public IngestService.Result ingest(
              Path file, String name, FusionRule rule, ChannelSelection channels) {
            ingesting.countDown();
            try {
              assertThat(stop.await(30, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            throw new PartlyIngestedException(
                new ShuttingDownException(1),
                new IngestService.Result("source-1", name, List.of(firstClip("source-1"))));
          }

          @Override
          public void stopIngesting() {
            stop.countDown();
          }
        };
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, longIngest);
    http.start();
    CompletableFuture<HttpResponse<String>> upload =
        client()
            .sendAsync(
                post("http://127.0.0.1:" + http.port() + "/clips?name=long.mp4"),
                HttpResponse.BodyHandlers.ofString());
    assertThat(ingesting.await(30, TimeUnit.SECONDS)).isTrue();

    http.close(Duration.ofSeconds(7));

    HttpResponse<String> answer = upload.get(10, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    assertThat(answer.headers().firstValue("Retry-After")).hasValue("30");
    assertThat(answer.body())
        .contains("the server is shutting down; 1 clip(s) before it were published")
        .contains("\"clipsPublished\":1");
  }

  /**
   * Kafka did not take a clip (down past the producer's timeouts): 503 with Retry-After, and the
   * clips published before it, which stay published and are fused. It was a bare "could not be
   * published; try again later" with no clips and no Retry-After, so a client that retried got
   * those clips analysed twice under a new source id.
   */
  @Test
  void anUploadKafkaStoppedTakingIsAnswered503WithTheClipsPublishedBeforeIt() throws Exception {
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              PublishException kafka =
                  new PublishException(
                      new org.apache.kafka.common.errors.TimeoutException(
                          "Timeout expired after 60000ms while awaiting EndTxn(true)"));
              if (name.equals("none.mp4")) {
                throw kafka;
              }
              throw new PartlyIngestedException(
                  kafka,
                  new IngestService.Result("source-1", name, List.of(firstClip("source-1"))));
            });
    http.start();
    try {
      HttpResponse<String> partly =
          client()
              .send(
                  post("http://127.0.0.1:" + http.port() + "/clips?name=long.mp4"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(partly.statusCode()).as(partly.body()).isEqualTo(503);
      assertThat(partly.headers().firstValue("Retry-After")).hasValue("30");
      assertThat(partly.body())
          .contains("Kafka did not take the clip (TimeoutException); it can be sent again later")
          .contains(
              "\"sourceId\":\"source-1\"", "\"clipsPublished\":1", "\"clipId\":\"source-1-0\"");

      HttpResponse<String> none =
          client()
              .send(
                  post("http://127.0.0.1:" + http.port() + "/clips?name=none.mp4"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(none.statusCode()).as(none.body()).isEqualTo(503);
      assertThat(none.headers().firstValue("Retry-After")).hasValue("30");
      assertThat(none.body()).contains("Kafka did not take the clip");
    } finally {
      http.close(Duration.ofSeconds(5));
    }
  }

  @Test
  void closeWithNothingInFlightDoesNotWaitOutTheGracePeriod() throws Exception {
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              throw new AssertionError("no upload in this test");
            });
    http.start();
    long start = System.nanoTime();
    http.close(Duration.ofSeconds(30));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(http.isLive()).isFalse();
  }

  @Test
  void withATokenUploadsNeedTheBearerTokenAndHealthStaysOpen() throws Exception {
    List<String> names = new ArrayList<>();
    IngestConfig config =
        IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_INGEST_TOKEN", "s3cret-token")))
            .withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              names.add(name);
              return new IngestService.Result("source-1", name, List.of());
            });
    http.start();
    try {
      String url = "http://127.0.0.1:" + http.port() + "/clips?name=call.mp4";
      for (String header :
          new String[] {
            null, "Bearer wrong", "Bearer s3cret-toke", "Basic s3cret-token", "s3cret-token"
          }) {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "video/mp4")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3}));
        if (header != null) {
          request.header("Authorization", header);
        }
        HttpResponse<String> denied =
            client().send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(denied.statusCode()).as(header).isEqualTo(401);
        assertThat(denied.headers().firstValue("WWW-Authenticate"))
            .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(denied.body())
            .isEqualTo(
                "{\"error\":\"missing or wrong bearer token: send 'Authorization: Bearer <token>'\"}");
      }
      assertThat(names).as("no unauthorised upload reaches ingest").isEmpty();
      HttpResponse<String> ok =
          client()
              .send(
                  HttpRequest.newBuilder(URI.create(url))
                      .header("Content-Type", "video/mp4")
                      .header("Authorization", "Bearer s3cret-token")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1}))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(201);
      assertThat(names).containsExactly("call.mp4");
      HttpResponse<String> health =
          client()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/health"))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    } finally {
      http.close(Duration.ofSeconds(5));
    }
  }

  @Test
  void theTokenComparisonNeedsTheWholeTokenAndTheBearerScheme() {
    assertThat(RequestChecks.authorized("Bearer abc", "abc")).isTrue();
    assertThat(RequestChecks.authorized("bearer  abc ", "abc")).isTrue();
    assertThat(RequestChecks.authorized("Bearer ab", "abc")).isFalse();
    assertThat(RequestChecks.authorized("Bearer abcd", "abc")).isFalse();
    assertThat(RequestChecks.authorized("abc", "abc")).isFalse();
    assertThat(RequestChecks.authorized(null, "abc")).isFalse();
  }

  @Test
  void theStandaloneServiceRefusesToStartWithoutATokenUnlessAuthIsExplicitlyOff() {
    assertThatThrownBy(() -> IngestConfig.fromEnv(new Env(Map.of())).checkAuthConfigured())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("EMOSTREAM_INGEST_TOKEN")
        .hasMessageContaining("EMOSTREAM_INGEST_AUTH=none");
    IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_INGEST_AUTH", "none"))).checkAuthConfigured();
    IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_INGEST_TOKEN", "t"))).checkAuthConfigured();
    assertThatThrownBy(() -> IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_INGEST_AUTH", "off"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("use token or none");
  }

  @Test
  void theTokenIsNeverPrinted() {
    IngestConfig config =
        IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_INGEST_TOKEN", "s3cret-token")));
    assertThat(config.toString()).doesNotContain("s3cret-token").contains("token=[hidden]");
  }

  /**
   * A name such as ../../x is a display name only: the upload is spooled under the work dir and
   * nothing else.
   */
  @Test
  void aTraversingNameNeverReachesTheFileSystem(@TempDir Path root) throws Exception {
    Path work = Files.createDirectories(root.resolve("a/b/work"));
    List<Path> spooled = new ArrayList<>();
    List<String> names = new ArrayList<>();
    IngestConfig config =
        IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_WORK_DIR", work.toString())))
            .withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              spooled.add(file);
              names.add(name);
              return new IngestService.Result("source-1", name, List.of());
            });
    http.start();
    try {
      for (String name : List.of("../../x", "..%2F..%2Fy", "%2e%2e%2f%2e%2e%2fz", "..%5C..%5Cw")) {
        HttpResponse<String> response =
            client()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + http.port() + "/clips?name=" + name))
                        .header("Content-Type", "video/mp4")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1}))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(201);
      }
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    assertThat(names).containsExactly("x", "y", "z", "w");
    assertThat(spooled)
        .allSatisfy(
            f -> assertThat(f.toAbsolutePath().getParent()).isEqualTo(work.toAbsolutePath()));
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.filter(Files::isRegularFile))
          .as("nothing is left anywhere, and no x, y, z or w was made")
          .isEmpty();
    }
  }

  /**
   * A failure inside ingest (Kafka down, a bug) answers 503 with a fixed message: no exception
   * text, trace or path.
   */
  @Test
  void errorBodiesCarryNoStackTraceOrServerPath() throws Exception {
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              throw new IllegalStateException(
                  "broker at /var/lib/kafka refused " + file.toAbsolutePath());
            });
    http.start();
    try {
      HttpResponse<String> response =
          client()
              .send(
                  post("http://127.0.0.1:" + http.port() + "/clips"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.body())
          .isEqualTo("{\"error\":\"the clip could not be published; try again later\"}");
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    Path upload = Path.of("/srv/spool/upload-123.media");
    assertThat(
            RequestChecks.withoutServerPaths(
                "'upload-123.media' could not be decoded: cannot open /srv/spool/upload-123.media",
                upload,
                "call.mp4"))
        .isEqualTo("'call.mp4' could not be decoded: cannot open call.mp4");
  }

  /**
   * {@code ?rule=} as users type it reaches ingest as the schema's symbol; no parameter leaves the
   * default (null).
   */
  @Test
  void aRuleParameterReachesIngestAsTheRuleSymbolWhateverItsCaseOrDashes() throws Exception {
    List<FusionRule> rules = new ArrayList<>();
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http =
        new IngestHttpServer(
            config,
            (file, name, rule, channels) -> {
              rules.add(rule);
              return new IngestService.Result("source-1", name, List.of());
            });
    http.start();
    try {
      for (String query :
          List.of(
              "?rule=rule-based",
              "?rule=Rule_Based",
              "?rule=RULE-BASED&name=a.mp4",
              "?name=a.mp4&rule=%20rule-based%20",
              "?rule=weighted-average",
              "",
              "?name=a.mp4")) {
        HttpResponse<String> response =
            client()
                .send(
                    post("http://127.0.0.1:" + http.port() + "/clips" + query),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(query).isEqualTo(201);
      }
      HttpResponse<String> unknown =
          client()
              .send(
                  post("http://127.0.0.1:" + http.port() + "/clips?rule=median"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(unknown.statusCode()).isEqualTo(400);
      assertThat(unknown.body()).contains("unknown fusion rule 'median'").contains("RULE_BASED");
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    FusionRule rb = FusionRule.RULE_BASED;
    assertThat(rules).containsExactly(rb, rb, rb, rb, FusionRule.WEIGHTED_AVERAGE, null, null);
  }

  /**
   * {@code ?sourceId=} reaches ingest as given; a bad one is a 400 naming what is accepted; none
   * leaves it null.
   */
  @Test
  void aSourceIdParameterReachesIngestAndABadOneIsRefused() throws Exception {
    List<String> ids = new ArrayList<>();
    Ingestor ingestor =
        bySourceId(
            (name, sourceId) -> {
              ids.add(sourceId);
              return new IngestService.Result(
                  sourceId == null ? "generated" : sourceId, name, List.of());
            });
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, ingestor);
    http.start();
    String clips = "http://127.0.0.1:" + http.port() + "/clips";
    try {
      HttpResponse<String> chosen =
          client()
              .send(
                  post(clips + "?sourceId=call-2024.06_01"), HttpResponse.BodyHandlers.ofString());
      assertThat(chosen.statusCode()).isEqualTo(201);
      assertThat(chosen.body()).contains("\"sourceId\":\"call-2024.06_01\"");
      assertThat(client().send(post(clips), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(201);
      for (String bad : List.of("bad%20id", "", "-leading-dash", "a/b", "x".repeat(65))) {
        HttpResponse<String> refused =
            client().send(post(clips + "?sourceId=" + bad), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(bad).isEqualTo(400);
        assertThat(refused.body()).as(bad).contains("is not accepted; use 1 to 64 letters, digits");
      }
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    assertThat(ids).containsExactly("call-2024.06_01", null);
  }

  /**
   * An upload is one source: a second upload under a source id this instance used is a 409 (it
   * would mix two timelines and lose its summary); an upload that failed gives its id back, and a
   * retry with the first attempt's Idempotency-Key is answered from the store, not refused.
   */
  @Test
  void aSourceIdIsOneUploadsAndAFailedUploadGivesItBack() throws Exception {
    List<String> ingested = new ArrayList<>();
    CountDownLatch clientGone = new CountDownLatch(1);
    Ingestor ingestor =
        bySourceId(
            (name, sourceId) -> {
              ingested.add(sourceId + " " + name);
              if ("gone.mp4".equals(name)) { // ingested whole after its client went away
                try {
                  clientGone.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              if ("broken.mp4".equals(name)) {
                throw new IngestException("'broken.mp4' could not be decoded");
              }
              if ("cut.mp4".equals(name)) { // a truncated file: its first clip was published
                throw new PartlyIngestedException(
                    new IngestException("'cut.mp4' ends at 4.0 s of the 16.0 s it declares"),
                    new IngestService.Result(sourceId, name, List.of(firstClip(sourceId))));
              }
              return new IngestService.Result(sourceId, name, List.of());
            });
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, ingestor);
    http.start();
    String clips = "http://127.0.0.1:" + http.port() + "/clips";
    try {
      assertThat(status(post(clips + "?sourceId=call-7&name=first.mp4"))).isEqualTo(201);
      HttpResponse<String> again =
          client()
              .send(
                  post(clips + "?sourceId=call-7&name=second.mp4"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(again.body())
          .contains("sourceId 'call-7' is already used on this instance", "Idempotency-Key");

      assertThat(status(post(clips + "?sourceId=call-8&name=broken.mp4"))).isEqualTo(400);
      assertThat(status(post(clips + "?sourceId=call-8&name=fixed.mp4"))).isEqualTo(201);

      HttpRequest keyed =
          HttpRequest.newBuilder(URI.create(clips + "?sourceId=call-9&name=keyed.mp4"))
              .header("Content-Type", "video/mp4")
              .header("Idempotency-Key", "k-1")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
              .build();
      assertThat(status(keyed)).isEqualTo(201);
      HttpResponse<String> retried = client().send(keyed, HttpResponse.BodyHandlers.ofString());
      assertThat(retried.statusCode()).isEqualTo(201);
      assertThat(retried.headers().firstValue("Idempotent-Replayed")).hasValue("true");

      // a failure after clips were published keeps the id, even for a retry with the same key:
      // resending would publish the first segments twice and lose the rest from the summary
      HttpRequest cut =
          HttpRequest.newBuilder(URI.create(clips + "?sourceId=call-10&name=cut.mp4"))
              .header("Content-Type", "video/mp4")
              .header("Idempotency-Key", "k-2")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
              .build();
      assertThat(status(cut)).isEqualTo(400);
      HttpResponse<String> cutAgain = client().send(cut, HttpResponse.BodyHandlers.ofString());
      assertThat(cutAgain.statusCode()).isEqualTo(409);
      assertThat(cutAgain.body()).contains("failed after publishing clips");
      assertThat(status(post(clips + "?sourceId=call-10&name=whole.mp4"))).isEqualTo(409);
      // the same without a chosen id: the id derived from the key is kept too (the retry was
      // published again under it, and fusion's summary of that source kept only the failure)
      HttpRequest cutKeyed =
          HttpRequest.newBuilder(URI.create(clips + "?name=cut.mp4"))
              .header("Content-Type", "video/mp4")
              .header("Idempotency-Key", "k-3")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
              .build();
      assertThat(status(cutKeyed)).isEqualTo(400);
      HttpResponse<String> cutKeyedAgain =
          client().send(cutKeyed, HttpResponse.BodyHandlers.ofString());
      assertThat(cutKeyedAgain.statusCode()).as(cutKeyedAgain.body()).isEqualTo(409);
      assertThat(cutKeyedAgain.body())
          .contains("Idempotency-Key's upload failed after publishing clips", "another");
      HttpRequest brokenKeyed =
          HttpRequest.newBuilder(URI.create(clips + "?name=broken.mp4"))
              .header("Content-Type", "video/mp4")
              .header("Idempotency-Key", "k-4")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
              .build();
      assertThat(status(brokenKeyed)).isEqualTo(400);
      assertThat(status(brokenKeyed)).as("nothing published: a retry runs again").isEqualTo(400);

      // a client gone (reset) after sending its whole body: the upload is ingested all the same,
      // so its id stays used although its 201 could not be written
      try (Socket socket = new Socket("127.0.0.1", http.port())) {
        socket
            .getOutputStream()
            .write(
                ("POST /clips?sourceId=call-11&name=gone.mp4 HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: video/mp4\r\nContent-Length: 4\r\n\r\n\0\0\0\030")
                    .getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        socket.setSoLinger(true, 0);
      }
      clientGone.countDown();
      assertThat(status(post(clips + "?sourceId=call-11&name=again.mp4"))).isEqualTo(409);
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    assertThat(ingested)
        .filteredOn(line -> line.startsWith("call-"))
        .containsExactly(
            "call-7 first.mp4",
            "call-8 broken.mp4",
            "call-8 fixed.mp4",
            "call-9 keyed.mp4",
            "call-10 cut.mp4",
            "call-11 gone.mp4");
    assertThat(ingested)
        .filteredOn(line -> !line.startsWith("call-"))
        .as("keyed uploads without a chosen id: cut.mp4 once, broken.mp4 and its retry")
        .extracting(line -> line.substring(line.indexOf(' ') + 1))
        .containsExactly("cut.mp4", "broken.mp4", "broken.mp4");
  }

  /**
   * After a crash no instance remembers an Idempotency-Key, so a retry is ingested again: the
   * ingestor is given the same retry key as the first attempt, even with another name
   * (IngestService then names the clips as before and fusion drops them as duplicates); without a
   * key, none.
   */
  @Test
  void aRetryAfterARestartCarriesTheFirstAttemptsRetryKey() throws Exception {
    List<String> retryKeys = new ArrayList<>();
    Ingestor ingestor =
        new Ingestor() {
          @Override
          public IngestService.Result ingest(
              Path file, String sourceName, FusionRule rule, ChannelSelection channels) {
            throw new AssertionError("the retry key is passed on");
          }

          @Override
          public IngestService.Result ingest(
              Path file,
              String sourceName,
              FusionRule rule,
              ChannelSelection channels,
              Integer audioStream,
              String sourceId,
              SourceKind kind,
              String retryKey) {
            retryKeys.add(retryKey);
            return new IngestService.Result(sourceId, sourceName, List.of());
          }
        };
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    for (int run = 0; run < 2; run++) { // the second server knows nothing of the first's keys
      IngestHttpServer http = new IngestHttpServer(config, ingestor);
      http.start();
      try {
        HttpRequest keyed =
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + http.port()
                            + "/clips?sourceId=call-9&name=a"
                            + run
                            + ".mp4"))
                .header("Content-Type", "video/mp4")
                .header("Idempotency-Key", "k-1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
                .build();
        assertThat(status(keyed)).isEqualTo(201);
        if (run == 1) {
          assertThat(status(post("http://127.0.0.1:" + http.port() + "/clips?name=b.mp4")))
              .isEqualTo(201);
        }
      } finally {
        http.close(Duration.ofSeconds(5));
      }
    }
    assertThat(retryKeys).hasSize(3);
    assertThat(retryKeys.get(0)).isNotNull().contains("k-1").isEqualTo(retryKeys.get(1));
    assertThat(retryKeys.get(2)).isNull();
  }

  private static IngestService.Clip firstClip(String sourceId) {
    return new IngestService.Clip(sourceId + "-0", 0, 0, 4_000, List.of(), null);
  }

  @Test
  void aRuleTheFusionCannotRunIsRefusedAtTheDoor() throws Exception {
    List<String> ingested = new ArrayList<>();
    Ingestor ingestor =
        bySourceId(
            (name, sourceId) -> {
              ingested.add(name);
              return new IngestService.Result(sourceId, name, List.of());
            });
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, ingestor);
    http.refuseRule(FusionRule.LOGISTIC_REGRESSION, "no model");
    http.start();
    String clips = "http://127.0.0.1:" + http.port() + "/clips";
    try {
      HttpResponse<String> refused =
          client()
              .send(
                  post(clips + "?name=lr.mp4&rule=LOGISTIC_REGRESSION"),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.body()).contains("rule LOGISTIC_REGRESSION cannot run here: no model");
      assertThat(status(post(clips + "?name=avg.mp4&rule=average"))).isEqualTo(201);
    } finally {
      http.close(Duration.ofSeconds(5));
    }
    assertThat(ingested).containsExactly("avg.mp4");
  }

  /** An ingestor answering from the upload's name and source id, which it must be given. */
  private static Ingestor bySourceId(BiFunction<String, String, IngestService.Result> answer) {
    return new Ingestor() {
      @Override
      public IngestService.Result ingest(
          Path file, String name, FusionRule rule, ChannelSelection channels) {
        throw new AssertionError("the source id must be passed on");
      }

      @Override
      public IngestService.Result ingest(
          Path file,
          String name,
          FusionRule rule,
          ChannelSelection channels,
          Integer audioStream,
          String sourceId,
          SourceKind kind,
          String retryKey) {
        // as IngestService names a keyed upload without a chosen id
        return answer.apply(
            name,
            sourceId == null && retryKey != null
                ? IngestService.ids(null, retryKey).sourceId()
                : sourceId);
      }
    };
  }

  private static int status(HttpRequest request) throws Exception {
    return client().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  private static HttpRequest post(String url) {
    return HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "video/mp4")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24}))
        .build();
  }
}
