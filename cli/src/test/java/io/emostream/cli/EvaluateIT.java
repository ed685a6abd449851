package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusionRule;
import io.emostream.testkit.TestKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code emostream evaluate} through the whole pipeline on a real broker: the committed sample,
 * named as a RAVDESS "happy" clip, is scored by every modality and all six rules (the
 * logistic-regression rule with a hand-made model file, so its protocol is "model FILE"), and the
 * JSON and HTML outputs are written.
 */
class EvaluateIT {

  @TempDir Path dir;

  @Test
  void everyRuleIsScoredOnTheSameClips() throws Exception {
    Path clips = Files.createDirectory(dir.resolve("clips"));
    Files.copy(EndToEndIT.SAMPLE, clips.resolve("01-01-03-01-01-01-07.mp4")); // happy, actor 07
    // named as labelled clips, but not media and a link to nothing: left out, and counted as such
    Files.writeString(clips.resolve("01-01-05-01-01-01-12.mp4"), "not a video"); // actor 12
    Files.createSymbolicLink(clips.resolve("01-01-04-01-01-01-07.mp4"), dir.resolve("missing.mp4"));
    Path lr = dir.resolve("lr.json");
    averagingModel().write(lr);
    String run = UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS",
                TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX",
                "eval-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                "eval-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "eval-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "eval-video-" + run,
                FusionConfig.LR_MODEL_ENV,
                lr.toString()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path report = dir.resolve("report.html");

    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                env,
                EndToEndIT.HOME)
            .run(
                new String[] {
                  "evaluate",
                  "--rule",
                  "all",
                  "--json",
                  "--report",
                  report.toString(),
                  clips.toString()
                });

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertThat(json.get("segments").asInt()).isEqualTo(1);
    assertThat(json.get("leftOut").get("files").asInt()).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("01-01-05-01-01-01-12.mp4", "01-01-04-01-01-01-07.mp4");
    assertThat(json.get("segmentsWithBothModalities").asInt()).isEqualTo(1);
    assertThat(json.get("speakers").get(0).asText()).isEqualTo("ravdess-07");
    assertThat(json.get("modalities").get("VIDEO").get("clips").asInt()).isEqualTo(1);
    assertThat(json.get("modalities").get("VIDEO").get("correct").asInt())
        .isEqualTo(1); // the face is happy
    List<String> rules = new ArrayList<>();
    json.get("rules").fieldNames().forEachRemaining(rules::add);
    assertThat(rules)
        .containsExactly(Arrays.stream(FusionRule.values()).map(Enum::name).toArray(String[]::new));
    json.get("rules").forEach(r -> assertThat(r.get("clips").asInt()).isEqualTo(1));
    assertThat(json.get("rulesWithoutResults")).isEmpty();
    assertThat(json.get("ruleProtocols").get("LOGISTIC_REGRESSION").asText())
        .isEqualTo("model " + lr);
    assertThat(json.get("best").get("confusion")).hasSize(8);
    // actor 07 is one of the speech model's training speakers (its manifest's trainingSubjects)
    assertThat(json.get("inSample"))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.get("scorer").asText()).isEqualTo("AUDIO");
              // actor 12 (also a training speaker) was left out: not counted as evaluated
              assertThat(o.get("speakers")).hasSize(1);
              assertThat(o.get("speakers").get(0).asText()).isEqualTo("ravdess-07");
            });
    assertThat(Files.readString(report))
        .contains("<th scope=\"row\">LOGISTIC_<wbr>REGRESSION (see note)</th><td>1</td>")
        .contains("<span class=\"meter\"><i class=\"bar rule\"")
        .contains("class=\"caution\"");
  }

  /**
   * W = [I | I], b = 0, identity scaling: scores are audio + video probability, i.e. a softmax of
   * the sum.
   */
  private static LogisticRegressionModel averagingModel() {
    List<String> labels = FusionConfig.DEFAULT_LABELS;
    int n = labels.size();
    double[][] w = new double[n][2 * n];
    for (int k = 0; k < n; k++) {
      w[k][k] = 1;
      w[k][n + k] = 1;
    }
    double[] max = new double[2 * n];
    Arrays.fill(max, 1);
    return new LogisticRegressionModel(
        labels, labels, new double[2 * n], max, w, new double[n], Map.of());
  }
}
