package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.emostream.kafka.Env;
import io.emostream.testkit.GatedStream;
import io.emostream.testkit.StreamedMedia;
import io.emostream.testkit.StreamedMedia.Container;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Streams demuxed while they arrive (issue 13 item 2): the sample remuxed into each container
 * FFmpeg reads without seeking, fed through a {@link MediaStream} that holds the rest back at a
 * gate. Clips come out before the stream has ended; a stream cut off by a limit or a failed read
 * publishes only the clips that were complete.
 */
class VideoDemuxerStreamTest {

  private static final Path SAMPLE = VideoDemuxerTest.SAMPLE;

  private static VideoDemuxer demuxer(Map<String, String> vars) {
    Map<String, String> all = new HashMap<>(vars);
    all.putIfAbsent("EMOSTREAM_SEGMENT_SECONDS", "1");
    return new VideoDemuxer(IngestConfig.fromEnv(new Env(all)));
  }

  private static MediaStream stream(InputStream in, long maxBytes) {
    return new MediaStream(in, maxBytes, read -> {});
  }

  @Test
  void aPlainMp4WithItsIndexAtTheEndSaysHowToRemuxIt(@TempDir Path dir) throws Exception {
    Path plain = dir.resolve("plain.mp4"); // FFmpeg's mp4 muxer on a file: the moov comes last
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(SAMPLE.toFile())) {
      grabber.start();
      try (FFmpegFrameRecorder recorder =
          new FFmpegFrameRecorder(
              plain.toFile(),
              grabber.getImageWidth(),
              grabber.getImageHeight(),
              grabber.getAudioChannels())) {
        recorder.setFormat("mp4");
        recorder.start(grabber.getFormatContext());
        AVPacket packet;
        while ((packet = grabber.grabPacket()) != null) {
          recorder.recordPacket(packet);
        }
        recorder.stop();
      }
    }
    byte[] media = Files.readAllBytes(plain);
    String ascii = new String(media, StandardCharsets.ISO_8859_1);
    assertThat(ascii.indexOf("moov")).isGreaterThan(ascii.indexOf("mdat"));

    assertThatThrownBy(
            () ->
                demuxer(Map.of())
                    .demux(
                        stream(new ByteArrayInputStream(media), Long.MAX_VALUE),
                        "plain.mp4",
                        new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                        null,
                        clip -> {}))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("index (moov) is at its end")
        .hasMessageContaining("+faststart");
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void clipsComeOutBeforeTheStreamHasEnded(Container container) throws Exception {
    byte[] media = StreamedMedia.remux(SAMPLE, container);
    GatedStream body = new GatedStream(media, media.length * 3 / 4, 4096);
    List<DemuxedClip> clips = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> demux =
        CompletableFuture.supplyAsync(
            () ->
                demuxer(Map.of())
                    .demux(
                        stream(body, Long.MAX_VALUE),
                        "call." + container,
                        new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                        null,
                        clips::add));

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(body.waitingAtGate()).isTrue();
              assertThat(clips).isNotEmpty();
            });
    assertThat(demux).isNotDone();
    body.open();

    // 4.52 s in 1 s windows: a container written to a pipe may lack the duration (then the
    // 0.52 s tail is a clip of its own) or carry it (then the tail joins the fourth clip).
    int count = demux.get();
    assertThat(count).isBetween(4, 5);
    assertThat(clips).extracting(DemuxedClip::index).containsExactly(range(count));
    assertThat(clips.subList(0, 3)).allSatisfy(VideoDemuxerStreamTest::isWholeSecond);
    assertThat(clips.get(count - 1).endMs()).isBetween(4_400L, 4_600L);
    assertThat(clips).allSatisfy(clip -> assertThat(clip.hasVideo()).isTrue());
  }

  private static Integer[] range(int n) {
    return IntStream.range(0, n).boxed().toArray(Integer[]::new);
  }

  /** A clip of one whole window, with its second of audio and its frames. */
  private static void isWholeSecond(DemuxedClip clip) {
    assertThat(clip.endMs() - clip.startMs()).isEqualTo(1_000);
    assertThat(clip.hasAudio()).isTrue();
    assertThat(clip.hasVideo()).isTrue();
    assertThat(clip.pcm16le().length / 2).isBetween(16_000 - 2_048, 16_000);
  }

  @Test
  void aStreamOverTheSizeLimitPublishesOnlyTheClipsCompleteBeforeIt() throws Exception {
    byte[] media = StreamedMedia.remux(SAMPLE, Container.MATROSKA);
    List<DemuxedClip> clips = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                demuxer(Map.of())
                    .demux(
                        stream(new ByteArrayInputStream(media), media.length / 2),
                        "call.mkv",
                        new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                        null,
                        clips::add))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("'call.mkv' was cut off after")
        .hasMessageContaining(
            "larger than the limit of " + media.length / 2 + " bytes (EMOSTREAM_MAX_UPLOAD_BYTES)")
        .hasMessageEndingWith("(" + clips.size() + " clip(s) before it were published)")
        .hasCauseInstanceOf(UploadCutOff.class);
    assertThat(clips).isNotEmpty().hasSizeLessThan(4);
    assertThat(clips).allSatisfy(VideoDemuxerStreamTest::isWholeSecond);
  }

  @Test
  void aStreamWhoseReadFailsMidwayPublishesNoClipCutShort() throws Exception {
    byte[] media = StreamedMedia.remux(SAMPLE, Container.MPEGTS);
    GatedStream body = new GatedStream(media, media.length / 2, 4096);
    body.fail(new IOException("the client went away"));
    List<DemuxedClip> clips = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                demuxer(Map.of())
                    .demux(
                        stream(body, Long.MAX_VALUE),
                        "call.ts",
                        new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                        null,
                        clips::add))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("the client went away");
    assertThat(clips).hasSizeLessThan(3);
    assertThat(clips).allSatisfy(VideoDemuxerStreamTest::isWholeSecond);
  }

  @Test
  void aStreamLongerThanTheDurationLimitStopsThere() throws Exception {
    byte[] media = StreamedMedia.remux(SAMPLE, Container.MATROSKA);
    List<DemuxedClip> clips = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                demuxer(Map.of("EMOSTREAM_MAX_DURATION_SECONDS", "2"))
                    .demux(
                        stream(new ByteArrayInputStream(media), Long.MAX_VALUE),
                        "call.mkv",
                        new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                        null,
                        clips::add))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("'call.mkv' is longer than the limit of 2 s");
    // The stream that passes 2 s first stops it: clip 1 is published only if the other had passed
    // 2 s too.
    assertThat(clips).isNotEmpty().hasSizeLessThanOrEqualTo(2);
    assertThat(clips).allSatisfy(VideoDemuxerStreamTest::isWholeSecond);
  }

  @Test
  void theChosenAudioStreamOfAStreamIsReadFromItsStart() throws Exception {
    byte[] media = StreamedMedia.remux(SAMPLE, Container.MATROSKA);
    List<DemuxedClip> clips = new CopyOnWriteArrayList<>();

    int count =
        demuxer(Map.of("EMOSTREAM_SEGMENT_SECONDS", "2"))
            .demux(
                stream(new ByteArrayInputStream(media), Long.MAX_VALUE),
                "call.mkv",
                new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
                0,
                clips::add);

    assertThat(count).isEqualTo(3);
    assertThat(clips.get(0).pcm16le().length / 2).isBetween(32_000 - 2_048, 32_000);
    assertThat(clips.get(0).frames()).isNotEmpty();
  }
}
