package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.SourceKind;
import io.emostream.testkit.GatedStream;
import io.emostream.testkit.StreamedMedia;
import io.emostream.testkit.StreamedMedia.Container;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed uploads over real sockets (issue 13 item 2), without a broker: the ingestor demuxes with
 * the real {@link VideoDemuxer} and keeps the clips instead of publishing them. A Matroska body
 * sent with chunked encoding is demuxed while it arrives (clips come out while the client holds the
 * rest back); a plain MP4 is still spooled; the size limit and a stalled client end a streamed body
 * with a clear answer that names the clips published before it, and no clip cut short.
 */
class IngestStreamedUploadTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path workDir;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Socket> sockets = new ArrayList<>();
  private final List<DemuxedClip> demuxed = new CopyOnWriteArrayList<>();
  private IngestHttpServer http;
  private final CountDownLatch busy = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    if (http != null) {
      http.close(Duration.ofSeconds(5));
    }
  }

  /** Demuxes as {@link IngestService} does and keeps each clip where it would publish it. */
  private final class KeepingIngestor implements Ingestor {
    private final VideoDemuxer demuxer;

    KeepingIngestor(IngestConfig config) {
      this.demuxer = new VideoDemuxer(config);
    }

    @Override
    public IngestService.Result ingest(
        Path file, String sourceName, FusionRule rule, ChannelSelection channels) {
      return keep(sourceName, sink -> demuxer.demux(file, channels, null, sink));
    }

    @Override
    public IngestService.Result ingest(
        MediaStream stream,
        String sourceName,
        FusionRule rule,
        ChannelSelection channels,
        Integer audioStream,
        String sourceId,
        SourceKind kind,
        String retryKey) {
      return keep(
          sourceName, sink -> demuxer.demux(stream, sourceName, channels, audioStream, sink));
    }

    private IngestService.Result keep(String name, Consumer<Consumer<DemuxedClip>> demux) {
      String sourceId = UUID.randomUUID().toString();
      List<IngestService.Clip> clips = new ArrayList<>();
      try {
        demux.accept(
            clip -> {
              if (name.equals("busy.mkv")) { // an ingest thread kept busy on the server's side
                busy.countDown();
                try {
                  assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              if (name.equals("kafka-down.mkv") && clip.index() == 1) { // Kafka stops taking
                throw new PublishException(
                    new org.apache.kafka.common.errors.TimeoutException(
                        "Topic emostream.clips.manifest not present in metadata after 20000 ms."));
              }
              demuxed.add(clip);
              clips.add(
                  new IngestService.Clip(
                      IngestService.clipId(sourceId, clip.index()),
                      clip.index(),
                      clip.startMs(),
                      clip.endMs(),
                      List.of(Modality.AUDIO, Modality.VIDEO),
                      null));
            });
      } catch (IngestException e) {
        if (clips.isEmpty()) {
          throw e;
        }
        throw new PartlyIngestedException(
            e, new IngestService.Result(sourceId, name, List.copyOf(clips)));
      }
      return new IngestService.Result(sourceId, name, List.copyOf(clips));
    }
  }

  private String start(Map<String, String> vars) throws IOException {
    Map<String, String> env = new HashMap<>(vars);
    env.put("EMOSTREAM_WORK_DIR", workDir.toString());
    env.put("EMOSTREAM_SEGMENT_SECONDS", "1");
    IngestConfig config = IngestConfig.fromEnv(new Env(env)).withHttp("127.0.0.1", 0);
    http = new IngestHttpServer(config, new KeepingIngestor(config), meters);
    http.start();
    return "http://127.0.0.1:" + http.port();
  }

  @Test
  void aChunkedMatroskaBodyIsDemuxedWhileItArrives() throws Exception {
    String base = start(Map.of());
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MATROSKA);
    GatedStream body = new GatedStream(media, media.length * 3 / 4, 8 * 1024);

    CompletableFuture<HttpResponse<String>> answer =
        client()
            .sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/clips?name=call.mkv"))
                    .header("Content-Type", "video/x-matroska")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(body.waitingAtGate()).isTrue();
              assertThat(demuxed).isNotEmpty();
            });
    assertThat(answer).isNotDone();
    try (Stream<Path> spooled = Files.list(workDir)) {
      assertThat(spooled).as("nothing spooled").isEmpty();
    }
    body.open();

    HttpResponse<String> created = answer.get();
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode json = JSON.readTree(created.body());
    assertThat(json.get("streamed").asBoolean()).isTrue();
    assertThat(json.get("clips").size()).isBetween(4, 5).isEqualTo(demuxed.size());
  }

  /**
   * A streamed upload sent at full speed that waits for an ingest thread (all busy) is not cut off
   * as too slow or idle: the minimum rate is over the time its reads waited for the client, and a
   * silence is the client's only while a read waits for it. The queue's wait counted, and such
   * uploads were answered 408 ("it arrived at 226 bytes/s"; queued over the idle timeout, "no data
   * arrived for PT30S") and lost. The busy upload's own pause, server-side, is not idleness either.
   */
  @Test
  void aStreamedBodyQueuedBehindBusyIngestThreadsIsNotTakenForASlowClient() throws Exception {
    String base =
        start(
            Map.of(
                "EMOSTREAM_HTTP_INGEST_THREADS", "1",
                "EMOSTREAM_UPLOAD_MIN_RATE", "50000",
                "EMOSTREAM_UPLOAD_MIN_RATE_AFTER", "1s",
                "EMOSTREAM_HTTP_IDLE_TIMEOUT", "2s"));
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MATROSKA);
    CompletableFuture<HttpResponse<String>> first =
        upload(base, "busy.mkv", () -> new ByteArrayInputStream(media));
    assertThat(busy.await(60, TimeUnit.SECONDS)).isTrue(); // the one ingest thread is busy

    CompletableFuture<HttpResponse<String>> second =
        upload(base, "queued.mkv", () -> new ByteArrayInputStream(media));
    await()
        .pollDelay(Duration.ofSeconds(3)) // queued for 3 minimum-rate windows
        .atMost(Duration.ofSeconds(10))
        .until(() -> !second.isDone());
    release.countDown();

    assertThat(first.get().statusCode()).as(first.get().body()).isEqualTo(201);
    HttpResponse<String> queued = second.get();
    assertThat(queued.statusCode()).as(queued.body()).isEqualTo(201);
    assertThat(JSON.readTree(queued.body()).get("clips").size()).isBetween(4, 5);
  }

  private CompletableFuture<HttpResponse<String>> upload(
      String base, String name, Supplier<InputStream> body) {
    return client()
        .sendAsync(
            HttpRequest.newBuilder(URI.create(base + "/clips?name=" + name))
                .header("Content-Type", "video/x-matroska")
                .POST(HttpRequest.BodyPublishers.ofInputStream(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPlainMp4IsStillSpooledFirst() throws Exception {
    String base = start(Map.of());

    HttpResponse<String> created =
        client()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/clips?name=happy-speech.mp4"))
                    .header("Content-Type", "video/mp4")
                    .POST(HttpRequest.BodyPublishers.ofFile(VideoDemuxerTest.SAMPLE))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode json = JSON.readTree(created.body());
    assertThat(json.get("streamed").asBoolean()).isFalse();
    assertThat(json.get("clips").size()).isEqualTo(4);
  }

  @Test
  void aStreamedBodyOverTheSizeLimitIsAnswered413WithTheClipsPublishedBeforeIt() throws Exception {
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MPEGTS);
    String base = start(Map.of("EMOSTREAM_MAX_UPLOAD_BYTES", Integer.toString(media.length / 2)));

    HttpResponse<String> answer =
        client()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/clips?name=call.ts"))
                    .header("Content-Type", "video/mp2t")
                    .POST(
                        HttpRequest.BodyPublishers.ofInputStream(
                            () -> new GatedStream(media, media.length, 8 * 1024)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(413);
    JsonNode json = JSON.readTree(answer.body());
    assertThat(json.get("error").asText())
        .contains("the upload was cut off")
        .contains("larger than the limit of " + media.length / 2 + " bytes")
        .contains("EMOSTREAM_MAX_UPLOAD_BYTES")
        .contains(demuxed.size() + " clip(s) complete before it were published");
    assertThat(json.get("clipsPublished").asInt()).isEqualTo(demuxed.size()).isPositive();
    assertThat(json.get("clips").size()).isEqualTo(demuxed.size());
    assertThat(demuxed).allSatisfy(c -> assertThat(c.endMs() - c.startMs()).isEqualTo(1_000));
  }

  @Test
  void aStreamedBodyThatStallsIsAnswered408AfterTheIdleTimeout() throws Exception {
    String base =
        start(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "1s", "EMOSTREAM_UPLOAD_MIN_RATE", "0"));
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MATROSKA);
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /clips?name=stalls.mkv HTTP/1.1\r\nHost: x\r\nContent-Type: video/x-matroska\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    int half = media.length * 3 / 4;
    out.write((Integer.toHexString(half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(media, 0, half);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    // ... and nothing more: the client stalls mid-body.

    long start = System.nanoTime();
    String answer = IngestHttpHardeningTest.readUntilClosed(socket);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(answer).startsWith("HTTP/1.1 408");
    JsonNode json = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(json.get("error").asText())
        .contains("no data arrived for PT1S (EMOSTREAM_HTTP_IDLE_TIMEOUT)")
        .contains("clip(s) complete before it were published and stay published");
    assertThat(json.get("clipsPublished").asInt()).isEqualTo(demuxed.size()).isPositive();
    assertThat(demuxed).allSatisfy(c -> assertThat(c.endMs() - c.startMs()).isEqualTo(1_000));
    assertThat(took).isLessThan(Duration.ofSeconds(10));
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "idle-timeout")).isEqualTo(1);
  }

  /**
   * SIGTERM while a client is still sending (a long call streamed at its own pace): the body is cut
   * off before the grace period ends and answered 503 with Retry-After and the clips published
   * before it; the connection used to be closed at the end of the grace period with no answer.
   */
  @Test
  void aStreamedBodyStillArrivingAtShutdownIsAnswered503WithItsClips() throws Exception {
    start(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "60s", "EMOSTREAM_UPLOAD_MIN_RATE", "0"));
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MATROSKA);
    Socket socket = connect();
    sendChunkedHead(socket, "slow.mkv", "video/x-matroska", media, media.length * 3 / 4);
    await().atMost(Duration.ofSeconds(30)).until(() -> !demuxed.isEmpty());

    long start = System.nanoTime();
    CompletableFuture<Void> closed =
        CompletableFuture.runAsync(() -> http.close(Duration.ofSeconds(7)));
    String answer = IngestHttpHardeningTest.readUntilClosed(socket);
    closed.get(20, TimeUnit.SECONDS);
    http = null;

    assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 30");
    JsonNode json = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(json.get("error").asText())
        .contains("the upload was cut off: the server is shutting down")
        .contains("clip(s) complete before it were published and stay published");
    assertThat(json.get("clipsPublished").asInt()).isEqualTo(demuxed.size()).isPositive();
    assertThat(demuxed).allSatisfy(c -> assertThat(c.endMs() - c.startMs()).isEqualTo(1_000));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(7));
    assertThat(counter("emostream.ingest.http.cutoff", "reason", "shutdown")).isEqualTo(1);
  }

  /**
   * Kafka stops taking clips while a client is still streaming its body: the client gets its 503
   * with Retry-After and the clips published before it. The connection was closed with the rest of
   * the body unread, and the reset that sends destroyed the answer: curl saw "Broken pipe" and no
   * status, twice out of twice (found by helper-48 with the broker stopped mid-upload).
   */
  @Test
  void aStreamedBodyStillArrivingWhenKafkaStopsTakingClipsGetsIts503() throws Exception {
    assumeThat(onPath("curl")).as("needs curl").isTrue();
    String base =
        start(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "60s", "EMOSTREAM_UPLOAD_MIN_RATE", "0"));
    byte[] media = StreamedMedia.remux(VideoDemuxerTest.SAMPLE, Container.MATROSKA);
    // curl, as helper-48 sent it: the body from a pipe, a call streamed at its own pace
    Process curl =
        new ProcessBuilder(
                "curl",
                "-sS",
                "-X",
                "POST",
                "-T",
                "-",
                "-H",
                "Content-Type: video/x-matroska",
                "-w",
                "\nstatus %{http_code}\n",
                base + "/clips?name=kafka-down.mkv")
            .redirectErrorStream(true)
            .start();
    CompletableFuture<Void> sending =
        CompletableFuture.runAsync(
            () -> {
              try (OutputStream out = curl.getOutputStream()) {
                out.write(media, 0, media.length * 3 / 4);
                out.flush();
                byte[] more = new byte[16 * 1024];
                for (int i = 0; i < 300 && curl.isAlive(); i++) {
                  out.write(more);
                  out.flush();
                  Thread.sleep(10);
                }
              } catch (IOException | InterruptedException e) {
                // curl ended: expected once it has its answer
              }
            });
    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    sending.get(30, TimeUnit.SECONDS);

    assertThat(output).as("curl exit %d", curl.exitValue()).contains("status 503");
    JsonNode json = JSON.readTree(output.substring(0, output.lastIndexOf("\nstatus")));
    assertThat(json.get("error").asText()).contains("Kafka did not take the clip");
    assertThat(json.get("clipsPublished").asInt()).isEqualTo(1);
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** The same for a body being spooled (an MP4): 503, nothing published, nothing left spooled. */
  @Test
  void aSpooledBodyStillArrivingAtShutdownIsAnswered503() throws Exception {
    start(Map.of("EMOSTREAM_HTTP_IDLE_TIMEOUT", "60s", "EMOSTREAM_UPLOAD_MIN_RATE", "0"));
    byte[] media = Files.readAllBytes(VideoDemuxerTest.SAMPLE);
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /clips?name=slow.mp4 HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
                + "Content-Length: "
                + media.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(media, 0, media.length / 2);
    out.flush();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              try (Stream<Path> spooled = Files.list(workDir)) {
                return spooled.findAny().isPresent();
              }
            });

    CompletableFuture<Void> closed =
        CompletableFuture.runAsync(() -> http.close(Duration.ofSeconds(7)));
    String answer = IngestHttpHardeningTest.readUntilClosed(socket);
    closed.get(20, TimeUnit.SECONDS);
    http = null;

    assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 30");
    assertThat(answer).contains("the server is shutting down", "nothing was published");
    assertThat(demuxed).isEmpty();
    try (Stream<Path> spooled = Files.list(workDir)) {
      assertThat(spooled).as("the spool is deleted").isEmpty();
    }
  }

  private static void sendChunkedHead(
      Socket socket, String name, String type, byte[] media, int length) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /clips?name="
                + name
                + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                + type
                + "\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(media, 0, length);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private double counter(String name, String tag, String value) {
    Counter counter = meters.find(name).tag(tag, value).counter();
    return counter == null ? 0 : counter.count();
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", http.port());
    socket.setSoTimeout(20_000);
    sockets.add(socket);
    return socket;
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }
}
