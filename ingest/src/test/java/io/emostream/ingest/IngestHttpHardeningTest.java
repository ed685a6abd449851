package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.Env;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload endpoint against clients that stall, trickle or give up, over real sockets (issue 12,
 * item 3). The ingestor is a counter, so what is measured is the HTTP front itself; durations are
 * measured, never slept.
 */
class IngestHttpHardeningTest {

  private static final byte[] STALLED_HEAD =
      "POST /clips HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path workDir;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicInteger ingested = new AtomicInteger();
  private final List<Socket> sockets = new ArrayList<>();
  private final ScheduledExecutorService pacer = Executors.newScheduledThreadPool(2);
  private IngestHttpServer http;

  /** Counts each ingest and answers a fresh source id, as the real service does. */
  private final Ingestor counting =
      (file, name, rule, channels) -> {
        ingested.incrementAndGet();
        return new IngestService.Result(UUID.randomUUID().toString(), name, List.of());
      };

  @AfterEach
  void stop() throws IOException {
    pacer.shutdownNow();
    for (Socket socket : sockets) {
      socket.close();
    }
    if (http != null) {
      http.close(Duration.ofSeconds(5));
    }
  }

  private String start(Map<String, String> vars, Ingestor ingestor) throws IOException {
    Map<String, String> env = new HashMap<>(vars);
    env.put("EMOSTREAM_WORK_DIR", workDir.toString());
    http =
        new IngestHttpServer(
            IngestConfig.fromEnv(new Env(env)).withHttp("127.0.0.1", 0), ingestor, meters);
    http.start();
    return "http://127.0.0.1:" + http.port();
  }

  /**
   * The case: 50 connections that never finish their request head and 8 uploads trickling
   * at 1 KB/s are held open while a normal upload is answered within 2 s and /health answers. (With
   * the JDK server and its 4 threads, four stalled connections blocked everything for minutes.)
   */
  @Test
  void fiftyStalledAndEightSlowClientsDoNotHoldUpANormalUploadOrHealth() throws Exception {
    String base = start(Map.of("EMOSTREAM_UPLOAD_MIN_RATE", "512"), counting);
    for (int i = 0; i < 50; i++) {
      connect().getOutputStream().write(STALLED_HEAD);
    }
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Socket socket = connect();
      socket.getOutputStream().write(head("/clips?name=slow-" + i + ".mp4", 1_000_000, null));
      slow.add(socket);
      pacer.scheduleAtFixedRate(() -> write(socket, new byte[1024]), 0, 1, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> http.openConnections() == 58);

    long start = System.nanoTime();
    HttpResponse<String> upload =
        client()
            .send(
                post(base + "/clips?name=normal.mp4", new byte[64 * 1024], null),
                HttpResponse.BodyHandlers.ofString());
    Duration uploadTook = Duration.ofNanos(System.nanoTime() - start);
    start = System.nanoTime();
    HttpResponse<String> health =
        client()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    Duration healthTook = Duration.ofNanos(System.nanoTime() - start);

    System.out.printf(
        "with 50 stalled and 8 slow clients: upload answered in %d ms, /health in %d ms%n",
        uploadTook.toMillis(), healthTook.toMillis());
    assertThat(upload.statusCode()).isEqualTo(201);
    assertThat(uploadTook).isLessThan(Duration.ofSeconds(2));
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
    assertThat(healthTook).isLessThan(Duration.ofSeconds(2));
    assertThat(ingested)
        .as("only the normal upload reached ingest: slow bodies are not complete")
        .hasValue(1);
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "header-timeout"))
        .as("the stalled clients were still held (header timeout 10 s)")
        .isZero();
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "min-rate")).isZero();
  }

  /**
   * A head sent a byte at a time, each within the idle timeout, is still cut off at the head
   * timeout.
   */
  @Test
  void aClientThatNeverFinishesItsRequestHeadIsCutOffAtTheHeaderTimeout() throws Exception {
    start(
        Map.of("EMOSTREAM_HTTP_HEADER_TIMEOUT", "1s", "EMOSTREAM_HTTP_IDLE_TIMEOUT", "30s"),
        counting);
    Socket stalled = connect();
    stalled.getOutputStream().write(STALLED_HEAD);
    Socket trickling = connect();
    AtomicInteger sent = new AtomicInteger();
    pacer.scheduleAtFixedRate(
        () ->
            write(
                trickling, new byte[] {STALLED_HEAD[sent.getAndIncrement() % STALLED_HEAD.length]}),
        0,
        200,
        TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    assertThat(readUntilClosed(stalled)).isEmpty();
    Duration stalledFor = Duration.ofNanos(System.nanoTime() - start);
    assertThat(readUntilClosed(trickling)).isEmpty();
    Duration trickledFor = Duration.ofNanos(System.nanoTime() - start);

    System.out.printf(
        "head timeout 1 s: stalled client closed after %d ms, trickling one after %d ms%n",
        stalledFor.toMillis(), trickledFor.toMillis());
    assertThat(stalledFor).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
    assertThat(trickledFor).isLessThan(Duration.ofSeconds(5));
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "header-timeout")).isEqualTo(2);
    assertThat(ingested).hasValue(0);
  }

  /** A keep-alive connection gets the head timeout again after each answer. */
  @Test
  void theHeadTimeoutRestartsAfterEachAnswerOnAKeptAliveConnection() throws Exception {
    start(Map.of("EMOSTREAM_HTTP_HEADER_TIMEOUT", "1s"), counting);
    Socket socket = connect();
    socket
        .getOutputStream()
        .write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    long start = System.nanoTime();
    String answered = readUntilClosed(socket);
    assertThat(answered).startsWith("HTTP/1.1 200").endsWith("{\"status\":\"UP\"}");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
  }

  @Test
  void aBodyThatStopsArrivingIsAnswered408AndNothingIsIngested() throws Exception {
    start(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "1s"), counting);
    Socket socket = connect();
    socket.getOutputStream().write(head("/clips?name=stops.mp4", 100_000, null));
    socket.getOutputStream().write(new byte[5_000]);
    long start = System.nanoTime();
    String answer = readUntilClosed(socket);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .contains("EMOSTREAM_HTTP_IDLE_TIMEOUT")
        .contains("nothing was published");
    assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
    assertThat(ingested).hasValue(0);
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "idle-timeout")).isEqualTo(1);
    assertNoSpoolLeft();
  }

  @Test
  void anUploadSlowerThanTheMinimumRateIsCutOff() throws Exception {
    start(
        Map.of("EMOSTREAM_UPLOAD_MIN_RATE", "4096", "EMOSTREAM_UPLOAD_MIN_RATE_AFTER", "1s"),
        counting);
    Socket socket = connect();
    socket.getOutputStream().write(head("/clips?name=slow.mp4", 1_000_000, null));
    pacer.scheduleAtFixedRate(
        () -> write(socket, new byte[1024]), 0, 500, TimeUnit.MILLISECONDS); // 2 KB/s
    String answer = readUntilClosed(socket);

    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .contains("below the minimum of 4096 bytes/s")
        .contains("EMOSTREAM_UPLOAD_MIN_RATE");
    assertThat(ingested).hasValue(0);
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "min-rate")).isEqualTo(1);
    assertNoSpoolLeft();
  }

  @Test
  void theWholeBodyMustArriveWithinTheUploadTimeout() throws Exception {
    start(Map.of("EMOSTREAM_UPLOAD_TIMEOUT", "1s", "EMOSTREAM_UPLOAD_MIN_RATE", "0"), counting);
    Socket socket = connect();
    socket.getOutputStream().write(head("/clips?name=long.mp4", 1_000_000, null));
    pacer.scheduleAtFixedRate(() -> write(socket, new byte[1024]), 0, 100, TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    String answer = readUntilClosed(socket);

    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .contains("longer than PT1S (EMOSTREAM_UPLOAD_TIMEOUT)");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
    assertThat(ingested).hasValue(0);
    assertNoSpoolLeft();
  }

  /** Without a Content-Length the limit is counted as the body arrives. */
  @Test
  void aChunkedUploadOverTheSizeLimitIs413AndNothingIsIngested() throws Exception {
    start(Map.of("EMOSTREAM_MAX_UPLOAD_BYTES", "10000"), counting);
    Socket socket = connect();
    socket
        .getOutputStream()
        .write(
            ("POST /clips?name=big.mp4 HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < 3; i++) {
      socket
          .getOutputStream()
          .write("1000\r\n".getBytes(StandardCharsets.US_ASCII)); // 4096 bytes each
      socket.getOutputStream().write(new byte[4096]);
      socket.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(readUntilClosed(socket))
        .startsWith("HTTP/1.1 413")
        .contains("upload larger than the limit of 10000 bytes");
    assertThat(ingested).hasValue(0);
    assertNoSpoolLeft();
  }

  /**
   * A client that gives up halfway through its body: nothing is ingested, nothing is left behind.
   */
  @Test
  void anUploadAbandonedMidBodyPublishesNothing() throws Exception {
    String base = start(Map.of(), counting);
    Socket socket = connect();
    socket.getOutputStream().write(head("/clips?name=gone.mp4", 100_000, null));
    socket.getOutputStream().write(new byte[10_000]);
    socket.close();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> counter("emostream.ingest.http.requests", "status", "400") == 1);
    assertThat(ingested).hasValue(0);
    assertNoSpoolLeft();
    assertThat(
            client()
                .send(
                    post(base + "/clips?name=next.mp4", new byte[10], null),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(201);
  }

  /** The analysis can take minutes with nothing on the wire: that silence is not an idle client. */
  @Test
  void aLongIngestIsNotCutOffByTheIdleTimeout() throws Exception {
    String base =
        start(
            Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "1s"),
            (file, name, rule, channels) -> {
              try {
                // Holds the ingest for three idle timeouts (nobody counts this latch down).
                assertThat(new CountDownLatch(1).await(3_000, TimeUnit.MILLISECONDS)).isFalse();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return new IngestService.Result("source-1", name, List.of());
            });
    HttpResponse<String> response =
        client()
            .send(
                post(base + "/clips?name=long.mp4", new byte[10], null),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body()).contains("\"sourceId\":\"source-1\"");
  }

  @Test
  void atTheConnectionLimitNewConnectionsWaitUntilOneCloses() throws Exception {
    String base = start(Map.of("EMOSTREAM_HTTP_MAX_CONNECTIONS", "2"), counting);
    Socket first = connect();
    first.getOutputStream().write(STALLED_HEAD);
    connect().getOutputStream().write(STALLED_HEAD);
    CompletableFuture<HttpResponse<String>> health =
        client()
            .sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !health.isDone());
    first.close();
    assertThat(health.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyIsIngestedOnceAndAnsweredTheSame() throws Exception {
    String base = start(Map.of(), counting);
    String url = base + "/clips?name=call.mp4&rule=average";
    HttpResponse<String> first =
        client().send(post(url, new byte[100], "key-1"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> retry =
        client().send(post(url, new byte[100], "key-1"), HttpResponse.BodyHandlers.ofString());
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(ingested).hasValue(1);

    HttpResponse<String> other =
        client().send(post(url, new byte[100], "key-2"), HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(201);
    assertThat(other.body()).isNotEqualTo(first.body());
    HttpResponse<String> noKey =
        client().send(post(url, new byte[100], null), HttpResponse.BodyHandlers.ofString());
    assertThat(noKey.statusCode()).isEqualTo(201);
    assertThat(ingested).hasValue(3);

    HttpResponse<String> reused =
        client()
            .send(
                post(base + "/clips?name=other.mp4", new byte[100], "key-1"),
                HttpResponse.BodyHandlers.ofString());
    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.body())
        .contains("Idempotency-Key was already used for an upload with other parameters");
    HttpResponse<String> bad =
        client()
            .send(post(url, new byte[1], "k".repeat(256)), HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("Idempotency-Key must be 1 to 255 printable ASCII characters");
    assertThat(ingested).hasValue(3);
  }

  /**
   * The first attempt is still being analysed when its client retries: the retry waits and gets the
   * same answer.
   */
  @Test
  void aRetryWhileTheFirstAttemptIsStillIngestingWaitsForItsAnswer() throws Exception {
    CountDownLatch ingesting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    String base =
        start(
            Map.of(),
            (file, name, rule, channels) -> {
              ingested.incrementAndGet();
              ingesting.countDown();
              try {
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return new IngestService.Result(UUID.randomUUID().toString(), name, List.of());
            });
    String url = base + "/clips?name=call.mp4";
    CompletableFuture<HttpResponse<String>> first =
        client().sendAsync(post(url, new byte[100], "k"), HttpResponse.BodyHandlers.ofString());
    assertThat(ingesting.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<HttpResponse<String>> retry =
        client().sendAsync(post(url, new byte[100], "k"), HttpResponse.BodyHandlers.ofString());
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !retry.isDone());
    release.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    assertThat(retry.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    assertThat(retry.get().body()).isEqualTo(first.get().body());
    assertThat(ingested).hasValue(1);
  }

  /**
   * An attempt that never delivered its whole body does not use up its key: the retry is ingested,
   * once.
   */
  @Test
  void anAttemptCutOffMidBodyLeavesItsKeyToTheRetry() throws Exception {
    String base = start(Map.of(), counting);
    Socket socket = connect();
    socket.getOutputStream().write(head("/clips?name=call.mp4", 100, "k"));
    socket.getOutputStream().write(new byte[40]);
    socket.close();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> counter("emostream.ingest.http.requests", "status", "400") == 1);
    HttpResponse<String> retry =
        client()
            .send(
                post(base + "/clips?name=call.mp4", new byte[100], "k"),
                HttpResponse.BodyHandlers.ofString());
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(ingested).hasValue(1);
  }

  @Test
  void answersJettyMakesBeforeAnyRouteAreJsonToo() throws Exception {
    start(Map.of(), counting);
    Socket socket = connect();
    write(
        socket,
        ("GET /sources/" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    String answer = readUntilClosed(socket);
    assertThat(answer)
        .startsWith("HTTP/1.1 414")
        .contains("Content-Type: application/json")
        .contains("{\"error\":")
        .doesNotContain("<html");
    assertThat(ingested.get()).isZero();
  }

  @Test
  void theLimitsComeFromTheEnvironmentAndBadValuesNameTheVariable() {
    IngestConfig.HttpLimits defaults = IngestConfig.fromEnv(new Env(Map.of())).http();
    assertThat(defaults.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.uploadTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(defaults.minUploadRate()).isEqualTo(4096);
    assertThat(defaults.maxConnections()).isEqualTo(256);
    assertThat(defaults.ingestThreads()).isEqualTo(4);
    assertThat(defaults.idempotencyTtl()).isEqualTo(Duration.ofDays(1));
    Assertions.assertThatThrownBy(
            () -> IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_HTTP_HEADER_TIMEOUT", "0"))))
        .hasMessageContaining("EMOSTREAM_HTTP_HEADER_TIMEOUT");
    // a bare number is milliseconds: 5 is refused, not taken as 5 ms (every request cut off)
    Assertions.assertThatThrownBy(
            () -> IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "5"))))
        .hasMessageContaining("EMOSTREAM_HTTP_IDLE_TIMEOUT is 5 ms; it must be at least 1s");
    Assertions.assertThatThrownBy(
            () -> IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_HTTP_MAX_CONNECTIONS", "none"))))
        .hasMessageContaining("EMOSTREAM_HTTP_MAX_CONNECTIONS");
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", http.port());
    socket.setSoTimeout(20_000);
    sockets.add(socket);
    return socket;
  }

  private static byte[] head(String path, long contentLength, String idempotencyKey) {
    return ("POST "
            + path
            + " HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Length: "
            + contentLength
            + "\r\n"
            + (idempotencyKey == null ? "" : "Idempotency-Key: " + idempotencyKey + "\r\n")
            + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static void write(Socket socket, byte[] bytes) {
    try {
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("cut off", e); // ends the scheduled writes
    }
  }

  /** Everything the server sends until it closes the connection (a read timeout fails the test). */
  static String readUntilClosed(Socket socket) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        answer.write(buffer, 0, n);
      }
    } catch (SocketException e) {
      // a reset after the answer is also a close
    }
    return answer.toString(StandardCharsets.UTF_8);
  }

  private double counter(String name, String tag, String value) {
    Counter counter = meters.find(name).tag(tag, value).counter();
    return counter == null ? 0 : counter.count();
  }

  private void assertNoSpoolLeft() throws IOException {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              try (Stream<Path> left = Files.list(workDir)) {
                assertThat(left).as("the spooled part is deleted").isEmpty();
              }
            });
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  private static HttpRequest post(String url, byte[] body, String idempotencyKey) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "video/mp4")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (idempotencyKey != null) {
      request.header(IngestHttpServer.IDEMPOTENCY_KEY, idempotencyKey);
    }
    return request.build();
  }
}
