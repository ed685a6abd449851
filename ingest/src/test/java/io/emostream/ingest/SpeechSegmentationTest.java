package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.emostream.kafka.Env;
import io.emostream.testkit.StreamedMedia;
import io.emostream.testkit.TestMedia;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EMOSTREAM_SEGMENTATION=vad through the demuxer with the shipped Silero VAD: a "conversation" of
 * three RAVDESS utterances (the audio of the committed demo clips) with 1.5 s pauses is cut in the
 * pauses, the clips meet and keep every sample, frames follow the cut, a stream is cut where the
 * file is; silence and a tone (no speech) are cut at the maximum length.
 */
class SpeechSegmentationTest {

  static final Path MODEL = Path.of("../models/silero-vad/silero_vad_v5_sequence.onnx");
  static final int RATE = VideoDemuxer.SAMPLE_RATE;
  static final List<String> UTTERANCES =
      List.of("demo-angry-actor02.mp4", "demo-sad-actor03.mp4", "demo-happy-actor04.mp4");

  @TempDir static Path dir;
  static short[] conversation;
  // per utterance, from its first to its last 50 ms louder than -40 dBFS RMS (its spoken part)
  static final List<long[]> spokenMs = new ArrayList<>();
  static Path wav;

  /** The fixed windows' frame spacing under the defaults (500 ms: 8 frames per 4 s). */
  static final long FRAME_SPACING_MS =
      config("fixed").segmentMs() / config("fixed").framesPerSegment();

  static IngestConfig config(String segmentation) {
    Map<String, String> env = new HashMap<>();
    env.put("EMOSTREAM_SEGMENTATION", segmentation);
    env.put("EMOSTREAM_VAD_MODEL", MODEL.toString());
    return IngestConfig.fromEnv(new Env(env));
  }

  static List<DemuxedClip> demux(Path file, String segmentation) {
    List<DemuxedClip> clips = new ArrayList<>();
    try (VideoDemuxer demuxer = new VideoDemuxer(config(segmentation))) {
      demuxer.demux(file, clips::add);
    }
    return clips;
  }

  static short[] pcm(DemuxedClip clip) {
    short[] out = new short[clip.pcm16le().length / 2];
    ByteBuffer.wrap(clip.pcm16le()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
    return out;
  }

  /** The utterances' audio, whole, with 1.5 s of digital silence between them. */
  @BeforeAll
  static void writeConversation() throws Exception {
    List<short[]> speech = new ArrayList<>();
    for (String name : UTTERANCES) {
      speech.add(wholeAudio(Path.of("../samples/labelled", name)));
    }
    conversation = TestMedia.conversation(speech, RATE * 3 / 2);
    long at = 0;
    for (short[] utterance : speech) {
      long from = -1;
      long to = -1;
      for (long ms = at; ms + 50 <= at + utterance.length * 1000L / RATE; ms += 50) {
        if (rms(ms + 25, 50) > 328) {
          from = from < 0 ? ms : from;
          to = ms + 50;
        }
      }
      spokenMs.add(new long[] {from, to});
      at += utterance.length * 1000L / RATE + 1_500;
    }
    wav = TestMedia.writeMonoWav(dir.resolve("conversation.wav"), RATE, conversation);
  }

  /** A file's 16 kHz audio in one piece. */
  static short[] wholeAudio(Path file) {
    List<DemuxedClip> whole = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "600"))))
        .demux(file, whole::add);
    return pcm(whole.get(0));
  }

  /** RMS of the conversation over {@code ms} milliseconds around {@code atMs}. */
  static double rms(long atMs, int ms) {
    int from = (int) Math.max(0, (atMs - ms / 2) * RATE / 1000);
    int to = (int) Math.min(conversation.length, (atMs + ms / 2) * RATE / 1000);
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += (double) conversation[i] * conversation[i];
    }
    return Math.sqrt(sum / Math.max(1, to - from));
  }

  static void assertContiguous(List<DemuxedClip> clips, long durationMs) {
    assertThat(clips.get(0).startMs()).isZero();
    for (int i = 1; i < clips.size(); i++) {
      assertThat(clips.get(i).index()).isEqualTo(i);
      assertThat(clips.get(i).startMs()).isEqualTo(clips.get(i - 1).endMs());
    }
    assertThat(clips.get(clips.size() - 1).endMs()).isBetween(durationMs - 40, durationMs + 40);
  }

  @Test
  void aConversationIsCutInItsPausesAndEverySampleIsKept() {
    List<DemuxedClip> clips = demux(wav, "vad");
    List<DemuxedClip> fixed = demux(wav, "fixed");

    long durationMs = conversation.length * 1000L / RATE;
    assertContiguous(clips, durationMs);
    assertThat(clips).hasSizeBetween(3, 6);
    assertThat(spokenMs).allSatisfy(spoken -> assertThat(spoken[0]).isNotNegative());
    for (DemuxedClip clip : clips.subList(0, clips.size() - 1)) {
      long length = clip.endMs() - clip.startMs();
      assertThat(length).isBetween(2_000L, 8_000L);
      // each cut lies in a pause, outside every utterance's spoken part
      assertThat(spokenMs)
          .as("cut at %d ms", clip.endMs())
          .noneMatch(spoken -> clip.endMs() > spoken[0] && clip.endMs() < spoken[1]);
      assertThat(clip.endMs() % 4_000).isNotZero(); // not the fixed windows
      assertThat(pcm(clip)).hasSize((int) (length * RATE / 1000));
    }
    short[] joined = new short[0];
    for (DemuxedClip clip : clips) {
      short[] part = pcm(clip);
      int at = joined.length;
      joined = Arrays.copyOf(joined, at + part.length);
      System.arraycopy(part, 0, joined, at, part.length);
    }
    assertThat(joined).isEqualTo(conversation);
    assertThat(fixed).extracting(DemuxedClip::endMs).startsWith(4_000L, 8_000L);
  }

  /**
   * A DC offset, or a slow drift of one, does not move the cuts: +0.1 of full scale merged two
   * utterances into one clip cut at the maximum and left one without a clip (found by a
   * hostile-user pass).
   */
  @Test
  void aDcOffsetOrItsDriftDoesNotMoveTheCuts() throws Exception {
    short[] offset = new short[conversation.length];
    short[] drifting = new short[conversation.length];
    for (int i = 0; i < conversation.length; i++) {
      offset[i] = (short) Math.max(-32768, Math.min(32767, conversation[i] + 3277));
      double drift = 0.1 + 0.05 * Math.sin(2 * Math.PI * 0.2 * i / RATE);
      drifting[i] = (short) Math.max(-32768, Math.min(32767, conversation[i] + drift * 32768));
    }
    List<Long> cuts = demux(wav, "vad").stream().map(DemuxedClip::endMs).toList();

    for (short[] audio : List.of(offset, drifting)) {
      Path file =
          TestMedia.writeMonoWav(dir.resolve("offset-" + audio.hashCode() + ".wav"), RATE, audio);
      List<Long> moved = demux(file, "vad").stream().map(DemuxedClip::endMs).toList();
      // the same cuts, in the same pauses: one moved by two VAD frames (64 ms) in a run
      assertThat(moved).hasSameSizeAs(cuts);
      for (int i = 0; i < cuts.size(); i++) {
        assertThat(moved.get(i)).as("cut %d", i).isCloseTo(cuts.get(i), within(128L));
      }
    }
  }

  @Test
  void aStreamIsCutWhereTheFileIsAndFramesFollowTheCut() throws Exception {
    Path video =
        withVideo(
            dir.resolve("conversation.mkv"), conversation, (double) conversation.length / RATE);
    List<DemuxedClip> fromFile = demux(wav, "vad");
    List<DemuxedClip> clips = new ArrayList<>();
    byte[] media = StreamedMedia.remux(video, StreamedMedia.Container.MATROSKA);
    try (VideoDemuxer demuxer = new VideoDemuxer(config("vad"))) {
      demuxer.demux(
          new MediaStream(new ByteArrayInputStream(media), Long.MAX_VALUE, read -> {}),
          "conversation.mkv",
          new ChannelSelection(ChannelSelection.Mode.MIX, Map.of()),
          null,
          clips::add);
    }

    // Every cut of the file but a last one the file's known duration may refuse (the tail rule).
    List<Long> streamCuts = clips.stream().map(DemuxedClip::endMs).toList();
    List<Long> fileCuts = fromFile.stream().map(DemuxedClip::endMs).toList();
    assertThat(streamCuts.subList(0, fileCuts.size() - 1))
        .isEqualTo(fileCuts.subList(0, fileCuts.size() - 1));
    for (DemuxedClip clip : clips) {
      assertThat(clip.frames())
          .isNotEmpty()
          .allSatisfy(
              frame -> assertThat(frame.timestampMs()).isBetween(clip.startMs(), clip.endMs() - 1));
      // the fixed windows' density: EMOSTREAM_FRAMES_PER_SEGMENT per EMOSTREAM_SEGMENT_SECONDS
      long expected = (clip.endMs() - clip.startMs()) / FRAME_SPACING_MS;
      assertThat((long) clip.frames().size()).isBetween(expected - 2, expected + 2);
    }
  }

  @Test
  void silenceAndAToneHaveNoPausesAfterSpeechAndAreCutAtTheMaximum() throws Exception {
    Path silence = TestMedia.writeMonoWav(dir.resolve("silence.wav"), RATE, new short[20 * RATE]);
    Path tone = TestMedia.writeToneWav(dir.resolve("tone.wav"), RATE, 20);

    for (Path file : List.of(silence, tone)) {
      assertThat(demux(file, "vad"))
          .as(file.getFileName().toString())
          .extracting(DemuxedClip::endMs)
          .containsExactly(8_000L, 16_000L, 20_000L);
    }
  }

  @Test
  void videoThatGoesOnAfterItsAudioStoppedIsStillCutAtTheMaximum() throws Exception {
    Path video = withVideo(dir.resolve("short-audio.mkv"), new short[2 * RATE], 20);

    List<DemuxedClip> clips = demux(video, "vad");

    assertThat(clips).extracting(DemuxedClip::endMs).startsWith(8_000L, 16_000L).hasSize(3);
    long expected = 4_000 / FRAME_SPACING_MS; // 16-20 s at the fixed windows' density
    assertThat((long) clips.get(2).frames().size()).isBetween(expected - 2, expected + 2);
  }

  /**
   * {@code audio} with {@code seconds} of a 160x120 video at 25 fps whose grey level steps every
   * frame, muxed by JavaCV (Matroska: MJPEG video, PCM audio, interleaved per frame).
   */
  static Path withVideo(Path file, short[] audio, double seconds) throws Exception {
    int perFrame = RATE / 25;
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 160, 120, 1);
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      recorder.setFormat("matroska");
      recorder.setFrameRate(25);
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_MJPEG);
      recorder.setPixelFormat(avutil.AV_PIX_FMT_YUVJ420P);
      recorder.setAudioCodec(avcodec.AV_CODEC_ID_PCM_S16LE);
      recorder.setSampleRate(RATE);
      recorder.start();
      for (int i = 0; i < seconds * 25; i++) {
        BufferedImage image = new BufferedImage(160, 120, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(i % 256, i % 256, i % 256));
        g.fillRect(0, 0, 160, 120);
        g.dispose();
        recorder.record(converter.convert(image));
        if (i * perFrame < audio.length) {
          int to = Math.min(audio.length, (i + 1) * perFrame);
          recorder.recordSamples(
              RATE, 1, ShortBuffer.wrap(Arrays.copyOfRange(audio, i * perFrame, to)));
        }
      }
      recorder.stop();
    }
    return file;
  }
}
