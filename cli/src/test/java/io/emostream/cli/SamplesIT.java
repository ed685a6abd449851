package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.kafka.Env;
import io.emostream.testkit.TestKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The labelled samples the repository ships ({@code samples/labelled}: two RAVDESS clips named by
 * RAVDESS, twelve constructed demo clips labelled by its {@code labels.csv}) through {@code
 * evaluate} and {@code train-fusion} on a real broker, with nothing from {@code ../shared}: every
 * file is scored, the demo clips as their own corpus, the speech model's in-sample caution names
 * the four actors, and the logistic-regression fusion is cross-validated subject-wise over the four
 * speakers.
 */
class SamplesIT {

  static final Path LABELLED = EndToEndIT.HOME.resolve("samples/labelled");
  private static final List<String> SPEAKERS =
      List.of("ravdess-01", "ravdess-02", "ravdess-03", "ravdess-04");

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void evaluateScoresEveryShippedSampleAndSaysItIsInSample() throws Exception {
    int code = main("eval").run(new String[] {"evaluate", "--json", LABELLED.toString()});

    assertThat(code).as(text(err)).isZero();
    assertThat(text(err)).contains("evaluate: 14 labelled file(s) in " + LABELLED + ", 0 left out");
    JsonNode json = new ObjectMapper().readTree(text(out));
    assertThat(json.get("segments").asInt()).isEqualTo(14);
    assertThat(json.get("segmentsWithBothModalities").asInt()).isEqualTo(14);
    assertThat(strings(json.get("speakers"))).containsExactlyElementsOf(SPEAKERS);
    assertThat(json.get("leftOut").get("files").asInt()).isZero();
    assertThat(json.get("corpora").get("RAVDESS").get("AVERAGE").get("clips").asInt()).isEqualTo(2);
    assertThat(json.get("corpora").get("constructed").get("AVERAGE").get("clips").asInt())
        .isEqualTo(12);
    // the demo clips' face and voice agree by construction (samples/labelled/README.md): most are
    // right
    for (String modality : List.of("AUDIO", "VIDEO")) {
      assertThat(json.get("modalities").get(modality).get("clips").asInt()).isEqualTo(14);
      assertThat(json.get("modalities").get(modality).get("correct").asInt())
          .as(modality)
          .isGreaterThanOrEqualTo(11);
    }
    assertThat(json.get("inSample"))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.get("scorer").asText()).isEqualTo("AUDIO");
              assertThat(strings(o.get("speakers"))).containsExactlyElementsOf(SPEAKERS);
            });
    assertThat(json.get("ruleProtocols").get("LOGISTIC_REGRESSION").asText())
        .contains("subject-wise 4-fold (4 speakers; no speaker in its own training folds)")
        .contains("out-of-fold predictions of 14 segment(s)");
  }

  @Test
  void trainFusionFitsTheSamplesWithSubjectWiseFolds() throws Exception {
    Path model = dir.resolve("fusion-lr.json");

    int code =
        main("train")
            .run(new String[] {"train-fusion", "--out", model.toString(), LABELLED.toString()});

    assertThat(code).as(text(err)).isZero();
    assertThat(text(out))
        .contains("on 14 segment(s) of 4 speaker(s) with both modalities")
        .contains("subject-wise 4-fold CV accuracy");
    LogisticRegressionModel fitted = LogisticRegressionModel.read(model);
    assertThat(fitted.classes())
        .containsExactlyInAnyOrder("neutral", "happy", "sad", "angry", "disgust", "surprised");
    assertThat(fitted.info().get("subjects")).isEqualTo(SPEAKERS);
    assertThat(fitted.info().get("cvFolds")).isEqualTo(4);
  }

  private Main main(String name) {
    String run = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    Env env =
        new Env(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers(),
                "EMOSTREAM_TOPIC_PREFIX", run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS", "2",
                "EMOSTREAM_FUSION_APP_ID", run + "-fusion",
                "EMOSTREAM_AUDIO_GROUP_ID", run + "-audio",
                "EMOSTREAM_VIDEO_GROUP_ID", run + "-video"));
    return new Main(
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        env,
        EndToEndIT.HOME);
  }

  private static String text(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }
}
