package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.emostream.testkit.LiveMediaServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./emostream up} stopped by SIGTERM just after an upload was answered: every segment the
 * upload published is fused before the process ends. The stop closes the intake first, lets the
 * workers and fusion go on until what was published is fused (up to {@link UpCommand#DRAIN_WAIT}),
 * then stops them; it used to stop the workers first, and the clips published just before the
 * signal were never fused. A child JVM ({@link Main#main}: the real signal handling) with the
 * in-JVM broker and the committed models; skipped without ffmpeg (it makes the 36 s upload).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UpStopIT {

  private static final Pattern UPLOADED =
      Pattern.compile("upload long\\.mp4: source up-stop, (\\d+) segment\\(s\\)");

  @TempDir Path dir;

  @Test
  void sigtermJustAfterAnUploadFusesEverySegmentItPublishedBeforeExiting() throws Exception {
    assumeThat(LiveMediaServer.ffmpegAvailable()).as("needs ffmpeg").isTrue();
    Path media = dir.resolve("long.mp4");
    Process loop =
        new ProcessBuilder(
                "ffmpeg",
                "-loglevel",
                "error",
                "-stream_loop",
                "7",
                "-i",
                EndToEndIT.SAMPLE.toString(),
                "-c",
                "copy",
                media.toString())
            .inheritIO()
            .start();
    assertThat(loop.waitFor()).isZero();

    int http = LiveMediaServer.freePort();
    Process up = startUp(http, Map.of("EMOSTREAM_SEGMENT_SECONDS", "2"));
    try {
      HttpResponse<String> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + http + "/clips?name=long.mp4&sourceId=up-stop"))
                      .header("Content-Type", "video/mp4")
                      .POST(HttpRequest.BodyPublishers.ofFile(media))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
      signal(up);

      assertThat(up.waitFor(150, TimeUnit.SECONDS)).as("stopped").isTrue();
      String output = Files.readString(log);
      Matcher uploaded = UPLOADED.matcher(output);
      assertThat(uploaded.find()).as(output).isTrue();
      int published = Integer.parseInt(uploaded.group(1));
      assertThat(published).isGreaterThan(10);
      long fused = output.lines().filter(l -> l.contains("(source up-stop) segment")).count();
      assertThat(fused).as("fused lines; the log:%n%s", output).isEqualTo(published);
      assertThat(output).contains("no new uploads or live sources");
    } finally {
      up.destroyForcibly();
    }
  }

  /**
   * A second SIGTERM while the first one's stop waits (here for a live source stuck connecting to a
   * server that accepts and never answers: up to the read timeout and the 30 s grace) stops the
   * process without that wait. It used to be ignored: the stop went on for 40 s.
   */
  @Test
  void aSecondSigtermStopsWithoutWaitingForASourceStuckConnecting() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      AtomicInteger accepted = new AtomicInteger();
      List<Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(silent.accept());
                    accepted.incrementAndGet();
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();

      int http = LiveMediaServer.freePort();
      Process up = startUp(http, Map.of("EMOSTREAM_LIVE_CONNECT_TIMEOUT", "60s"));
      try {
        HttpResponse<String> answer =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/streams"))
                        .header("Content-Type", "application/json")
                        .POST(
                            HttpRequest.BodyPublishers.ofString(
                                "{\"url\": \"rtmp://127.0.0.1:"
                                    + silent.getLocalPort()
                                    + "/live/stuck\"}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(30)).until(() -> accepted.get() > 0);

        signal(up);
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> Files.readString(log).contains("no new uploads or live sources"));
        assertThat(up.waitFor(3, TimeUnit.SECONDS)).as("still waiting after the first").isFalse();
        signal(up);
        assertThat(up.waitFor(20, TimeUnit.SECONDS))
            .as("stopped after the second signal; the log:%n%s", Files.readString(log))
            .isTrue();
        assertThat(up.exitValue()).isEqualTo(143);
        assertThat(Files.readString(log)).contains("stopping without waiting");
      } finally {
        up.destroyForcibly();
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  private Path log;

  /** {@code up} in a child JVM on free ports, once it says it is up; its output in {@link #log}. */
  private Process startUp(int http, Map<String, String> env) throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    log = dir.resolve("up.log");
    ProcessBuilder builder =
        ChildMain.builder(tmp, "up").redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("EMOSTREAM_HTTP_PORT", Integer.toString(http));
    builder.environment().put("EMOSTREAM_KAFKA_PORT", Integer.toString(LiveMediaServer.freePort()));
    builder
        .environment()
        .put("EMOSTREAM_METRICS_PORT", Integer.toString(LiveMediaServer.freePort()));
    builder.environment().putAll(env);
    Process up = builder.start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Files.readString(log).contains("emostream is up") || !up.isAlive());
    assertThat(up.isAlive()).as(Files.readString(log)).isTrue();
    return up;
  }

  private static void signal(Process process) throws Exception {
    Process kill =
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
  }
}
