package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_DEFAULT;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;

import io.emostream.kafka.Env;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 items 5 and 6, on files written by the test itself: a portrait phone video (frames
 * stored sideways with a display matrix) comes out upright, and the default audio stream of a
 * two-stream file is the one analysed.
 */
class VideoDemuxerOrientationAndStreamsTest {

  @TempDir Path dir;

  private static IngestConfig config(Map<String, String> vars) {
    return IngestConfig.fromEnv(new Env(vars));
  }

  // ---- rotation ----

  /**
   * The upright picture is the first frame of samples/happy-speech.mp4 (a real face, 320x240). It
   * is stored turned so that only the display matrix makes it upright again, as a phone does;
   * FFmpeg's convention ({@code av_display_rotation_set}): the matrix turns the stored frame
   * counter-clockwise by its angle.
   */
  @Test
  void framesOfAVideoWithADisplayMatrixAreSampledUpright() throws Exception {
    BufferedImage upright = firstFrame(IngestBadInputTest.SAMPLE);
    assertThat(upright.getWidth()).isGreaterThan(upright.getHeight());
    for (int degrees : new int[] {90, -90, 180}) {
      // Stored = upright turned clockwise by `degrees`, so that the matrix's counter-clockwise turn
      // undoes it.
      BufferedImage stored = turnClockwise(upright, degrees);
      Path video = writeVideo(dir.resolve("phone" + degrees + ".mp4"), stored, degrees);
      try (FFmpegFrameGrabber probe = new FFmpegFrameGrabber(video.toFile())) {
        probe.start();
        assertThat(Math.floorMod(Math.round(probe.getDisplayRotation()) - degrees, 360L))
            .as("the test file carries its matrix (180 reads back as -180)")
            .isZero();
      }

      List<DemuxedClip> clips = new ArrayList<>();
      new VideoDemuxer(config(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "4")))
          .demux(video, clips::add);
      BufferedImage sampled =
          ImageIO.read(new ByteArrayInputStream(clips.get(0).frames().get(0).jpeg()));

      assertThat(sampled.getWidth())
          .as("%d degrees: landscape again", degrees)
          .isEqualTo(upright.getWidth());
      assertThat(sampled.getHeight()).isEqualTo(upright.getHeight());
      assertThat(clips.get(0).frames().get(0).width()).isEqualTo(upright.getWidth());
      double toUpright = meanAbsDifference(sampled, upright);
      double toUpsideDown = meanAbsDifference(sampled, turnClockwise(upright, 180));
      System.out.printf(
          "display rotation %d: mean |difference| to the upright face %.1f, to it upside down %.1f%n",
          degrees, toUpright, toUpsideDown);
      assertThat(toUpright)
          .as("%d degrees: the upright face (0-255 scale)", degrees)
          .isLessThan(12);
      assertThat(toUpsideDown).isGreaterThan(3 * toUpright);
    }
  }

  @Test
  void withoutADisplayMatrixFramesAreLeftAsStored() throws Exception {
    BufferedImage upright = firstFrame(IngestBadInputTest.SAMPLE);
    BufferedImage sideways = turnClockwise(upright, 90);
    Path video = writeVideo(dir.resolve("sideways.mp4"), sideways, 0);
    List<DemuxedClip> clips = new ArrayList<>();
    new VideoDemuxer(config(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "4"))).demux(video, clips::add);
    BufferedImage sampled =
        ImageIO.read(new ByteArrayInputStream(clips.get(0).frames().get(0).jpeg()));
    assertThat(sampled.getWidth()).isEqualTo(sideways.getWidth());
    assertThat(meanAbsDifference(sampled, sideways)).isLessThan(12);
  }

  @Test
  void theDisplayAngleMapsToTheQuarterTurnFfmpegApplies() {
    assertThat(FrameRotation.of(0)).isEqualTo(FrameRotation.NONE);
    assertThat(FrameRotation.of(Double.NaN)).isEqualTo(FrameRotation.NONE);
    // An iPhone portrait video: ffprobe says "rotation of -90.00 degrees", ffmpeg applies
    // transpose=clock.
    assertThat(FrameRotation.of(-90)).isEqualTo(FrameRotation.CLOCKWISE_90);
    assertThat(FrameRotation.of(90)).isEqualTo(FrameRotation.COUNTER_CLOCKWISE_90);
    assertThat(FrameRotation.of(180)).isEqualTo(FrameRotation.HALF_TURN);
    assertThat(FrameRotation.of(-180)).isEqualTo(FrameRotation.HALF_TURN);
    assertThat(FrameRotation.of(270)).isEqualTo(FrameRotation.CLOCKWISE_90);
    assertThat(FrameRotation.of(-88.5)).isEqualTo(FrameRotation.CLOCKWISE_90);
  }

  @Test
  void aQuarterTurnMovesEachPixelWhereJava2dPutsIt() {
    BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    // Every byte different, so a swapped channel shows too.
    int[] values = {0x010203, 0x040506, 0x070809, 0x0a0b0c, 0x0d0e0f, 0x101112};
    image.setRGB(0, 0, 3, 2, values, 0, 3);
    byte[] bgr = new byte[values.length * 3];
    for (int i = 0; i < values.length; i++) {
      bgr[i * 3] = (byte) values[i];
      bgr[i * 3 + 1] = (byte) (values[i] >> 8);
      bgr[i * 3 + 2] = (byte) (values[i] >> 16);
    }
    for (FrameRotation rotation : FrameRotation.values()) {
      int clockwise =
          switch (rotation) {
            case NONE -> 0;
            case CLOCKWISE_90 -> 90;
            case HALF_TURN -> 180;
            case COUNTER_CLOCKWISE_90 -> 270;
          };
      BufferedImage expected = turnClockwise(image, clockwise);
      BufferedImage turned =
          FrameEncoder.bgrImage(
              rotation.apply(bgr, 3, 2), expected.getWidth(), expected.getHeight());
      int[] got =
          turned.getRGB(0, 0, turned.getWidth(), turned.getHeight(), null, 0, turned.getWidth());
      int[] want =
          expected.getRGB(
              0, 0, expected.getWidth(), expected.getHeight(), null, 0, expected.getWidth());
      assertThat(got).as(rotation.name()).containsExactly(want);
    }
    assertThat(FrameRotation.NONE.apply(bgr, 3, 2)).isSameAs(bgr);
  }

  // ---- audio streams ----

  /**
   * Issue 12 item 6: a silent first stream and speech (here a tone) in the second, marked default.
   */
  @Test
  void theDefaultAudioStreamIsAnalysedNotTheFirst() throws Exception {
    Path file = twoAudioStreams(dir.resolve("two.mkv"), 1);
    assertThat(rms(demuxAudio(file, Map.of(), null)))
        .as("the default (second) stream: the tone")
        .isGreaterThan(1_000);
  }

  @Test
  void aDefaultFirstStreamStaysTheChoice() throws Exception {
    Path file = twoAudioStreams(dir.resolve("first-default.mkv"), 0);
    assertThat(rms(demuxAudio(file, Map.of(), null))).isLessThan(1);
  }

  @Test
  void theUserCanNameTheAudioStreamAndANumberTooHighIsAClearError() throws Exception {
    Path file = twoAudioStreams(dir.resolve("two.mkv"), 1);
    assertThat(rms(demuxAudio(file, Map.of(), 0))).as("the silent stream, as asked").isLessThan(1);
    assertThat(rms(demuxAudio(file, Map.of("EMOSTREAM_AUDIO_STREAM", "0"), null))).isLessThan(1);
    assertThat(rms(demuxAudio(file, Map.of("EMOSTREAM_AUDIO_STREAM", "0"), 1)))
        .as("the upload's choice wins")
        .isGreaterThan(1_000);
    assertThatThrownBy(() -> demuxAudio(file, Map.of(), 2))
        .isInstanceOf(IngestException.class)
        .hasMessage(
            "'two.mkv' has 2 audio stream(s); audio stream 2 (counted from 0: audioStream, "
                + "EMOSTREAM_AUDIO_STREAM) does not exist");
  }

  private static short[] demuxAudio(Path file, Map<String, String> env, Integer audioStream) {
    List<DemuxedClip> clips = new ArrayList<>();
    new VideoDemuxer(config(env)).demux(file, ChannelSelection.MIXED, audioStream, clips::add);
    assertThat(clips).isNotEmpty();
    ByteBuffer pcm = ByteBuffer.wrap(clips.get(0).pcm16le()).order(ByteOrder.LITTLE_ENDIAN);
    short[] samples = new short[pcm.remaining() / 2];
    pcm.asShortBuffer().get(samples);
    assertThat(samples.length).isGreaterThan(8_000);
    return samples;
  }

  private static double rms(short[] samples) {
    double sum = 0;
    for (short s : samples) {
      sum += (double) s * s;
    }
    return Math.sqrt(sum / samples.length);
  }

  /**
   * Two seconds of 16 kHz mono PCM in Matroska, two audio streams written with FFmpeg's muxer API
   * (JavaCV's recorder writes one): stream 0 silent, stream 1 a 440 Hz tone; only {@code
   * defaultStream} has the default disposition.
   */
  static Path twoAudioStreams(Path file, int defaultStream) {
    int rate = 16_000;
    int samples = 2 * rate;
    AVFormatContext format = new AVFormatContext(null);
    check(avformat_alloc_output_context2(format, null, "matroska", file.toString()), "alloc");
    AVStream[] streams = new AVStream[2];
    for (int i = 0; i < 2; i++) {
      streams[i] = avformat_new_stream(format, null);
      AVCodecParameters par = streams[i].codecpar();
      par.codec_type(AVMEDIA_TYPE_AUDIO);
      par.codec_id(AV_CODEC_ID_PCM_S16LE);
      par.format(AV_SAMPLE_FMT_S16);
      par.sample_rate(rate);
      par.bits_per_coded_sample(16);
      par.block_align(2);
      av_channel_layout_default(par.ch_layout(), 1);
      streams[i].time_base(av_make_q(1, rate));
      streams[i].disposition(i == defaultStream ? AV_DISPOSITION_DEFAULT : 0);
    }
    AVIOContext io = new AVIOContext(null);
    check(avio_open(io, file.toString(), AVIO_FLAG_WRITE), "open");
    format.pb(io);
    check(avformat_write_header(format, (AVDictionary) null), "header");
    AVRational sampleBase = av_make_q(1, rate);
    int chunk = rate / 10;
    for (int offset = 0; offset < samples; offset += chunk) {
      for (int i = 0; i < 2; i++) {
        ByteBuffer bytes = ByteBuffer.allocate(chunk * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < chunk; n++) {
          bytes.putShort(
              i == 1 ? (short) (8_000 * Math.sin(2 * Math.PI * 440 * (offset + n) / rate)) : 0);
        }
        AVPacket packet = av_packet_alloc();
        check(av_new_packet(packet, chunk * 2), "packet");
        packet.data().put(bytes.array());
        packet.stream_index(i);
        long pts = av_rescale_q(offset, sampleBase, streams[i].time_base());
        packet.pts(pts);
        packet.dts(pts);
        packet.duration(av_rescale_q(chunk, sampleBase, streams[i].time_base()));
        check(av_interleaved_write_frame(format, packet), "write");
        av_packet_free(packet);
      }
    }
    check(av_write_trailer(format), "trailer");
    avio_closep(format.pb());
    avformat_free_context(format);
    return file;
  }

  private static void check(int ret, String what) {
    assertThat(ret).as("FFmpeg %s", what).isGreaterThanOrEqualTo(0);
  }

  // ---- pictures ----

  private static BufferedImage firstFrame(Path video) throws Exception {
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile());
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      grabber.start();
      BufferedImage frame = converter.convert(grabber.grabImage());
      BufferedImage copy =
          new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
      copy.getGraphics().drawImage(frame, 0, 0, null);
      return copy;
    }
  }

  /** Java2D's own rotation (not the code under test). */
  static BufferedImage turnClockwise(BufferedImage image, int degrees) {
    int quarter = Math.floorMod(degrees / 90, 4);
    int w = image.getWidth();
    int h = image.getHeight();
    boolean swaps = quarter % 2 == 1;
    BufferedImage out = new BufferedImage(swaps ? h : w, swaps ? w : h, BufferedImage.TYPE_INT_RGB);
    AffineTransform turn = new AffineTransform();
    switch (quarter) {
      case 1 -> turn.setTransform(0, 1, -1, 0, h, 0);
      case 2 -> turn.setTransform(-1, 0, 0, -1, w, h);
      case 3 -> turn.setTransform(0, -1, 1, 0, 0, w);
      default -> {}
    }
    Graphics2D g = out.createGraphics();
    g.drawImage(image, turn, null);
    g.dispose();
    return out;
  }

  /**
   * One second at 10 fps of {@code frame}, MPEG-4 in MP4, with a display matrix of {@code degrees}
   * unless 0.
   */
  private static Path writeVideo(Path file, BufferedImage frame, int degrees) throws Exception {
    try (FFmpegFrameRecorder recorder =
            new FFmpegFrameRecorder(file.toFile(), frame.getWidth(), frame.getHeight(), 0);
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      recorder.setFormat("mp4");
      recorder.setVideoCodec(AV_CODEC_ID_MPEG4);
      recorder.setVideoQuality(2);
      recorder.setFrameRate(10);
      if (degrees != 0) {
        recorder.setDisplayRotation(degrees);
      }
      recorder.start();
      // JavaCV records 3-byte BGR pictures as such (an INT_RGB one would be taken for another pixel
      // format).
      BufferedImage bgr =
          new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
      bgr.getGraphics().drawImage(frame, 0, 0, null);
      for (int i = 0; i < 10; i++) {
        recorder.record(converter.convert(bgr));
      }
      recorder.stop();
    }
    return file;
  }

  /** Mean absolute difference per channel (0-255) of two same-sized pictures. */
  private static double meanAbsDifference(BufferedImage a, BufferedImage b) {
    assertThat(a.getWidth()).isEqualTo(b.getWidth());
    assertThat(a.getHeight()).isEqualTo(b.getHeight());
    long sum = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
        }
      }
    }
    return sum / (3.0 * a.getWidth() * a.getHeight());
  }
}
