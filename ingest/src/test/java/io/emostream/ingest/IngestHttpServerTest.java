package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.emostream.kafka.Env;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class IngestHttpServerTest {

  @Test
  void displayNamesNeverCarryDirectories() {
    assertThat(IngestHttpServer.displayName("../../etc/passwd")).isEqualTo("passwd");
    assertThat(IngestHttpServer.displayName("C:\\calls\\a.mp4")).isEqualTo("a.mp4");
    assertThat(IngestHttpServer.displayName("..")).isEqualTo("upload");
    assertThat(IngestHttpServer.displayName(null)).isEqualTo("upload");
  }

  @Test
  void acceptsMediaContentTypesOnly() {
    assertThat(IngestHttpServer.acceptedContentType("video/mp4")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("audio/wav; codecs=1")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("application/octet-stream")).isTrue();
    assertThat(IngestHttpServer.acceptedContentType("text/html")).isFalse();
    assertThat(IngestHttpServer.acceptedContentType(null)).isFalse();
  }

  /** SIGTERM path: close() refuses new connections at once but answers the upload in flight before returning. */
  @Test
  void closeFinishesTheUploadInFlightAndRefusesNewOnes() throws Exception {
    CountDownLatch ingesting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Ingestor slow = (file, name, rule, channels) -> {
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

    CompletableFuture<HttpResponse<String>> upload = client().sendAsync(post(url), HttpResponse.BodyHandlers.ofString());
    assertThat(ingesting.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> http.close(Duration.ofSeconds(20)));

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThatThrownBy(() -> client().send(post(url), HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(IOException.class));
    assertThat(http.isReady()).isFalse();
    assertThat(closed).isNotDone();

    release.countDown();
    HttpResponse<String> answered = upload.get(20, TimeUnit.SECONDS);
    assertThat(answered.statusCode()).isEqualTo(201);
    assertThat(answered.body()).contains("\"sourceId\":\"source-1\"").contains("\"sourceName\":\"call.mp4\"");
    closed.get(20, TimeUnit.SECONDS);
    assertThat(meters.get("emostream.ingest.http.requests").tag("status", "201").counter().count()).isEqualTo(1);
  }

  @Test
  void closeWithNothingInFlightDoesNotWaitOutTheGracePeriod() throws Exception {
    IngestConfig config = IngestConfig.fromEnv(new Env(Map.of())).withHttp("127.0.0.1", 0);
    IngestHttpServer http = new IngestHttpServer(config, (file, name, rule, channels) -> {
      throw new AssertionError("no upload in this test");
    });
    http.start();
    long start = System.nanoTime();
    http.close(Duration.ofSeconds(30));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(http.isLive()).isFalse();
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  private static HttpRequest post(String url) {
    return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "video/mp4")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 24})).build();
  }
}
