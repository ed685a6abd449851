package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.TestKafka;

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
    Env env = new Env(Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers(),
        "EMOSTREAM_TOPIC_PREFIX", "e2e-" + run + ".",
        "EMOSTREAM_TOPIC_PARTITIONS", "2",
        "EMOSTREAM_SEGMENT_SECONDS", "2",
        "EMOSTREAM_FUSION_APP_ID", "e2e-fusion-" + run,
        "EMOSTREAM_AUDIO_GROUP_ID", "e2e-audio-" + run,
        "EMOSTREAM_VIDEO_GROUP_ID", "e2e-video-" + run));
    platform = EmbeddedPlatform.start(env, HOME, 0);
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  private static Map<String, FusedEmotion> run(java.util.function.Supplier<Set<String>> ingest) {
    try (FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      Set<String> clipIds = ingest.get();
      Map<String, FusedEmotion> fused = reader.await(clipIds, Duration.ofSeconds(120), () -> { });
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
    Map<String, FusedEmotion> fused = run(() -> ids(platform.ingest().ingest(SAMPLE, "happy-speech.mp4", null)));

    assertThat(fused).hasSize(2); // 4.5 s in 2 s segments: [0, 2) and [2, 4.5)
    for (FusedEmotion result : fused.values()) {
      assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
      assertThat(result.getModalities()).containsExactlyInAnyOrder(Modality.AUDIO, Modality.VIDEO);
      assertThat(result.getSourceName()).isEqualTo("happy-speech.mp4");
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
  void anAudioOnlyFileIsFusedAsAudioOnly(@TempDir Path dir) throws Exception {
    Path wav = dir.resolve("tone.wav");
    io.emostream.testkit.TestMedia.writeToneWav(wav, 22_050, 1.5);

    Map<String, FusedEmotion> fused = run(() -> ids(platform.ingest().ingest(wav, "tone.wav", null)));

    FusedEmotion result = fused.values().iterator().next();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getModalities()).containsExactly(Modality.AUDIO);
  }

  @Test
  void aVideoWithoutAFaceIsNoFaceAndTheAudioIsStillFused() {
    Map<String, FusedEmotion> fused = run(() -> ids(platform.ingest().ingest(HOME.resolve("samples/no-face-tone.mp4"),
        "no-face-tone.mp4", null)));

    assertThat(fused).hasSize(2); // 4 s in 2 s segments
    for (FusedEmotion result : fused.values()) {
      assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
      assertThat(result.getModalities()).containsExactly(Modality.AUDIO);
      ModalityPrediction video = prediction(result, Modality.VIDEO);
      assertThat(video.getStatus()).isEqualTo(PredictionStatus.NO_FACE);
      assertThat(video.getProbabilities()).isEmpty();
      assertThat(prediction(result, Modality.AUDIO).getStatus()).isEqualTo(PredictionStatus.OK);
    }
  }

  @Test
  void aVideoUploadedOverHttpShowsUpOnTheFusedTopic() throws Exception {
    int port = platform.startHttp("127.0.0.1", 0);
    HttpClient client = HttpClient.newHttpClient();

    Map<String, FusedEmotion> fused = run(() -> {
      try {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/clips?name=upload.mp4"))
            .header("Content-Type", "video/mp4")
            .POST(HttpRequest.BodyPublishers.ofFile(SAMPLE)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(201);
        JsonNode body = new ObjectMapper().readTree(response.body());
        Set<String> ids = new LinkedHashSet<>();
        body.get("clips").forEach(c -> ids.add(c.get("clipId").asText()));
        return ids;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(fused.values()).allSatisfy(r -> {
      assertThat(r.getSourceName()).isEqualTo("upload.mp4");
      assertThat(r.getStatus()).isEqualTo(FusionStatus.COMPLETE);
    });

    HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/clips"))
        .header("Content-Type", "video/mp4").POST(HttpRequest.BodyPublishers.ofString("not a video")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new ObjectMapper().readTree(bad.body()).get("error").asText()).contains("not a media file");
  }

  private static ModalityPrediction prediction(FusedEmotion result, Modality modality) {
    List<ModalityPrediction> matching = result.getPredictions().stream().filter(p -> p.getModality() == modality).toList();
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

}
