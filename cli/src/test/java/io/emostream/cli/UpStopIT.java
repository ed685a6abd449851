package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.emostream.testkit.LiveMediaServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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

    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path log = dir.resolve("up.log");
    int http = LiveMediaServer.freePort();
    ProcessBuilder builder =
        ChildMain.builder(tmp, "up").redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("EMOSTREAM_HTTP_PORT", Integer.toString(http));
    builder.environment().put("EMOSTREAM_KAFKA_PORT", Integer.toString(LiveMediaServer.freePort()));
    builder
        .environment()
        .put("EMOSTREAM_METRICS_PORT", Integer.toString(LiveMediaServer.freePort()));
    builder.environment().put("EMOSTREAM_SEGMENT_SECONDS", "2");
    Process up = builder.start();
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> Files.readString(log).contains("emostream is up") || !up.isAlive());
      assertThat(up.isAlive()).as(Files.readString(log)).isTrue();

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
      Process kill =
          new ProcessBuilder("kill", "-TERM", Long.toString(up.pid())).inheritIO().start();
      assertThat(kill.waitFor()).isZero();

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
}
