package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceKind;
import io.emostream.testkit.TestMedia;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input over HTTP against the real demuxer (the publisher is replaced by a list, so no broker
 * is needed): each gets a 4xx with a JSON body naming the problem, no stack trace and no server
 * path, nothing is published for it, and the service still answers a good upload afterwards.
 */
class IngestBadInputTest {

  static final Path SAMPLE = Path.of("../samples/happy-speech.mp4");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @TempDir Path workDir;

  private final List<DemuxedClip> published = new ArrayList<>();
  private IngestHttpServer http;

  @AfterEach
  void stop() {
    if (http != null) {
      http.close(Duration.ofSeconds(5));
    }
  }

  /** The HTTP front with the real demuxer; "publishing" adds the clips to {@link #published}. */
  private String start(Map<String, String> vars) throws Exception {
    Map<String, String> env = new HashMap<>(vars);
    env.put("EMOSTREAM_WORK_DIR", workDir.toString());
    env.put("EMOSTREAM_SEGMENT_SECONDS", "2");
    env.put("EMOSTREAM_FRAMES_PER_SEGMENT", "4");
    IngestConfig config = IngestConfig.fromEnv(new Env(env)).withHttp("127.0.0.1", 0);
    VideoDemuxer demuxer = new VideoDemuxer(config);
    http =
        new IngestHttpServer(
            config,
            new Ingestor() {
              @Override
              public IngestService.Result ingest(
                  Path file, String name, FusionRule rule, ChannelSelection channels) {
                return ingest(file, name, rule, channels, null);
              }

              @Override
              public IngestService.Result ingest(
                  Path file,
                  String name,
                  FusionRule rule,
                  ChannelSelection channels,
                  Integer audioStream) {
                return keep(name, sink -> demuxer.demux(file, channels, audioStream, sink));
              }

              /** A Matroska body is streamed (StreamSniffer): demuxed while it arrives. */
              @Override
              public IngestService.Result ingest(
                  MediaStream stream,
                  String name,
                  FusionRule rule,
                  ChannelSelection channels,
                  Integer audioStream,
                  String sourceId,
                  SourceKind kind,
                  String retryKey) {
                return keep(name, sink -> demuxer.demux(stream, name, channels, audioStream, sink));
              }

              private IngestService.Result keep(
                  String name, Consumer<Consumer<DemuxedClip>> demux) {
                List<DemuxedClip> clips = new ArrayList<>();
                demux.accept( // each clip "published" as it comes, as the service's transactions do
                    clip -> {
                      clips.add(clip);
                      published.add(clip);
                    });
                List<IngestService.Clip> out =
                    clips.stream()
                        .map(
                            c ->
                                new IngestService.Clip(
                                    "s-" + c.index(),
                                    c.index(),
                                    c.startMs(),
                                    c.endMs(),
                                    List.of(),
                                    c.speakerRole()))
                        .toList();
                return new IngestService.Result("s", name, out);
              }
            });
    http.start();
    return "http://127.0.0.1:" + http.port();
  }

  private String start() throws Exception {
    return start(Map.of());
  }

  static HttpResponse<String> post(
      String base, String query, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/clips?" + query))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The rejection: status, a JSON error naming the problem, no stack trace or path, nothing
   * published, still up.
   */
  private void assertRejected(
      String base, HttpResponse<String> response, int status, String problem) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("error").asText()).contains(problem);
    assertThat(response.body())
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain(".java")
        .doesNotContain(workDir.toString())
        .doesNotContain(dir.toString())
        .doesNotContain("upload-")
        .doesNotContain("/tmp");
    assertThat(published).as("nothing is published for a rejected upload").isEmpty();
    try (Stream<Path> left = Files.list(workDir)) {
      assertThat(left).as("the spooled upload is deleted").isEmpty();
    }
    byte[] goodMedia =
        Files.readAllBytes(TestMedia.writeToneWav(dir.resolve("good.wav"), 16_000, 1.0));
    HttpResponse<String> good = post(base, "name=good.wav", "audio/wav", goodMedia);
    assertThat(good.statusCode()).as("the service still takes a good upload").isEqualTo(201);
    assertThat(published).isNotEmpty();
    published.clear();
  }

  /**
   * A query parameter {@code POST /clips} does not take, or one given twice, is refused before the
   * body is read: a mistyped {@code sourceid} was ignored (the upload got a new source id instead
   * of the caller's), and {@code rule=average&rule=rule-based} took the last (a hostile-user pass).
   */
  @Test
  void anUnknownOrRepeatedQueryParameterIs400() throws Exception {
    String base = start();
    byte[] wav = Files.readAllBytes(TestMedia.writeToneWav(dir.resolve("t.wav"), 16_000, 1.0));
    assertRejected(
        base,
        post(base, "name=a.wav&sourceid=call-1", "audio/wav", wav),
        400,
        "unknown query parameter 'sourceid' (did you mean 'sourceId'?); accepted: name, rule,"
            + " channel, audioStream, sourceId");
    assertRejected(
        base,
        post(base, "name=a.wav&segmentSeconds=-1", "audio/wav", wav),
        400,
        "unknown query parameter 'segmentSeconds'; accepted:");
    assertRejected(
        base, post(base, "bogus", "audio/wav", wav), 400, "unknown query parameter 'bogus'");
    assertRejected(
        base,
        post(base, "rule=average&rule=rule-based", "audio/wav", wav),
        400,
        "query parameter 'rule' is given more than once");
    // Java's HTTP client will not send one: the parser itself (its message answers the 400)
    assertThatThrownBy(() -> HttpAnswers.query("name=%zz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the query has a malformed %-escape in 'name=%zz'; write % as %25");
  }

  /** Unicode's bidirectional controls in a name are dropped: they reorder the operator's log. */
  @Test
  void aNamesBidirectionalControlsAreDropped() {
    assertThat(RequestChecks.displayName("invoice\u202Egpj.exe")).isEqualTo("invoicegpj.exe");
    assertThat(RequestChecks.displayName("ünïcødé 😀.mp4")).isEqualTo("ünïcødé 😀.mp4");
  }

  @Test
  void anEmptyUploadIs400() throws Exception {
    String base = start();
    assertRejected(
        base, post(base, "name=call.mp4", "video/mp4", new byte[0]), 400, "'call.mp4' is empty");
  }

  @Test
  void randomBytesAre400() throws Exception {
    String base = start();
    byte[] junk = new byte[50_000];
    new Random(11).nextBytes(junk);
    assertRejected(
        base,
        post(base, "name=junk.mp4", "video/mp4", junk),
        400,
        "'junk.mp4' is not a media file FFmpeg can read");
  }

  /**
   * Defined partial handling: happy-speech.mp4 has its index (moov) first, so cut at 30 % it still
   * opens and yields whole clips for the samples it holds (each published in its own transaction by
   * the real service), and the answer is a 400 that says the file ends short of its declared
   * duration and how many clips were published (the real service's answer lists them); cut inside
   * the index it cannot be opened and is refused, saying it is an MP4 without its index (not "not a
   * media file": a recording copied before it finished, whose index comes last, reads the same).
   */
  @Test
  void aTruncatedMp4GivesTheClipsItHoldsAndSaysSoOrIs400WhenItsIndexIsCut() throws Exception {
    String base = start();
    byte[] whole = Files.readAllBytes(SAMPLE);
    HttpResponse<String> partial =
        post(base, "name=cut.mp4", "video/mp4", Arrays.copyOf(whole, whole.length * 3 / 10));
    assertThat(partial.statusCode()).as(partial.body()).isEqualTo(400);
    assertThat(partial.body())
        .contains(
            "'cut.mp4' ends at ",
            " s of the 4.5 s its container declares: the file is truncated or damaged",
            "(1 clip(s) before it were published)");
    assertThat(published)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.index()).isZero();
              assertThat(c.pcm16le().length / 2).isLessThan(VideoDemuxer.SAMPLE_RATE * 2);
            });
    published.clear();
    assertRejected(
        base,
        post(base, "name=cut.mp4", "video/mp4", Arrays.copyOf(whole, 2_000)),
        400,
        "'cut.mp4' is an MP4/MOV file without its index (the moov box a recorder writes at the"
            + " end): truncated or damaged");
  }

  @Test
  void aOneFrameVideoSaysItIsTooShort() throws Exception {
    String base = start();
    ByteArrayOutputStream oneFrame = new ByteArrayOutputStream();
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(oneFrame, 64, 48, 0)) {
      record(recorder, 1);
    }
    assertRejected(
        base,
        post(base, "name=one.mkv", "video/x-matroska", oneFrame.toByteArray()),
        400,
        "'one.mkv' holds only 1 decoded frame(s), 0.00 s of media: too short to sample a frame");
    assertThat(published).isEmpty();
  }

  @Test
  void aStillImageIsRefusedAsNotAVideo() throws Exception {
    String base = start();
    assertRejected(
        base,
        post(base, "name=face.png", "video/mp4", image("png")),
        400,
        "'face.png' is a still image (png), not a video");
    assertRejected(
        base,
        post(base, "name=face.jpg", "application/octet-stream", image("jpeg")),
        400,
        "'face.jpg' is a still image (jpeg), not a video");
  }

  /**
   * A YUV4MPEG2 header announcing 8000x8000 frames (the frame data itself is left out: it is never
   * read).
   */
  @Test
  void framesOverThePixelLimitAre400BeforeAnythingIsDecoded() throws Exception {
    String base = start();
    byte[] y4m =
        "YUV4MPEG2 W8000 H8000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".getBytes(StandardCharsets.US_ASCII);
    byte[] body = Arrays.copyOf(y4m, y4m.length + 4096);
    assertRejected(
        base,
        post(base, "name=huge.y4m", "video/x-yuv4mpeg", body),
        400,
        "'huge.y4m' has 8000x8000 frames, more than the limit of 33177600 pixels (EMOSTREAM_MAX_FRAME_PIXELS)");
  }

  @Test
  void thePixelLimitIsConfigurable() throws Exception {
    String base = start(Map.of("EMOSTREAM_MAX_FRAME_PIXELS", Integer.toString(320 * 240 - 1)));
    HttpResponse<String> response =
        post(base, "name=call.mp4", "video/mp4", Files.readAllBytes(SAMPLE));
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("has 320x240 frames, more than the limit of 76799 pixels");
    assertThat(published).isEmpty();
  }

  /**
   * The limit is read from the container's duration before anything is decoded. (A WAV header
   * claiming hours over a short file does not get that far: FFmpeg takes the duration from the file
   * size, seen in this test's first form.)
   */
  @Test
  void aSourceOverTheDurationLimitIs400BeforeAnythingIsDecoded() throws Exception {
    String base = start(Map.of("EMOSTREAM_MAX_DURATION_SECONDS", "3"));
    assertRejected(
        base,
        post(base, "name=long.mp4", "video/mp4", Files.readAllBytes(SAMPLE)),
        400,
        "'long.mp4' lasts 4 s, longer than the limit of 3 s (EMOSTREAM_MAX_DURATION_SECONDS)");
  }

  /**
   * A stream whose header gives no duration (Matroska written to a pipe: no Duration element, as a
   * live recorder writes it) is stopped by the same limit while it is decoded; the answer says how
   * many clips were cut before that.
   */
  @Test
  void aStreamWithoutADurationIsStoppedAtTheLimitWhileDecoding() throws Exception {
    String base = start(Map.of("EMOSTREAM_MAX_DURATION_SECONDS", "3"));
    ByteArrayOutputStream live = new ByteArrayOutputStream();
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(live, 64, 48, 0)) {
      record(recorder, 70);
    }
    HttpResponse<String> response =
        post(base, "name=live.mkv", "video/x-matroska", live.toByteArray());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).get("error").asText())
        .isEqualTo(
            "'live.mkv' is longer than the limit of 3 s (EMOSTREAM_MAX_DURATION_SECONDS); decoding stopped "
                + "there (1 clip(s) before it were published)");
    assertThat(published).hasSize(1); // clip 0, complete before the limit, stays published
  }

  @Test
  void aWrongContentTypeIs415() throws Exception {
    String base = start();
    assertRejected(
        base,
        post(base, "name=call.mp4", "text/html", Files.readAllBytes(SAMPLE)),
        415,
        "Content-Type 'text/html' is not accepted");
  }

  @Test
  void anEncodedBodyIs415AndAMissingContentTypeSaysSo() throws Exception {
    String base = start();
    byte[] media = Files.readAllBytes(SAMPLE);
    Map<String, String> refused = new LinkedHashMap<>(); // Content-Type → what the answer says
    refused.put("", "no Content-Type; send video/*");
    refused.put(";", "is not accepted; send video/*");
    refused.put(" ;", "is not accepted; send video/*");
    refused.put("; charset=x", "is not accepted; send video/*");
    for (Map.Entry<String, String> e : refused.entrySet()) {
      String type = e.getKey().isEmpty() ? null : e.getKey();
      assertRejected(base, post(base, "name=call.mp4", type, media), 415, e.getValue());
    }
    String[][] encoded = {
      {"Content-Encoding", "gzip"},
      {"Content-Encoding", "identity, gzip"},
      {"Content-Encoding", "identity", "Content-Encoding", "gzip"}
    };
    for (String[] headers : encoded) {
      assertRejected(
          base,
          post(base, "name=call.mp4", "video/mp4", media, headers),
          415,
          "Content-Encoding 'gzip' is not accepted");
    }
    HttpResponse<String> identity =
        post(base, "name=call.mp4", "video/mp4", media, "Content-Encoding", "identity");
    assertThat(identity.statusCode()).as(identity.body()).isEqualTo(201);
  }

  @Test
  void anOversizedUploadIs413() throws Exception {
    String base = start(Map.of("EMOSTREAM_MAX_UPLOAD_BYTES", "200000"));
    byte[] big = new byte[300_000];
    new Random(3).nextBytes(big);
    assertRejected(
        base,
        post(base, "name=big.mp4", "video/mp4", big),
        413,
        "upload larger than the limit of 200000 bytes");
  }

  @Test
  void audioOnlyIsAcceptedAsAudioOnlyClips() throws Exception {
    String base = start();
    byte[] wav = Files.readAllBytes(TestMedia.writeToneWav(dir.resolve("tone.wav"), 44_100, 2.5));
    HttpResponse<String> response = post(base, "name=tone.wav", "audio/wav", wav);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    assertThat(JSON.readTree(response.body()).get("clips").size()).isEqualTo(1);
    assertThat(published)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.hasAudio()).isTrue();
              assertThat(c.hasVideo()).isFalse();
            });
  }

  @Test
  void videoOnlyIsAcceptedAsVideoOnlyClips() throws Exception {
    String base = start();
    HttpResponse<String> response =
        post(base, "name=silent.mkv", "video/x-matroska", videoOnly(dir.resolve("v.mkv")));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    assertThat(published)
        .hasSize(2)
        .allSatisfy(
            c -> {
              assertThat(c.hasAudio()).isFalse();
              assertThat(c.hasVideo()).isTrue();
              assertThat(c.frames()).isNotEmpty();
              assertThat(c.pcm16le()).isEmpty();
            });
  }

  /** Issue 12 item 6 over HTTP: the default stream without a parameter, the named one with it. */
  @Test
  void anUploadWithTwoAudioStreamsIsAnalysedOnItsDefaultStreamOrTheOneNamed() throws Exception {
    String base = start();
    byte[] two =
        Files.readAllBytes(
            VideoDemuxerOrientationAndStreamsTest.twoAudioStreams(dir.resolve("two.mkv"), 1));
    HttpResponse<String> byDefault = post(base, "name=two.mkv", "video/x-matroska", two);
    assertThat(byDefault.statusCode()).as(byDefault.body()).isEqualTo(201);
    assertThat(peak(published.get(0).pcm16le()))
        .as("the default stream: the tone")
        .isGreaterThan(7_000);
    published.clear();
    HttpResponse<String> named = post(base, "name=two.mkv&audioStream=0", "video/x-matroska", two);
    assertThat(named.statusCode()).as(named.body()).isEqualTo(201);
    assertThat(peak(published.get(0).pcm16le())).as("stream 0, as named: silence").isZero();
  }

  @Test
  void anAudioStreamTheFileLacksIs400() throws Exception {
    String base = start();
    byte[] two =
        Files.readAllBytes(
            VideoDemuxerOrientationAndStreamsTest.twoAudioStreams(dir.resolve("two.mkv"), 1));
    assertRejected(
        base,
        post(base, "name=two.mkv&audioStream=2", "video/x-matroska", two),
        400,
        "'two.mkv' has 2 audio stream(s); audio stream 2 (counted from 0: audioStream, EMOSTREAM_AUDIO_STREAM) does "
            + "not exist");
    assertRejected(
        base,
        post(base, "name=two.mkv&audioStream=second", "video/x-matroska", two),
        400,
        "audioStream 'second' is not accepted; give the audio stream's number among the file's audio streams, from 0");
  }

  private static int peak(byte[] pcm16le) {
    ByteBuffer samples = ByteBuffer.wrap(pcm16le).order(ByteOrder.LITTLE_ENDIAN);
    int peak = 0;
    while (samples.remaining() >= 2) {
      peak = Math.max(peak, Math.abs(samples.getShort()));
    }
    return peak;
  }

  /**
   * Three seconds of 64x48 MPEG-4 video at 10 fps in Matroska, no audio stream, written with
   * JavaCV.
   */
  static byte[] videoOnly(Path file) throws Exception {
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 64, 48, 0)) {
      record(recorder, 30);
    }
    return Files.readAllBytes(file);
  }

  /** {@code frames} frames of 64x48 MPEG-4 at 10 fps in Matroska, no audio. */
  static void record(FFmpegFrameRecorder recorder, int frames) throws Exception {
    try (Java2DFrameConverter converter = new Java2DFrameConverter()) {
      recorder.setFormat("matroska");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
      recorder.setFrameRate(10);
      recorder.start();
      for (int i = 0; i < frames; i++) {
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(i * 3 % 256, 100, 200));
        g.fillRect(0, 0, 64, 48);
        g.dispose();
        recorder.record(converter.convert(image));
      }
      recorder.stop();
    }
  }

  static byte[] image(String format) throws Exception {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.ORANGE);
    g.fillOval(8, 4, 48, 40);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }
}
