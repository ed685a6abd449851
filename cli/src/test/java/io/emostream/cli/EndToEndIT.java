package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.audio.AudioPredictor;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TestMedia;
import io.emostream.testkit.TopicReader;
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
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Utils;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on a real broker: a real video in (the committed sample: the MIT "happy" face
 * photo with synthesised speech), through ingest, both workers with the shipped models and
 * fusion-stream, and the fused emotion decoded from the fused topic.
 */
class EndToEndIT {

  static final Path HOME = Path.of("..");
  static final Path SAMPLE = HOME.resolve("samples/happy-speech.mp4");
  static EmbeddedPlatform platform;

  @BeforeAll
  static void startPlatform() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                "e2e-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_SEGMENT_SECONDS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                "e2e-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "e2e-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "e2e-video-" + run,
                "EMOSTREAM_CHANNEL_ROLES",
                "left:agent,right:customer"));
    platform = EmbeddedPlatform.start(env, HOME, 0);
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  private static Map<String, FusedEmotion> run(Supplier<Set<String>> ingest) {
    try (FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      Set<String> clipIds = ingest.get();
      Map<String, FusedEmotion> fused = reader.await(clipIds, Duration.ofSeconds(120), () -> {});
      assertThat(fused.keySet()).containsExactlyInAnyOrderElementsOf(clipIds);
      return fused;
    }
  }

  private static Set<String> ids(IngestService.Result result) {
    Set<String> ids = new LinkedHashSet<>();
    result.clips().forEach(c -> ids.add(c.clipId()));
    return ids;
  }

  @Test
  void aVideoInAFusedEmotionPerSegmentOut() {
    Map<String, FusedEmotion> fused =
        run(() -> ids(platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null)));

    assertThat(fused).hasSize(2); // 4.5 s in 2 s segments: [0, 2) and [2, 4.5)
    for (FusedEmotion result : fused.values()) {
      assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
      assertThat(result.getModalities()).containsExactlyInAnyOrder(Modality.AUDIO, Modality.VIDEO);
      assertThat(result.getSourceName()).isEqualTo("happy-speech.mp4");
      assertThat(result.getRule())
          .as("no rule asked for: the default")
          .isEqualTo(FusionRule.AVERAGE);
      assertThat(result.getLabels()).hasSize(8).contains("happy", "calm", "neutral");
      double sum = result.getDistribution().stream().mapToDouble(Float::doubleValue).sum();
      assertThat(sum).isBetween(0.999, 1.001);
      assertThat(result.getLabel()).isNotNull();
      assertThat(result.getLatencyMs()).isNotNegative();
      ModalityPrediction video = prediction(result, Modality.VIDEO);
      assertThat(video.getStatus()).isEqualTo(PredictionStatus.OK);
      assertThat(top(video)).isEqualTo("happy");
      assertThat(prediction(result, Modality.AUDIO).getStatus()).isEqualTo(PredictionStatus.OK);
    }
  }

  @Test
  void anAudioOnlyToneIsNoSpeechAndGetsNoEmotion(@TempDir Path dir) throws Exception {
    Path wav = dir.resolve("tone.wav");
    TestMedia.writeToneWav(wav, 22_050, 1.5);

    Map<String, FusedEmotion> fused =
        run(() -> ids(platform.ingest().ingest(wav, "tone.wav", null)));

    FusedEmotion result = fused.values().iterator().next();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
    assertThat(result.getLabel()).isNull();
    assertThat(result.getModalities()).isEmpty();
    ModalityPrediction audio = prediction(result, Modality.AUDIO);
    assertThat(audio.getStatus()).isEqualTo(PredictionStatus.NO_SPEECH);
    assertThat(audio.getProbabilities()).isEmpty();
  }

  /**
   * A video without an audio track: every segment's audio prediction is NO_AUDIO with its reason,
   * not missing from the fused record as if the audio worker had been silent (a hostile-user pass).
   */
  @Test
  void aVideoWithoutAnAudioTrackIsVideoOnlyWithANoAudioPrediction(@TempDir Path dir)
      throws Exception {
    Path silent = dir.resolve("no-audio.mkv");
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(SAMPLE.toFile())) {
      grabber.start();
      try (FFmpegFrameRecorder recorder =
          new FFmpegFrameRecorder(
              silent.toFile(), grabber.getImageWidth(), grabber.getImageHeight(), 0)) {
        recorder.setFormat("matroska");
        recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
        recorder.setVideoQuality(2);
        recorder.setFrameRate(grabber.getFrameRate());
        recorder.start();
        for (Frame frame; (frame = grabber.grabImage()) != null; ) {
          recorder.record(frame);
        }
        recorder.stop();
      }
      grabber.stop();
    }

    Map<String, FusedEmotion> fused =
        run(() -> ids(platform.ingest().ingest(silent, "no-audio.mkv", null)));

    assertThat(fused).hasSize(2);
    for (FusedEmotion result : fused.values()) {
      assertThat(result.getStatus()).isEqualTo(FusionStatus.VIDEO_ONLY);
      assertThat(result.getModalities()).containsExactly(Modality.VIDEO);
      ModalityPrediction audio = prediction(result, Modality.AUDIO);
      assertThat(audio.getStatus()).isEqualTo(PredictionStatus.NO_AUDIO);
      assertThat(audio.getError()).isEqualTo(AudioPredictor.NO_TRACK);
      assertThat(audio.getProbabilities()).isEmpty();
    }
  }

  @Test
  void aVideoWithoutAFaceAndWithOnlyAToneIsNoFaceNoSpeechAndNoPrediction() {
    Map<String, FusedEmotion> fused =
        run(
            () ->
                ids(
                    platform
                        .ingest()
                        .ingest(
                            HOME.resolve("samples/no-face-tone.mp4"), "no-face-tone.mp4", null)));

    assertThat(fused).hasSize(2); // 4 s in 2 s segments
    for (FusedEmotion result : fused.values()) {
      assertThat(result.getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
      assertThat(result.getModalities()).isEmpty();
      ModalityPrediction video = prediction(result, Modality.VIDEO);
      assertThat(video.getStatus()).isEqualTo(PredictionStatus.NO_FACE);
      assertThat(video.getProbabilities()).isEmpty();
      ModalityPrediction audio = prediction(result, Modality.AUDIO);
      assertThat(audio.getStatus()).isEqualTo(PredictionStatus.NO_SPEECH);
      assertThat(audio.getError()).contains("s of speech");
    }
  }

  @Test
  void aVideoUploadedOverHttpWithARuleShowsUpOnTheFusedTopicFusedByThatRule() throws Exception {
    int port = platform.startHttp("127.0.0.1", 0);
    HttpClient client = HttpClient.newHttpClient();

    Map<String, FusedEmotion> fused =
        run(
            () -> {
              try {
                HttpResponse<String> response =
                    client.send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:"
                                        + port
                                        + "/clips?name=upload.mp4&rule=Rule-Based"))
                            .header("Content-Type", "video/mp4")
                            .POST(HttpRequest.BodyPublishers.ofFile(SAMPLE))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(201);
                JsonNode body = new ObjectMapper().readTree(response.body());
                Set<String> ids = new LinkedHashSet<>();
                body.get("clips").forEach(c -> ids.add(c.get("clipId").asText()));
                return ids;
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    assertThat(fused.values())
        .allSatisfy(
            r -> {
              assertThat(r.getSourceName()).isEqualTo("upload.mp4");
              assertThat(r.getStatus()).isEqualTo(FusionStatus.COMPLETE);
              // the upload's ?rule= travelled in the manifest to fusion (the other tests leave the
              // default, AVERAGE)
              assertThat(r.getRule()).isEqualTo(FusionRule.RULE_BASED);
            });

    HttpResponse<String> bad =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/clips"))
                .header("Content-Type", "video/mp4")
                .POST(HttpRequest.BodyPublishers.ofString("not a video"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new ObjectMapper().readTree(bad.body()).get("error").asText())
        .contains("not a media file");
  }

  private static ModalityPrediction prediction(FusedEmotion result, Modality modality) {
    List<ModalityPrediction> matching =
        result.getPredictions().stream().filter(p -> p.getModality() == modality).toList();
    assertThat(matching).hasSize(1);
    return matching.get(0);
  }

  private static String top(ModalityPrediction p) {
    int best = 0;
    for (int i = 1; i < p.getProbabilities().size(); i++) {
      if (p.getProbabilities().get(i) > p.getProbabilities().get(best)) {
        best = i;
      }
    }
    return p.getLabels().get(best);
  }

  @Test
  void aStereoCallUploadedWithBothChannelsGivesOneResultPerRole(@TempDir Path dir)
      throws Exception {
    Path call =
        TestMedia.writeStereoToneWav(
            dir.resolve("call.wav"), 16_000, 1.5, 440, 12_000, 1_500, 3_000);
    int port = platform.startHttp("127.0.0.1", 0);

    Map<String, FusedEmotion> fused =
        run(() -> uploadIds(port, call, "name=call.wav&channel=both"));

    assertThat(fused.values())
        .extracting(FusedEmotion::getSpeakerRole)
        .containsExactlyInAnyOrder("agent", "customer");
    assertThat(fused)
        .allSatisfy(
            (clipId, r) -> {
              assertThat(clipId).endsWith("-" + r.getSpeakerRole() + "-00000");
              // each channel is a tone: analysed on its own, and no speech in it
              assertThat(r.getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
              assertThat(prediction(r, Modality.AUDIO).getStatus())
                  .isEqualTo(PredictionStatus.NO_SPEECH);
            });

    // With roles configured and no channel asked for, only the customer's channel is analysed.
    Map<String, FusedEmotion> customerOnly = run(() -> uploadIds(port, call, "name=call.wav"));
    assertThat(customerOnly.values())
        .extracting(FusedEmotion::getSpeakerRole)
        .containsExactly("customer");
  }

  private static Set<String> uploadIds(int port, Path file, String query) {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/clips?" + query))
                      .header("Content-Type", "audio/wav")
                      .POST(HttpRequest.BodyPublishers.ofFile(file))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
      Set<String> ids = new LinkedHashSet<>();
      new ObjectMapper()
          .readTree(response.body())
          .get("clips")
          .forEach(c -> ids.add(c.get("clipId").asText()));
      return ids;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * An analytics consumer outside Java: Debian's kcat reads the fused topic ({@code
   * read_committed}) and the bytes are decoded with the {@code .avsc} files alone (a generic
   * reader, not the generated class).
   */
  @Test
  void kcatReadsTheFusedTopicAndTheAvscFilesDecodeIt(@TempDir Path dir) throws Exception {
    Optional<Path> kcat = Kcat.find();
    assumeTrue(
        kcat.isPresent(),
        "kcat not found on PATH: skipping the non-Java client check (apt-get install -y kcat)");
    Map<String, FusedEmotion> fused =
        run(() -> ids(platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null)));

    byte[] output =
        Kcat.run(
            Kcat.consume(
                kcat.get(), platform.kafka().bootstrapServers(), platform.topics().fused().name()),
            new byte[0],
            dir);
    Map<String, byte[]> records = Kcat.parse(output);

    Schema schema = fusedSchemaFromAvsc();
    assertThat(records).containsKeys(fused.keySet().toArray(String[]::new));
    for (String clipId : fused.keySet()) {
      byte[] value = records.get(clipId);
      assertThat(value[0]).isEqualTo((byte) 0xC3);
      assertThat(value[1]).isEqualTo((byte) 0x01);
      long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertThat(fingerprint)
          .as("the writer schema is FusedEmotion.avsc")
          .isEqualTo(SchemaNormalization.parsingFingerprint64(schema));
      GenericRecord record =
          new GenericDatumReader<GenericRecord>(schema)
              .read(null, DecoderFactory.get().binaryDecoder(value, 10, value.length - 10, null));
      FusedEmotion expected = fused.get(clipId);
      assertThat(record.get("clipId").toString()).isEqualTo(clipId);
      assertThat(record.get("sourceName").toString()).isEqualTo("happy-speech.mp4");
      assertThat(record.get("status").toString()).isEqualTo("COMPLETE");
      assertThat(record.get("label").toString()).isEqualTo(expected.getLabel());
      assertThat((Float) record.get("confidence")).isEqualTo(expected.getConfidence());
      assertThat((Integer) record.get("segmentIndex")).isEqualTo(expected.getSegmentIndex());
      assertThat(record.get("speakerRole")).isNull();
    }
    Files.write(Path.of("target/kcat-fused.bin"), output);
  }

  /**
   * The Python example decodes what kcat read; runs where a python3 with the avro package is
   * installed.
   */
  @Test
  void thePythonExampleDecodesKcatsOutput(@TempDir Path dir) throws Exception {
    Optional<Path> kcat = Kcat.find();
    assumeTrue(
        kcat.isPresent(),
        "kcat not found on PATH: skipping the Python example (apt-get install -y kcat)");
    Optional<Path> python =
        Stream.of(Path.of("/usr/bin/python3"), Kcat.onPath("python3").orElse(Path.of("python3")))
            .filter(Files::isExecutable)
            .filter(EndToEndIT::hasAvro)
            .findFirst();
    assumeTrue(
        python.isPresent(),
        "no python3 with the avro package: skipping the Python example (apt-get install -y python3-avro)");
    Map<String, FusedEmotion> fused =
        run(() -> ids(platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null)));
    byte[] output =
        Kcat.run(
            Kcat.consume(
                kcat.get(), platform.kafka().bootstrapServers(), platform.topics().fused().name()),
            new byte[0],
            dir);

    byte[] json =
        Kcat.run(
            List.of(
                python.get().toString(),
                HOME.resolve("examples/read_fused.py").toString(),
                "--sorted"),
            output,
            dir);

    Map<String, JsonNode> byKey = new HashMap<>();
    List<String> lines =
        new String(json, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as("JSON lines printed by read_fused.py").isNotEmpty();
    for (String line : lines) {
      JsonNode node = new ObjectMapper().readTree(line);
      byKey.put(node.get("clipId").asText(), node);
    }
    for (FusedEmotion expected : fused.values()) {
      JsonNode row = byKey.get(expected.getClipId());
      assertThat(row).as("python output for %s", expected.getClipId()).isNotNull();
      assertThat(row.get("label").asText()).isEqualTo(expected.getLabel());
      assertThat(row.get("status").asText()).isEqualTo("COMPLETE");
      assertThat(row.get("segmentIndex").asInt()).isEqualTo(expected.getSegmentIndex());
      // the one JSON shape: the Python decoder prints what Java's FusedSegmentJson makes of the
      // same record
      assertThat(row)
          .as("read_fused.py and FusedSegmentJson on %s", expected.getClipId())
          .isEqualTo(new ObjectMapper().readTree(FusedSegmentJson.line(expected)));
    }
  }

  private static boolean hasAvro(Path python) {
    try {
      Process p =
          new ProcessBuilder(python.toString(), "-c", "import avro.io")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * FusedEmotion.avsc and the named types it references, parsed from the files analytics consumers
   * get.
   */
  static Schema fusedSchemaFromAvsc() throws Exception {
    Schema.Parser parser = new Schema.Parser();
    Schema schema = null;
    for (String file :
        List.of(
            "Modality.avsc", "FusionRule.avsc", "ModalityPrediction.avsc", "FusedEmotion.avsc")) {
      schema = parser.parse(HOME.resolve("schemas/src/main/avro").resolve(file).toFile());
    }
    return schema;
  }

  /** kcat hashes keys like Java's producer only with -X topic.partitioner=murmur2_random. */
  @Test
  void kcatWithTheMurmur2PartitionerPlacesAKeyWhereJavaWould(@TempDir Path dir) throws Exception {
    Optional<Path> kcat = Kcat.find();
    assumeTrue(
        kcat.isPresent(),
        "kcat not found on PATH: skipping the partitioner check (apt-get install -y kcat)");
    int partitions = 6;
    List<String> keys =
        List.of(
            "a-00000", "b-00001", "c-00002", "d-00003", "e-00004", "f-00005", "g-00006", "h-00007");

    List<ConsumerRecord<String, byte[]>> murmur2 =
        produceWithKcat(
            kcat.get(), dir, partitions, keys, List.of("-X", "topic.partitioner=murmur2_random"));
    List<ConsumerRecord<String, byte[]>> librdkafkaDefault =
        produceWithKcat(kcat.get(), dir, partitions, keys, List.of());

    assertThat(murmur2)
        .hasSize(keys.size())
        .allSatisfy(
            r ->
                assertThat(r.partition())
                    .as(r.key())
                    .isEqualTo(javaPartition(r.key(), partitions)));
    assertThat(librdkafkaDefault)
        .hasSize(keys.size())
        .as("librdkafka's default partitioner places some keys elsewhere (the README's warning)")
        .anySatisfy(
            r -> assertThat(r.partition()).isNotEqualTo(javaPartition(r.key(), partitions)));
  }

  private static int javaPartition(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private static List<ConsumerRecord<String, byte[]>> produceWithKcat(
      Path kcat, Path dir, int partitions, List<String> keys, List<String> options)
      throws Exception {
    String topic = "kcat-partitioner-" + UUID.randomUUID();
    try (Admin admin = Admin.create(platform.kafka().with(Map.of()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    StringBuilder lines = new StringBuilder();
    keys.forEach(k -> lines.append(k).append('\t').append("v").append('\n'));
    List<String> command =
        new ArrayList<>(
            List.of(
                kcat.toString(),
                "-b",
                platform.kafka().bootstrapServers(),
                "-P",
                "-t",
                topic,
                "-K",
                "\t"));
    command.addAll(options);
    Kcat.run(command, lines.toString().getBytes(StandardCharsets.UTF_8), dir);
    return TopicReader.readCommitted(
        platform.kafka().bootstrapServers(),
        topic,
        keys.size(),
        Duration.ofSeconds(30),
        Duration.ZERO);
  }
}
