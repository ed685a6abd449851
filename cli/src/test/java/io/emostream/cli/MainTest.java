package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.IngestException;
import io.emostream.ingest.IngestService;
import io.emostream.ingest.Ingestor;
import io.emostream.ingest.MediaStream;
import io.emostream.ingest.PartlyIngestedException;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.schemas.SourceKind;
import io.emostream.testkit.TestMedia;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MainTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return runWith(Map.of(), args);
  }

  private int runWith(Map<String, String> env, String... args) {
    return new Main(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new Env(env),
            Path.of(".."))
        .run(args);
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** One line that says what to do, no usage dump and no trace. */
  private void assertOneReadableLine(String... fragments) {
    String text = errText();
    assertThat(text.lines().count()).as(text).isEqualTo(1);
    assertThat(text)
        .startsWith("emostream: ")
        .contains(fragments)
        .doesNotContain("Exception", "\tat ", "usage:");
  }

  @Test
  void aMissingModelIsNamedWithTheVariableToSetBeforeAnythingStarts() {
    assertThat(
            runWith(
                Map.of("EMOSTREAM_AUDIO_MODEL", "no/such/manifest.json"),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine(
        "audio model manifest no/such/manifest.json does not exist", "set EMOSTREAM_AUDIO_MODEL");
  }

  @Test
  void aMissingOrMisconfiguredVoiceActivityModelIsOneLineBeforeAnythingStarts() {
    assertThat(
            runWith(
                Map.of("EMOSTREAM_VAD_MODEL", "no/such/vad.onnx"),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine(
        "voice-activity model no/such/vad.onnx does not exist",
        "EMOSTREAM_VAD_MODEL",
        "EMOSTREAM_VAD=off");
    err.reset();
    assertThat(
            runWith(
                Map.of("EMOSTREAM_VAD_THRESHOLD", "1.5"), "analyze", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("EMOSTREAM_VAD_THRESHOLD='1.5' is not valid");
    err.reset();
    assertThat(
            runWith(
                Map.of("EMOSTREAM_FACE_DETECT_EVERY", "0"),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("EMOSTREAM_FACE_DETECT_EVERY='0' is not valid");
    err.reset();
    assertThat(
            runWith(
                Map.of("EMOSTREAM_FACE_DETECT_SIDE", "300"),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("EMOSTREAM_FACE_DETECT_SIDE='300' is not valid");
  }

  /** A bad tracing setting is refused before the platform starts, as every other bad setting. */
  @Test
  void aBadTracingSettingIsRefusedBeforeAnythingStarts() {
    assertThat(
            runWith(
                Map.of("EMOSTREAM_TRACING", "jaeger"), "analyze", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("EMOSTREAM_TRACING='jaeger' is not valid", "expected otlp");
  }

  @Test
  void aModelWhoseOnnxFileIsMissingSaysSo(@TempDir Path dir) throws Exception {
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(
        manifest, Files.readString(Path.of("../models/fer-mobilefacenet/manifest.json")));
    assertThat(
            runWith(
                Map.of("EMOSTREAM_VIDEO_MODEL", manifest.toString()),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("video model file", "does not exist", "EMOSTREAM_VIDEO_MODEL");
  }

  @Test
  void upOnAPortInUseNamesThePortAndTheVariable() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String port = Integer.toString(busy.getLocalPort());
      assertThat(runWith(Map.of("EMOSTREAM_KAFKA_PORT", port), "up")).isEqualTo(2);
      assertOneReadableLine(
          "Kafka port " + port + " on 127.0.0.1 is already in use", "EMOSTREAM_KAFKA_PORT");
    }
  }

  /** A host that is not an address of this machine was reported as a port in use. */
  @Test
  void upOnAHostItCannotListenOnNamesTheHostVariable() throws Exception {
    assertThat(runWith(Map.of("EMOSTREAM_KAFKA_HOST", "nohost.invalid"), "up")).isEqualTo(2);
    assertOneReadableLine(
        "Kafka host 'nohost.invalid' (EMOSTREAM_KAFKA_HOST) is not a known address",
        "an address of this machine");
  }

  /** Kafka gives its clients its host to connect to: the wildcard failed deep in Kafka. */
  @Test
  void upWithKafkaOnTheWildcardAddressSaysClientsCannotReachIt() throws Exception {
    assertThat(runWith(Map.of("EMOSTREAM_KAFKA_HOST", "0.0.0.0"), "up")).isEqualTo(2);
    assertOneReadableLine(
        "Kafka host '0.0.0.0' (EMOSTREAM_KAFKA_HOST) is the wildcard address", "can reach");
  }

  /**
   * With roles, a run takes the customer's channel: a file of more than two channels is refused
   * before the platform starts, naming the roles (it failed in the run, exit 1).
   */
  @Test
  void withRolesAFileOfMoreThanTwoChannelsIsRefusedBeforeAnythingStarts(@TempDir Path dir)
      throws Exception {
    double[][] six = new double[6][];
    for (int c = 0; c < 6; c++) {
      six[c] = new double[] {300 + 100 * c, 3_000};
    }
    Path surround = TestMedia.writeWav(dir.resolve("5.1.wav"), 16_000, 1.0, six);
    assertThat(
            runWith(
                Map.of("EMOSTREAM_CHANNEL_ROLES", "left:agent,right:customer"),
                "analyze",
                surround.toString()))
        .isEqualTo(2);
    assertOneReadableLine(
        "channel right takes the sides of a stereo call", "EMOSTREAM_CHANNEL_ROLES");
  }

  @Test
  void upOnAnAddressOfAnotherMachineNamesTheHostVariable() throws Exception {
    // TEST-NET-1 (RFC 5737): a valid address no machine here has
    assertThat(runWith(Map.of("EMOSTREAM_KAFKA_HOST", "192.0.2.1"), "up")).isEqualTo(2);
    assertOneReadableLine("Kafka cannot listen on 192.0.2.1 port", "EMOSTREAM_KAFKA_HOST");
  }

  @Test
  void upOnAnHttpPortInUseNamesIt() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int freePort = free.getLocalPort();
      free.close();
      String port = Integer.toString(busy.getLocalPort());
      assertThat(
              runWith(
                  Map.of(
                      "EMOSTREAM_HTTP_PORT",
                      port,
                      "EMOSTREAM_KAFKA_PORT",
                      Integer.toString(freePort)),
                  "up"))
          .isEqualTo(2);
      assertOneReadableLine("ingest HTTP port " + port, "EMOSTREAM_HTTP_PORT");
    }
  }

  @Test
  void aBadChannelNamesTheAcceptedOnes() {
    assertThat(run("analyze", "--channel", "center", "../samples/happy-speech.mp4")).isEqualTo(2);
    assertOneReadableLine("unknown audio channel 'center'", "mix, left, right, both");
  }

  @Test
  void aReportInAMissingFolderIsRefusedBeforeTheWork() {
    assertThat(run("analyze", "--report", "no/such/dir/r.html", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("cannot write the report to no/such/dir/r.html", "--report");
  }

  @Test
  void aReportPathThatIsAFolderIsRefusedBeforeTheWork(@TempDir Path dir) {
    assertThat(run("analyze", "--report", dir.toString(), "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("--report " + dir + " is a folder", "report.html");
    assertThat(run("evaluate", "--report", dir.toString(), "../samples/labelled")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--report " + dir + " is a folder");
  }

  @Test
  void aMissingListNamesIt() {
    assertThat(run("analyze", "@no-such-list.txt")).isEqualTo(2);
    assertOneReadableLine("no such list file: no-such-list.txt");
    err.reset();
    assertThat(run("analyze", "--from", "no-such-list.txt")).isEqualTo(2);
    assertOneReadableLine("no such list file");
  }

  @Test
  void withoutArgumentsPrintsUsage() {
    assertThat(run()).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("usage: emostream analyze");
  }

  @Test
  void standardInputCanBeReadOnce() {
    assertThat(run("analyze", "-", "-")).isEqualTo(2);
    assertThat(errText())
        .startsWith("emostream: - (standard input) can be given once")
        .doesNotContain("Exception");
  }

  /**
   * {@code analyze -}: standard input goes to the ingestor as a stream named stdin, with the source
   * id chosen before (so its results are recognised while it is read); a failure after some clips
   * keeps their ids, so their results are still awaited.
   */
  @Test
  void standardInputIsIngestedAsAStreamWithItsSourceId(@TempDir Path dir) throws Exception {
    Path a = Files.writeString(dir.resolve("a.mp4"), "x");
    AnalyzeCommand.AnalyzeArgs args = AnalyzeCommand.parse(List.of(a.toString(), "-"));
    assertThat(args.files()).containsExactly(a, AnalyzeCommand.STDIN);
    byte[] piped = "piped media".getBytes(StandardCharsets.UTF_8);
    List<String> calls = new ArrayList<>();
    Set<String> clipIds = new LinkedHashSet<>();
    Ingestor ingestor =
        new Ingestor() {
          @Override
          public IngestService.Result ingest(
              Path file, String name, FusionRule rule, ChannelSelection channels) {
            calls.add("file " + name);
            return new IngestService.Result("s-a", name, List.of());
          }

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
            try {
              calls.add(
                  "stream "
                      + name
                      + " "
                      + sourceId
                      + " "
                      + new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            throw new PartlyIngestedException(
                new IngestException("the input ended mid-clip"),
                new IngestService.Result(
                    sourceId,
                    name,
                    List.of(
                        new IngestService.Clip(
                            "piped-00000", 0, 0, 4_000, List.of(Modality.AUDIO), null))));
          }
        };

    int failed =
        AnalyzeCommand.ingestAll(
            ingestor,
            args,
            ChannelSelection.parse(null, null),
            clipIds,
            new Progress(
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false,
                "ingest",
                "files",
                2,
                System::nanoTime),
            new AnalyzeCommand.Stdin(new ByteArrayInputStream(piped), 1_000, "piped-source"),
            null);

    assertThat(calls).containsExactly("file a.mp4", "stream stdin piped-source piped media");
    assertThat(failed).isEqualTo(1);
    assertThat(clipIds).containsExactly("piped-00000");
    assertThat(errText()).contains("emostream: stdin: the input ended mid-clip");
  }

  @Test
  void aFileNameWithTerminalEscapesIsPrintedHarmless() {
    assertThat(run("analyze", "no\u001b[2Jpe.mp4")).isEqualTo(2);
    assertThat(errText()).contains("no?[2Jpe.mp4").doesNotContain("\u001b");
  }

  @Test
  void aMissingFileIsOneReadableLineAndExitCode2() {
    assertThat(run("analyze", "no-such-video.mp4")).isEqualTo(2);
    assertOneReadableLine("no such file: no-such-video.mp4; check the path");
  }

  @Test
  void anUnknownRuleNamesTheAcceptedOnes() {
    assertThat(run("analyze", "--rule", "magic", "x.mp4")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("unknown fusion rule 'magic'")
        .contains("AVERAGE");
  }

  /**
   * {@code analyze --rule rule-based} (any case, - or _) is the rule every file is ingested with.
   */
  @Test
  void analyzeIngestsEveryFileWithTheRuleOfItsRuleFlag(@TempDir Path dir) throws Exception {
    Path a = Files.writeString(dir.resolve("a.mp4"), "x");
    Path b = Files.writeString(dir.resolve("b.wav"), "x");
    for (String spelling : new String[] {"rule-based", "Rule_Based", "RULE-BASED"}) {
      AnalyzeCommand.AnalyzeArgs args =
          AnalyzeCommand.parse(List.of("--rule", spelling, a.toString(), b.toString()));
      assertThat(args.rule()).as(spelling).isEqualTo(FusionRule.RULE_BASED);

      List<String> calls = new ArrayList<>();
      Set<String> clipIds = new LinkedHashSet<>();
      int failed =
          AnalyzeCommand.ingestAll(
              (file, name, rule, channels) -> {
                calls.add(name + " " + rule);
                return new IngestService.Result(
                    "src-" + name,
                    name,
                    List.of(
                        new IngestService.Clip(
                            "src-" + name + "-00000", 0, 0, 2_000, List.of(Modality.AUDIO), null)));
              },
              args,
              ChannelSelection.parse(null, null),
              clipIds,
              new Progress(
                  new PrintStream(err, true, StandardCharsets.UTF_8),
                  false,
                  "ingest",
                  "files",
                  2,
                  System::nanoTime));

      assertThat(failed).isZero();
      assertThat(calls).containsExactly("a.mp4 RULE_BASED", "b.wav RULE_BASED");
      assertThat(clipIds).containsExactly("src-a.mp4-00000", "src-b.wav-00000");
    }
    // without the flag: null, i.e. fusion's default (EMOSTREAM_FUSION_RULE)
    assertThat(AnalyzeCommand.parse(List.of(a.toString())).rule()).isNull();
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("unknown command 'frobnicate'")
        .contains("./emostream --help")
        .doesNotContain("usage:");
  }

  @Test
  void evaluateNeedsADirectoryWithLabelledFiles(@TempDir Path dir) throws Exception {
    assertThat(run("evaluate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("evaluate needs a directory");

    Files.writeString(dir.resolve("holiday.wav"), "x");
    assertThat(run("evaluate", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("holiday.wav: not named by the RAVDESS, CREMA-D, EmoDB, TESS or SAVEE")
        .contains("no labelled media files");

    Files.writeString(dir.resolve("03a04Lc.flv"), "x");
    assertThat(run("evaluate", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("03a04Lc.flv: EmoDB boredom (L) has no canonical label " + "(left out)");
  }

  @Test
  void aLabelsFileThatDoesNotMatchTheDirectoryIsOneLineBeforeAnythingStarts(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("call.wav"), "x");
    Files.writeString(
        dir.resolve("labels.csv"), "file,label,speaker\ncall.wav,sad,s1\nmissing.wav,happy,s2\n");
    assertThat(run("evaluate", dir.toString())).isEqualTo(2);
    assertOneReadableLine("labels.csv line 3: no media file missing.wav in " + dir);

    err.reset();
    Files.writeString(dir.resolve("03-01-05-01-02-01-12.wav"), "x"); // angry by its RAVDESS name
    Files.writeString(
        dir.resolve("labels.csv"), "file,label,speaker\n03-01-05-01-02-01-12.wav,sad,s1\n");
    assertThat(run("train-fusion", dir.toString())).isEqualTo(2);
    assertOneReadableLine(
        "labels.csv line 2 labels 03-01-05-01-02-01-12.wav 'sad', but its RAVDESS name says 'angry'");

    err.reset();
    Files.writeString(dir.resolve("labels.csv"), "file,label\n");
    assertThat(run("evaluate", dir.toString())).isEqualTo(2);
    assertOneReadableLine(
        "labels.csv: line 1: the first line must be the header file,label,speaker");
  }

  @Test
  void evaluateRejectsAnUnknownRuleBeforeStartingAnything(@TempDir Path dir) {
    assertThat(run("evaluate", "--rule", "median", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("unknown fusion rule 'median'")
        .contains("LOGISTIC_REGRESSION")
        .contains("or all");
  }

  @Test
  void trainFusionNeedsADirectory() {
    assertThat(run("train-fusion", "--out", "x.json")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("train-fusion needs a directory");
  }

  /**
   * Fusion would dead-letter every clip and the run would wait out its timeout: refused before
   * anything starts.
   */
  @Test
  void logisticRegressionWithoutAModelIsRefusedWithTheFix() {
    assertThat(run("analyze", "--rule", "logistic-regression", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine(
        "--rule LOGISTIC_REGRESSION needs a trained fusion model and EMOSTREAM_FUSION_LR_MODEL is not "
            + "set; train one with ./emostream train-fusion DIR",
        "or choose another rule (AVERAGE");
    err.reset();
    assertThat(
            runWith(
                Map.of("EMOSTREAM_FUSION_RULE", "LOGISTIC_REGRESSION"),
                "analyze",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("EMOSTREAM_FUSION_RULE=LOGISTIC_REGRESSION needs a trained fusion model");
    err.reset();
    assertThat(
            runWith(
                Map.of("EMOSTREAM_FUSION_LR_MODEL", "no/such/fusion-lr.json"),
                "analyze",
                "--rule",
                "logistic-regression",
                "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("no/such/fusion-lr.json", "written by ./emostream train-fusion");
  }

  /**
   * A setting the workers or ingest read only when the platform starts is refused before it starts,
   * in one line naming it, with exit code 2; so is a broker folder that cannot be made.
   */
  @ParameterizedTest
  @CsvSource({
    "EMOSTREAM_DEVICE,tpu,EMOSTREAM_DEVICE='tpu' is not valid",
    "EMOSTREAM_INFERENCE_THREADS,-2,EMOSTREAM_INFERENCE_THREADS='-2' is not valid",
    "EMOSTREAM_AUDIO_MAX_WAIT,-1,EMOSTREAM_AUDIO_MAX_WAIT='-1' is not valid",
    "EMOSTREAM_TOPIC_PREFIX,bad topic!,EMOSTREAM_TOPIC_PREFIX='bad topic!' is not valid",
    "EMOSTREAM_KAFKA_DATA_DIR,/proc/emostream-nope,EMOSTREAM_KAFKA_DATA_DIR=/proc/emostream-nope cannot be created",
    "EMOSTREAM_LABELS,'happy,sad',map to none of the canonical labels [happy, sad] (EMOSTREAM_LABELS)",
    "EMOSTREAM_LABELS,'happy,happiness,sad',name the same emotion twice"
  })
  void aServicesBadSettingIsRefusedBeforeThePlatformStarts(
      String variable, String value, String message) {
    assertThat(runWith(Map.of(variable, value), "analyze", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine(message);
  }

  @Test
  void aChannelOfAMonoFileIsRefusedWithTheFix() {
    assertThat(run("analyze", "--channel", "left", "../samples/happy-speech.mp4")).isEqualTo(2);
    assertOneReadableLine(
        "../samples/happy-speech.mp4: --channel left needs a stereo file, but 'happy-speech.mp4' has "
            + "one audio channel; leave out --channel (or use --channel mix)");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void verboseAddsTheTraceToAPreflightRefusal(@TempDir Path dir) throws Exception {
    byte[] junk = new byte[20_000];
    new Random(5).nextBytes(junk);
    Path random = Files.write(dir.resolve("random.mp4"), junk);
    assertThat(run("analyze", "--verbose", random.toString())).isEqualTo(2);
    assertThat(errText())
        .startsWith("emostream: " + random + ": 'random.mp4' is not a media file FFmpeg can read")
        .contains("IngestException", "\tat ");
  }

  /**
   * Files no request can use are refused from their headers, before the platform starts: one line
   * each naming the file and the problem, no trace, exit code 2, nothing on stdout.
   */
  @Test
  void filesThatCannotBeAnalysedAreRefusedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.mp4"));
    byte[] junk = new byte[20_000];
    new Random(5).nextBytes(junk);
    Path random = Files.write(dir.resolve("random.mp4"), junk);
    byte[] sample = Files.readAllBytes(Path.of("../samples/happy-speech.mp4"));
    Path truncated = Files.write(dir.resolve("truncated.mp4"), Arrays.copyOf(sample, 2_000));
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    Path still = dir.resolve("still.png");
    ImageIO.write(image, "png", still.toFile());
    byte[] y4m =
        "YUV4MPEG2 W8000 H8000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".getBytes(StandardCharsets.US_ASCII);
    Path huge = Files.write(dir.resolve("huge.y4m"), Arrays.copyOf(y4m, y4m.length + 4096));
    Path text = Files.writeString(dir.resolve("notes.txt"), "not a video\n");

    assertThat(
            run(
                "analyze",
                empty.toString(),
                random.toString(),
                truncated.toString(),
                still.toString(),
                huge.toString(),
                text.toString()))
        .isEqualTo(2);

    String notMedia =
        " is not a media file FFmpeg can read (expected a video such as MP4, MKV, WebM or MOV, or an "
            + "audio file)";
    assertThat(errText().lines().toList())
        .as(errText())
        .containsExactly(
            "emostream: " + empty + ": 'empty.mp4' is empty",
            "emostream: " + random + ": 'random.mp4'" + notMedia,
            "emostream: "
                + truncated
                + ": 'truncated.mp4' is an MP4/MOV file without its index (the moov box a recorder"
                + " writes at the end): truncated or damaged, e.g. copied before its recording had"
                + " finished",
            "emostream: "
                + still
                + ": 'still.png' is a still image (png), not a video; send a video or an audio file",
            "emostream: "
                + huge
                + ": 'huge.y4m' has 8000x8000 frames, more than the limit of 33177600 pixels "
                + "(EMOSTREAM_MAX_FRAME_PIXELS)",
            "emostream: " + text + ": 'notes.txt'" + notMedia);
    assertThat(out.toString(StandardCharsets.UTF_8)).as("no table: nothing ran").isEmpty();
  }

  @Test
  void jsonIsJsonLinesAndJsonArrayIsOneArrayButNotBoth() throws Exception {
    String sample = "../samples/happy-speech.mp4";
    assertThat(AnalyzeCommand.parse(List.of(sample)).output())
        .isEqualTo(AnalyzeCommand.Output.TABLE);
    assertThat(AnalyzeCommand.parse(List.of("--json", sample)).output())
        .isEqualTo(AnalyzeCommand.Output.JSON_LINES);
    assertThat(AnalyzeCommand.parse(List.of("--json-array", sample)).output())
        .isEqualTo(AnalyzeCommand.Output.JSON_ARRAY);

    assertThat(run("analyze", "--json", "--json-array", sample)).isEqualTo(2);
    assertThat(errText())
        .contains(
            "--json (JSON lines as segments are fused) and --json-array (one array at the end) "
                + "exclude each other");
  }

  @Test
  void aBadSourceIdOrOneForSeveralFilesIsOneLine(@TempDir Path dir) throws Exception {
    assertThat(run("analyze", "--source-id", "call 42", "../samples/happy-speech.mp4"))
        .isEqualTo(2);
    assertOneReadableLine(
        "--source-id: source id 'call 42' is not accepted; use 1 to 64 letters, digits");
    err.reset();
    assertThat(
            run(
                "analyze",
                "--source-id",
                "call-42",
                "../samples/happy-speech.mp4",
                "../samples/no-face-tone.mp4"))
        .isEqualTo(2);
    assertOneReadableLine("--source-id names one source, but 2 files were given");
  }

  /**
   * {@code --source-id} reaches ingest with the file; without it ingest is asked for a generated id
   * (null).
   */
  @Test
  void aSourceIdReachesIngest() throws Exception {
    List<String> ids = new ArrayList<>();
    Ingestor ingestor =
        new Ingestor() {
          @Override
          public IngestService.Result ingest(
              Path file, String name, FusionRule rule, ChannelSelection channels) {
            throw new AssertionError("the source id must be passed on");
          }

          @Override
          public IngestService.Result ingest(
              Path file,
              String name,
              FusionRule rule,
              ChannelSelection channels,
              Integer audioStream,
              String sourceId) {
            ids.add(sourceId);
            return new IngestService.Result(String.valueOf(sourceId), name, List.of());
          }
        };
    Progress progress =
        new Progress(
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false,
            "ingest",
            "files",
            1,
            System::nanoTime);
    for (List<String> args :
        List.of(
            List.of("--source-id", "call-2024.06_01", "../samples/happy-speech.mp4"),
            List.of("../samples/happy-speech.mp4"))) {
      int failed =
          AnalyzeCommand.ingestAll(
              ingestor,
              AnalyzeCommand.parse(args),
              ChannelSelection.MIXED,
              new LinkedHashSet<>(),
              progress);
      assertThat(failed).isZero();
    }
    assertThat(ids).containsExactly("call-2024.06_01", null);
  }

  private String outText() {
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Each command prints its own help, not every command's: its usage line and options, exit code 0.
   */
  @Test
  void everyCommandHasItsOwnHelp() {
    Map<String, List<String>> own =
        Map.of(
            "analyze",
                List.of("--json-array", "--source-id", "--channel", "--from", "FILE|DIR|@LIST..."),
            "up", List.of("EMOSTREAM_KAFKA_PORT", "/sources/ID", "/health/ready"),
            "evaluate", List.of("--rule=all|RULE", "--report", "--timeout", "DIR"),
            "train-fusion", List.of("--out=FILE", "fusion-lr.json", "--timeout", "DIR"),
            "vad-survey", List.of("--quiet", "--model"),
            "video-bench", List.of("--passes", "--batch", "--threads"));
    for (String command : own.keySet()) {
      out.reset();
      err.reset();
      assertThat(run(command, "--help")).as(command).isZero();
      String help = outText();
      assertThat(help)
          .as(command)
          .contains("usage: emostream " + command + " ")
          .contains("--verbose", "--help")
          .contains(own.get(command));
      own.forEach(
          (other, options) -> {
            if (!other.equals(command)) {
              assertThat(help)
                  .as(command + " help without " + other + "'s")
                  .doesNotContain("usage: emostream " + other);
            }
          });
      assertThat(errText()).as(command).isEmpty();
    }
    out.reset();
    assertThat(run("analyze", "-h")).isZero();
    assertThat(outText()).contains("--source-id").doesNotContain("--out=FILE", "--passes");
  }

  @Test
  void theTopLevelHelpListsEveryCommandAndTheExitCodes() {
    assertThat(run("--help")).isZero();
    assertThat(outText())
        .contains("usage: emostream analyze", "--version", "exit codes:", "130")
        .contains(
            " analyze ", " up ", " evaluate ", " train-fusion ", " vad-survey ", " video-bench ")
        .doesNotContain("--json-array");
  }

  /** The version is the project's, from the build; {@code -V} the same. */
  @Test
  void versionIsTheProjectVersionOfTheBuild() throws Exception {
    Matcher pom =
        Pattern.compile("<artifactId>emostream-parent</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(Files.readString(Path.of("../pom.xml")));
    assertThat(pom.find()).as("the root pom's version").isTrue();
    for (String option : new String[] {"--version", "-V"}) {
      out.reset();
      assertThat(run(option)).isZero();
      assertThat(outText().lines().findFirst()).contains("emostream " + pom.group(1));
    }
  }

  /** A mistyped command or option is a usage error that says what was probably meant. */
  @Test
  void aTypoGetsASuggestion(@TempDir Path dir) {
    assertThat(run("anlyze", "x.mp4")).isEqualTo(2);
    assertThat(errText().lines().toList())
        .containsExactly(
            "emostream: unknown command 'anlyze'; did you mean analyze?",
            "(./emostream --help lists the commands and their options)");
    assertThat(outText()).isEmpty();

    err.reset();
    assertThat(run("analyze", "--jsn", "x.mp4")).isEqualTo(2);
    assertThat(errText())
        .startsWith("emostream: unknown option '--jsn'; did you mean --json")
        .contains("(./emostream analyze --help lists its options)")
        .doesNotContain("usage:");

    err.reset();
    assertThat(run("evaluate", "--timout", "5m", dir.toString())).isEqualTo(2);
    assertThat(errText())
        .startsWith("emostream: unknown option '--timout'; did you mean --timeout?");

    err.reset();
    assertThat(run("evalute", dir.toString())).isEqualTo(2);
    assertThat(errText()).contains("did you mean evaluate, ");
  }

  /**
   * {@code --timeout} reads durations as every environment variable does ({@code
   * io.emostream.kafka.Durations}).
   */
  @Test
  void aBadDurationIsAUsageErrorNamingTheAcceptedForms(@TempDir Path dir) throws Exception {
    for (String[] args :
        new String[][] {
          {"analyze", "--timeout", "soon", "x.mp4"},
          {"analyze", "--timeout", "-5s", "x.mp4"},
          {"analyze", "--timeout", "0", "x.mp4"},
          {"evaluate", "--timeout", "1d", dir.toString()},
          {"train-fusion", "--timeout", "50 ms", dir.toString()}
        }) {
      err.reset();
      assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
      assertThat(errText())
          .as(String.join(" ", args))
          .startsWith(
              "emostream: invalid value for option '--timeout': '"
                  + args[2]
                  + "' is not a duration above 0 such as 500ms, 90s or 5m");
    }
    String sample = "../samples/happy-speech.mp4";
    assertThat(AnalyzeCommand.parse(List.of(sample)).timeout()).isEqualTo(Duration.ofSeconds(180));
    assertThat(AnalyzeCommand.parse(List.of("--timeout", "1.5m", sample)).timeout())
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(AnalyzeCommand.parse(List.of("--timeout=500ms", sample)).timeout())
        .isEqualTo(Duration.ofMillis(500));
  }

  /** Files, directories and lists keep the order they were given in, {@code --from} included. */
  @Test
  void inputsKeepTheirCommandLineOrder(@TempDir Path dir) throws Exception {
    Path a = Files.writeString(dir.resolve("a.mp4"), "x");
    Path b = Files.writeString(dir.resolve("b.wav"), "x");
    Path c = Files.writeString(dir.resolve("c.mkv"), "x");
    Path d = Files.writeString(dir.resolve("d.mp4"), "x");
    Path list = Files.writeString(dir.resolve("list.txt"), "b.wav\n");
    Path other = Files.writeString(dir.resolve("other.txt"), "d.mp4\n");
    assertThat(
            AnalyzeCommand.parse(
                    List.of(c.toString(), "--from", list.toString(), a.toString(), "@" + other))
                .files())
        .containsExactly(c, b, a, d);
  }

  /** {@code --verbose} counts before the command's name as after it. */
  @Test
  void verboseBeforeTheCommandAddsTheTraceToo(@TempDir Path dir) throws Exception {
    byte[] junk = new byte[20_000];
    new Random(5).nextBytes(junk);
    Path random = Files.write(dir.resolve("random.mp4"), junk);
    assertThat(run("--verbose", "analyze", random.toString())).isEqualTo(2);
    assertThat(errText()).contains("is not a media file FFmpeg can read").contains("\tat ");
  }

  @Test
  void aSecondDirectoryIsAUsageError(@TempDir Path dir) {
    assertThat(run("evaluate", dir.toString(), dir.toString())).isEqualTo(2);
    assertThat(errText()).startsWith("emostream: give one directory, got " + dir + " and " + dir);
  }
}
