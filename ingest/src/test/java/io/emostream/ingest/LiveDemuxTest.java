package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.Env;
import io.emostream.testkit.LiveMediaServer;
import io.emostream.testkit.TcpRelay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VideoDemuxer#demuxLive} against real servers started here (no broker): FFmpeg serving the
 * sample in real time as an RTMP and an SRT listener, GStreamer's RTSP server, and a {@link
 * TcpRelay} in front of them that stalls, drops the link, or never answers. Skipped with a message
 * when ffmpeg (or GStreamer's RTSP server) is not installed; {@code .ci/run} installs them.
 */
@Timeout(120)
class LiveDemuxTest {

  private static final Path SAMPLE = Path.of("..", "samples", "happy-speech.mp4");

  /** Media time the sample lasts (4.52 s). */
  private static final long SAMPLE_MS = 4_520;

  private final List<DemuxedClip> clips = new CopyOnWriteArrayList<>();
  private final List<String> states = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final LiveControl control = new LiveControl();

  @BeforeEach
  void needsFfmpeg() {
    assumeThat(LiveMediaServer.ffmpegAvailable())
        .as("ffmpeg is not installed; the live source tests need it (apt-get install ffmpeg)")
        .isTrue();
  }

  private static VideoDemuxer demuxer(String readTimeout, String reconnectFor) {
    Map<String, String> env = new HashMap<>();
    env.put("EMOSTREAM_SEGMENT_SECONDS", "2");
    env.put("EMOSTREAM_MIN_SEGMENT_SECONDS", "0.5");
    env.put("EMOSTREAM_FRAMES_PER_SEGMENT", "2");
    env.put("EMOSTREAM_LIVE_CONNECT_TIMEOUT", "2s");
    env.put("EMOSTREAM_LIVE_READ_TIMEOUT", readTimeout);
    env.put("EMOSTREAM_LIVE_RECONNECT_FOR", reconnectFor);
    return new VideoDemuxer(IngestConfig.fromEnv(new Env(env)));
  }

  private CompletableFuture<String> pull(VideoDemuxer demuxer, String url) {
    return CompletableFuture.supplyAsync(
        () ->
            demuxer.demuxLive(
                url,
                ChannelSelection.parse(null, null),
                control,
                new VideoDemuxer.LiveListener() {
                  @Override
                  public void connecting(boolean reconnect, String lastError) {
                    states.add(reconnect ? "reconnecting" : "connecting");
                    if (lastError != null) {
                      errors.add(lastError);
                    }
                  }

                  @Override
                  public void live() {
                    states.add("live");
                  }
                },
                clips::add));
  }

  /**
   * Clips 0..n-1 in order, each 2 s from where the previous ended, audio in each, frames in each
   * but the last (a short tail may end before its first frame slot).
   */
  private void assertContiguous() {
    for (int i = 0; i < clips.size(); i++) {
      DemuxedClip clip = clips.get(i);
      assertThat(clip.index()).isEqualTo(i);
      assertThat(clip.startMs()).isEqualTo(i * 2_000L);
      assertThat(clip.hasAudio()).as("clip %d has audio", i).isTrue();
      if (i < clips.size() - 1) {
        assertThat(clip.hasVideo()).as("clip %d has frames", i).isTrue();
      }
      if (i > 0) {
        assertThat(clip.startMs()).isEqualTo(clips.get(i - 1).endMs());
      }
    }
  }

  private static String ended(CompletableFuture<String> end) throws Exception {
    return end.get(60, TimeUnit.SECONDS);
  }

  @Test
  void rtmpServedInRealTimeGivesClipsBeforeItEndsThenCompletes() throws Exception {
    try (LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 2)) {
      // a scheme is case-insensitive (RFC 3986); FFmpeg's protocol names are not
      String upperCase = "RTMP" + server.url().substring("rtmp".length());
      CompletableFuture<String> end = pull(demuxer("5s", "5s"), upperCase);
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      assertThat(server.isAlive()).as("the first clip came while the stream played").isTrue();
      String reason = ended(end);
      assertThat(reason).as(server.log()).isEqualTo(SourceEvents.COMPLETED);
    }
    assertContiguous();
    long media = clips.get(clips.size() - 1).endMs();
    assertThat(media).isBetween(2 * SAMPLE_MS - 600, 2 * SAMPLE_MS + 600);
    assertThat(states).startsWith("connecting").contains("live");
  }

  @Test
  void srtServedInRealTime() throws Exception {
    try (LiveMediaServer server = LiveMediaServer.srt(SAMPLE, 1)) {
      CompletableFuture<String> end = pull(demuxer("5s", "5s"), server.url());
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      assertThat(server.isAlive()).as("the first clip came while the stream played").isTrue();
      String reason = ended(end);
      assertThat(reason).as(server.log()).isEqualTo(SourceEvents.COMPLETED);
    }
    assertContiguous();
    assertThat(clips.get(clips.size() - 1).endMs()).isGreaterThanOrEqualTo(SAMPLE_MS - 600);
  }

  @Test
  void rtspFromGstreamersServer() throws Exception {
    assumeThat(LiveMediaServer.gstRtspAvailable())
        .as(
            "GStreamer's RTSP server is not installed (apt-get install gir1.2-gst-rtsp-server-1.0"
                + " python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)")
        .isTrue();
    try (LiveMediaServer server = LiveMediaServer.rtsp(SAMPLE)) {
      CompletableFuture<String> end = pull(demuxer("5s", "10s"), server.url());
      String reason = ended(end);
      assertThat(reason).as(server.log()).isEqualTo(SourceEvents.COMPLETED);
    }
    assertContiguous();
    assertThat(clips.get(clips.size() - 1).endMs()).isGreaterThanOrEqualTo(SAMPLE_MS - 600);
  }

  @Test
  void aUrlThatNeverAnswersTimesOutAfterTheReconnectTime() throws Exception {
    long started = System.nanoTime();
    try (TcpRelay silent = new TcpRelay(null)) {
      String reason =
          ended(pull(demuxer("1s", "2s"), "rtmp://127.0.0.1:" + silent.port() + "/live/s"));
      assertThat(reason).startsWith("timeout: could not connect");
      assertThat(silent.accepted()).as("it tried again").isGreaterThan(1);
    }
    // 2 s of reconnecting plus one last attempt of at most the 1 s read timeout, and backoff
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(clips).isEmpty();
  }

  /**
   * A stop asked for while an attempt hangs on a silent server ends the source {@code stopped},
   * even when the reconnect window runs out during that attempt; it ended {@code timeout} (found by
   * helper-49: DELETE on a source reconnecting to a silent RTSP server).
   */
  @Test
  void aStopDuringAnAttemptThatOutlastsTheReconnectWindowEndsStopped() throws Exception {
    try (TcpRelay silent = new TcpRelay(null)) {
      CompletableFuture<String> end =
          pull(demuxer("3s", "1s"), "rtmp://127.0.0.1:" + silent.port() + "/live/s");
      // JavaCV opens twice per attempt: the third connection is the second attempt, which began
      // after the first failed (the window's start) and outlasts the 1 s window
      await().atMost(Duration.ofSeconds(20)).until(() -> silent.accepted() >= 3);
      control.stop(SourceEvents.STOPPED);
      assertThat(ended(end)).isEqualTo(SourceEvents.STOPPED);
    }
    assertThat(clips).isEmpty();
  }

  /**
   * A source stuck in its connect (an RTMP server that accepts and never answers: the open waits
   * for the read timeout, 30 s here, and JavaCV opens twice) holds up no other open: a file is
   * demuxed while that connection is still waiting. JavaCV's {@code start()} held a process-wide
   * lock through the whole open, so the file waited for the stuck source to give up.
   */
  @Test
  void aSourceStuckConnectingHoldsUpNoOtherOpen() throws Exception {
    CompletableFuture<String> stuck;
    try (TcpRelay silent = new TcpRelay(null)) {
      stuck = pull(demuxer("30s", "1s"), "rtmp://127.0.0.1:" + silent.port() + "/live/s");
      await().atMost(Duration.ofSeconds(10)).until(() -> silent.accepted() == 1);
      List<DemuxedClip> fileClips = new CopyOnWriteArrayList<>();
      CompletableFuture<Integer> file =
          CompletableFuture.supplyAsync(
              () -> demuxer("30s", "1s").demux(SAMPLE, ChannelSelection.MIXED, fileClips::add));
      assertThat(file.get(20, TimeUnit.SECONDS)).isPositive();
      assertThat(stuck).as("the stuck source is still connecting").isNotDone();
      assertThat(silent.accepted()).isEqualTo(1);
      control.stop(SourceEvents.STOPPED);
    } // closing the silent server fails the stuck open
    assertThat(ended(stuck)).isEqualTo(SourceEvents.STOPPED);
  }

  /**
   * A server that answers every open and then fails it at once (here Python's {@code http.server},
   * which ignores ranges, serving an MP4 whose index is at its end: FFmpeg's seek to the index gets
   * the file from its start, "Stream ends prematurely") is given up after the reconnect time like
   * one never reached. Each open reset the reconnect window and the backoff, so it was retried
   * without end, several times a second (a helper counted 869 requests in 4 minutes).
   */
  @Test
  void aSourceThatOpensButNeverGivesMediaEndsAfterTheReconnectTime(@TempDir Path dir)
      throws Exception {
    assumeThat(LiveMediaServer.ffmpegAvailable()).as("needs ffmpeg").isTrue();
    Process remux = // three loops of the sample; the mp4 muxer writes the index last
        new ProcessBuilder(
                "ffmpeg",
                "-loglevel",
                "error",
                "-stream_loop",
                "2",
                "-i",
                SAMPLE.toString(),
                "-c",
                "copy",
                dir.resolve("moov-last.mp4").toString())
            .inheritIO()
            .start();
    assertThat(remux.waitFor()).isZero();
    int port = LiveMediaServer.freePort();
    Process server;
    try {
      server =
          new ProcessBuilder(
                  "python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("server.log").toFile())
              .start();
    } catch (IOException noPython) {
      assumeThat(false).as("needs python3").isTrue();
      return;
    }
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> Files.readString(dir.resolve("server.log")).contains("Serving HTTP"));
      long started = System.nanoTime();
      String reason =
          ended(pull(demuxer("2s", "2s"), "http://127.0.0.1:" + port + "/moov-last.mp4"));
      assertThat(reason).startsWith("timeout: could not connect");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    } finally {
      server.destroy();
    }
    assertThat(clips).isEmpty();
  }

  @Test
  void aRefusedPortTimesOut() throws Exception {
    int port = LiveMediaServer.freePort();
    String reason = ended(pull(demuxer("1s", "1s"), "srt://127.0.0.1:" + port));
    assertThat(reason).startsWith("timeout: could not connect");
    assertThat(states).contains("reconnecting").doesNotContain("live");
  }

  @Test
  void aRefusedSourcesSecretsReachNeitherItsEndReasonNorItsErrors() throws Exception {
    int port = LiveMediaServer.freePort();
    for (String url :
        List.of(
            "rtmp://user:hunter2@127.0.0.1:" + port + "/live/x?token=supersecret77",
            "srt://127.0.0.1:" + port + "?passphrase=supersecret88")) {
      errors.clear();
      String reason = ended(pull(demuxer("1s", "1s"), url));
      assertThat(reason).startsWith("timeout: could not connect").contains("127.0.0.1:" + port);
      assertThat(errors).as("the errors GET /streams shows while it reconnects").isNotEmpty();
      for (String text : concat(reason, errors)) {
        assertThat(text).doesNotContain("hunter2", "supersecret", "user:", "setFormat");
      }
    }
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>(rest);
    all.add(first);
    return all;
  }

  @Test
  void aSourceThatStallsMidStreamEndsWithTimeoutKeepingWhatCameBefore() throws Exception {
    try (LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 3);
        TcpRelay relay = new TcpRelay(address(server.url()))) {
      CompletableFuture<String> end =
          pull(demuxer("1s", "2s"), "rtmp://127.0.0.1:" + relay.port() + "/live/s");
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      relay.stall();
      long stalled = System.nanoTime();
      String reason = ended(end);
      assertThat(reason).startsWith("timeout: lost");
      // 1 s to notice, 2 s of reconnecting, a last attempt that may take a few reads of 1 s
      assertThat(Duration.ofNanos(System.nanoTime() - stalled)).isLessThan(Duration.ofSeconds(15));
    }
    assertContiguous();
    assertThat(states).contains("reconnecting");
  }

  @Test
  void aSourceThatDropsAndComesBackGoesOnInMediaTime() throws Exception {
    try (LiveMediaServer first = LiveMediaServer.rtmp(SAMPLE, 3);
        TcpRelay relay = new TcpRelay(address(first.url()))) {
      CompletableFuture<String> end =
          pull(demuxer("5s", "10s"), "rtmp://127.0.0.1:" + relay.port() + "/live/s");
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      int before = clips.size();
      dropUntilReconnecting(relay);
      try (LiveMediaServer second = LiveMediaServer.rtmp(SAMPLE, 1)) {
        relay.upstream(address(second.url())); // back
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> states.lastIndexOf("live") > states.indexOf("reconnecting"));
        String reason = ended(end);
        assertThat(reason).isEqualTo(SourceEvents.COMPLETED);
        assertThat(clips.size()).as(second.log()).isGreaterThan(before + 1);
      }
    }
    assertContiguous();
  }

  /** Drops the connection; reconnecting finds nothing there until the relay gets an upstream. */
  private void dropUntilReconnecting(TcpRelay relay) throws IOException {
    relay.upstream(new InetSocketAddress("127.0.0.1", LiveMediaServer.freePort()));
    relay.reset();
    await().atMost(Duration.ofSeconds(30)).until(() -> states.contains("reconnecting"));
  }

  /**
   * A call that started audio-only and comes back from a drop with its camera on: the frames after
   * the reconnect are kept. The video was ignored for the rest of the call (found by helper-49).
   */
  @Test
  void videoThatAppearsAtAReconnectIsKept(@TempDir Path dir) throws Exception {
    Path audioOnly = dir.resolve("audio-only.mkv");
    ffmpeg("-i", SAMPLE.toString(), "-vn", "-c:a", "copy", audioOnly.toString());
    try (LiveMediaServer first = LiveMediaServer.rtmp(audioOnly, 2);
        TcpRelay relay = new TcpRelay(address(first.url()))) {
      CompletableFuture<String> end =
          pull(demuxer("5s", "10s"), "rtmp://127.0.0.1:" + relay.port() + "/live/s");
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      int before = clips.size();
      dropUntilReconnecting(relay);
      try (LiveMediaServer second = LiveMediaServer.rtmp(SAMPLE, 2)) {
        relay.upstream(address(second.url()));
        assertThat(ended(end)).isEqualTo(SourceEvents.COMPLETED);
        assertThat(clips.size()).as(second.log()).isGreaterThan(before + 2);
      }
      assertThat(clips.subList(0, before)).allSatisfy(clip -> assertThat(clip.frames()).isEmpty());
      assertThat(clips.subList(before + 1, clips.size() - 1))
          .as("whole clips after the reconnect have their frames")
          .allSatisfy(clip -> assertThat(clip.frames()).hasSize(2));
    }
  }

  /**
   * A live call whose audio starts 4 s after its video (RTMP, from MediaTimelineTest's file): the
   * audio keeps its place by its timestamps. Counted from the connection's start, the tone was put
   * in the first clips, beside frames 4 s earlier.
   */
  @Test
  void liveAudioThatStartsAfterTheVideoKeepsItsPlaceInTime() throws Exception {
    Path media = Path.of("src/test/resources/timeline/audio-starts-at-4s.mkv");
    try (LiveMediaServer server = LiveMediaServer.rtmp(media, 1)) {
      CompletableFuture<String> end = pull(demuxer("5s", "5s"), server.url());
      assertThat(ended(end)).as(server.log()).isEqualTo(SourceEvents.COMPLETED);
    }
    assertThat(clips).extracting(DemuxedClip::startMs).startsWith(0L, 2_000L, 4_000L, 6_000L);
    assertThat(peak(clips.get(0))).as("0-2 s: before the tone").isLessThan(50);
    assertThat(peak(clips.get(1))).as("2-4 s: before the tone").isLessThan(50);
    assertThat(peak(clips.get(2))).as("4-6 s: the tone").isGreaterThan(3_000);
    assertThat(peak(clips.get(3))).as("6-8 s: the tone").isGreaterThan(3_000);
  }

  /**
   * A camera turned off while the audio goes on: the clips past the video's end are published while
   * the stream plays, without frames, once the audio is {@link DemuxRun#LIVE_STREAM_LAG_MS} past
   * their end. They were held until the source ended, in memory the while (helper-49: 46 s of audio
   * after 10 s of video came out in one burst at the end).
   */
  @Test
  void clipsPastAStoppedVideoArePublishedWhileTheAudioPlays(@TempDir Path dir) throws Exception {
    Path media = dir.resolve("video-stops-at-2s.mkv");
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:sample_rate=16000:duration=16",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        media.toString());
    try (LiveMediaServer server =
        LiveMediaServer.rtmp(media, 1, List.of("-max_interleave_delta", "500000"))) {
      CompletableFuture<String> end = pull(demuxer("5s", "5s"), server.url());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> clips.stream().anyMatch(clip -> clip.startMs() >= 4_000));
      assertThat(server.isAlive()).as("a clip past the video came while the audio played").isTrue();
      assertThat(ended(end)).as(server.log()).isEqualTo(SourceEvents.COMPLETED);
    }
    assertContiguousAudio();
    assertThat(clips.get(0).frames()).isNotEmpty();
    assertThat(clips.stream().filter(clip -> clip.startMs() >= 4_000))
        .allSatisfy(clip -> assertThat(clip.frames()).isEmpty());
    assertThat(clips.get(clips.size() - 1).endMs()).isBetween(15_000L, 17_000L);
  }

  /**
   * A stereo call republished as mono after a drop: with a side picked, the mono voice was given to
   * both sides (the agent's role included); the source now ends with an error instead. Audio
   * appearing or going away (0 channels) and a mix are not a side's change.
   */
  @Test
  void aPickedSideEndsTheSourceWhenTheChannelCountChangesAtAReconnect() {
    ChannelSelection both = ChannelSelection.parse("both", "left:agent,right:customer");
    assertThat(LiveDemuxer.channelsChanged(both, 2, 1))
        .contains("came back with 1 audio channel(s) instead of 2")
        .contains("channel=mix");
    assertThat(
            LiveDemuxer.channelsChanged(
                ChannelSelection.parse(null, "left:agent,right:customer"), 2, 6))
        .isNotNull();
    assertThat(LiveDemuxer.channelsChanged(both, 2, 2)).isNull();
    assertThat(LiveDemuxer.channelsChanged(both, 0, 1)).isNull();
    assertThat(LiveDemuxer.channelsChanged(ChannelSelection.parse("mix", null), 2, 1)).isNull();
  }

  /** Clips 0..n-1 in order, each 2 s from where the previous ended, audio in each. */
  private void assertContiguousAudio() {
    assertThat(clips).isNotEmpty();
    for (int i = 0; i < clips.size(); i++) {
      DemuxedClip clip = clips.get(i);
      assertThat(clip.index()).isEqualTo(i);
      assertThat(clip.startMs()).isEqualTo(i * 2_000L);
      assertThat(clip.pcm16le()).as("clip %d has audio", i).isNotEmpty();
    }
  }

  private static void ffmpeg(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-y"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(out).isZero();
  }

  /** The largest sample magnitude of a clip's audio, leaving out its first and last 100 ms. */
  private static int peak(DemuxedClip clip) {
    ShortBuffer pcm =
        ByteBuffer.wrap(clip.pcm16le()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    int peak = 0;
    for (int i = 1_600; i < pcm.limit() - 1_600; i++) {
      peak = Math.max(peak, Math.abs(pcm.get(i)));
    }
    return peak;
  }

  @Test
  void stoppingPublishesTheOpenPartWhenLongEnough() throws Exception {
    try (LiveMediaServer server = LiveMediaServer.rtmp(SAMPLE, 3)) {
      CompletableFuture<String> end = pull(demuxer("5s", "5s"), server.url());
      await().atMost(Duration.ofSeconds(30)).until(() -> !clips.isEmpty());
      control.stop(SourceEvents.STOPPED);
      assertThat(ended(end)).isEqualTo(SourceEvents.STOPPED);
    }
    assertContiguous();
    DemuxedClip last = clips.get(clips.size() - 1);
    assertThat(last.endMs() - last.startMs()).isGreaterThanOrEqualTo(500);
    assertThat(last.endMs()).as("stopped before the stream's end").isLessThan(3 * SAMPLE_MS);
  }

  @Test
  void liveOptionsNeverMakeRtmpListen() {
    IngestConfig.LiveLimits limits =
        new IngestConfig.LiveLimits(
            2, Duration.ofSeconds(3), Duration.ofMillis(1500), Duration.ofSeconds(9));
    assertThat(LiveDemuxer.liveOptions("rtmp://h/live/s", limits))
        .containsExactly(Map.entry("rw_timeout", "1500000"));
    assertThat(LiveDemuxer.liveOptions("rtsp://h/s", limits))
        .containsEntry("timeout", "3000000")
        .containsEntry("rw_timeout", "1500000")
        .containsEntry("rtsp_transport", "tcp");
    assertThat(LiveDemuxer.liveOptions("srt://h:1", limits))
        .containsEntry("timeout", "1500000")
        .containsEntry("connect_timeout", "3000");
    assertThat(LiveDemuxer.liveOptions("https://h/a.m3u8", limits))
        .containsEntry("timeout", "3000000");
  }

  @Test
  void onlyLiveSchemesAreAccepted() {
    assertThat(VideoDemuxer.scheme("RTMP://h/x")).isEqualTo("rtmp");
    Assertions.assertThatThrownBy(() -> VideoDemuxer.scheme("file:///etc/passwd"))
        .hasMessageContaining("not a live source URL")
        .hasMessageContaining("rtsp://, rtmp://, srt://");
    Assertions.assertThatThrownBy(() -> VideoDemuxer.scheme("samples/a.mp4"))
        .hasMessageContaining("not a live source URL");
  }

  @Test
  void aUrlThatIsNotAValidUriIsRefusedWithoutItsSecrets() {
    for (String bad :
        new String[] {
          "rtsp://admin:S3CRETPW@127.0.0.1:1/live x?token=T0PSECRET",
          "rtsp://u:S3CRETPW@[::1:9/live?token=T0PSECRET",
          "rtmp://",
          "http://ex ample.com/x?token=T0PSECRET",
          "rtmp://u:S3CRETPW@/live/a" // user info but no server (found by helper-50)
        }) {
      Assertions.assertThatThrownBy(() -> VideoDemuxer.scheme(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a valid URL")
          .hasMessageNotContaining("S3CRETPW")
          .hasMessageNotContaining("T0PSECRET");
    }
    assertThat(VideoDemuxer.scheme("rtsp://[::1]:8554/live%20x?token=t")).isEqualTo("rtsp");
    assertThat(VideoDemuxer.scheme("srt://:9000?mode=listener")).isEqualTo("srt");
    Assertions.assertThatThrownBy(() -> VideoDemuxer.scheme("rtmp://u:a\"b@127.0.0.1:1/live"))
        .hasMessageContaining("a double quote as %22")
        .hasMessageNotContaining("needs a host");
    Assertions.assertThatThrownBy(() -> VideoDemuxer.scheme("rtmp://u:S3CRETPW@/live/a"))
        .hasMessageContaining("needs a host or a port");
  }

  private static InetSocketAddress address(String url) {
    URI uri = URI.create(url);
    return new InetSocketAddress(uri.getHost(), uri.getPort());
  }
}
