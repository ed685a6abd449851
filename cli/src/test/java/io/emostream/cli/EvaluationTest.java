package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.emostream.cli.DatasetLabels.LabelledFile;
import io.emostream.cli.PipelineRun.ClipOutcome;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Hand-counted accuracies, confusion matrices and precision/recall on made-up clip outcomes. */
class EvaluationTest {

  static final List<String> L = List.of("neutral", "happy", "sad");

  static ModalityPrediction prediction(Modality m, String top) {
    List<Float> p = new ArrayList<>(List.of(0.1f, 0.1f, 0.1f));
    p.set(L.indexOf(top), 0.8f);
    return ModalityPrediction.newBuilder()
        .setClipId("c")
        .setModality(m)
        .setModelName(m.name())
        .setModelVersion("1")
        .setLabels(L)
        .setProbabilities(p)
        .setStatus(PredictionStatus.OK)
        .setTimings(new Timings(0.0, 0.0, 0.0, 0.0))
        .setProducedAtMs(Instant.EPOCH)
        .build();
  }

  static FusedEmotion fused(FusionRule rule, String label, ModalityPrediction... predictions) {
    boolean both = predictions.length == 2;
    return FusedEmotion.newBuilder()
        .setClipId("c")
        .setRule(rule)
        .setLabel(label)
        .setConfidence(0.5f)
        .setLabels(L)
        .setDistribution(List.of(0f, 0f, 0f))
        .setModalities(List.of())
        .setStatus(
            both
                ? FusionStatus.COMPLETE
                : predictions[0].getModality() == Modality.AUDIO
                    ? FusionStatus.AUDIO_ONLY
                    : FusionStatus.VIDEO_ONLY)
        .setPredictions(List.of(predictions))
        .setFusedAtMs(Instant.EPOCH)
        .build();
  }

  /** truth, audio top, video top (null: no usable video), AVERAGE label, RULE_BASED label. */
  static ClipOutcome clip(
      String truth, String audio, String video, String average, String ruleBased) {
    List<ModalityPrediction> usable = new ArrayList<>();
    if (audio != null) {
      usable.add(prediction(Modality.AUDIO, audio));
    }
    if (video != null) {
      usable.add(prediction(Modality.VIDEO, video));
    }
    ModalityPrediction[] preds = usable.toArray(ModalityPrediction[]::new);
    Map<FusionRule, FusedEmotion> byRule = new EnumMap<>(FusionRule.class);
    byRule.put(FusionRule.AVERAGE, fused(FusionRule.AVERAGE, average, preds));
    byRule.put(FusionRule.RULE_BASED, fused(FusionRule.RULE_BASED, ruleBased, preds));
    return new ClipOutcome(
        new LabelledFile(Path.of("x"), truth, "s1", "RAVDESS"),
        "c",
        byRule.get(FusionRule.AVERAGE),
        byRule);
  }

  static List<ClipOutcome> outcomes() {
    return List.of(
        clip("happy", "happy", "sad", "happy", "sad"),
        clip("happy", "happy", "happy", "happy", "happy"),
        clip("sad", "neutral", "sad", "sad", "sad"),
        clip("neutral", "neutral", null, "neutral", "neutral"),
        clip("sad", "happy", "happy", null, "happy"));
  }

  @Test
  void countsEveryModalityAndRuleOnTheSameClips() {
    Evaluation e = new Evaluation(L, outcomes(), List.of(FusionRule.values()));

    // audio: happy✓ happy✓ neutral✗ neutral✓ happy✗ = 3/5; video (4 usable): sad✗ happy✓ sad✓
    // happy✗ = 2/4
    assertThat(e.modalities().get("AUDIO").correct()).isEqualTo(3);
    assertThat(e.modalities().get("AUDIO").clips()).isEqualTo(5);
    assertThat(e.modalities().get("VIDEO").accuracy()).isCloseTo(0.5, within(1e-12));
    // AVERAGE: ✓ ✓ ✓ ✓ none = 4/5; RULE_BASED: ✗ ✓ ✓ ✓ ✗ = 3/5
    assertThat(e.rules().get("AVERAGE").accuracy()).isCloseTo(0.8, within(1e-12));
    assertThat(e.rules().get("RULE_BASED").accuracy()).isCloseTo(0.6, within(1e-12));
    assertThat(e.rules()).containsOnlyKeys("AVERAGE", "RULE_BASED");
    assertThat(e.rulesWithoutResults())
        .containsExactly(
            "WEIGHTED_AVERAGE",
            "CONFIDENCE_THRESHOLD",
            "DYNAMIC_CONFIDENCE",
            "LOGISTIC_REGRESSION");
    assertThat(e.completeClips()).isEqualTo(4);
    assertThat(e.statuses().get("AUDIO")).containsExactly(Map.entry("OK", 5));
    assertThat(e.statuses().get("VIDEO")).containsExactly(Map.entry("NONE", 1), Map.entry("OK", 4));
  }

  @Test
  void theBestRuleHasItsConfusionMatrixAndPerClassMetrics() {
    Evaluation e = new Evaluation(L, outcomes(), List.of(FusionRule.values()));
    Evaluation.Score best = e.best().orElseThrow();

    assertThat(best.name()).isEqualTo("AVERAGE");
    // rows truth (neutral, happy, sad), columns predicted (neutral, happy, sad, none)
    assertThat(best.confusion())
        .isDeepEqualTo(new int[][] {{1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 1, 1}});
    List<Evaluation.ClassMetrics> perClass = e.perClass(best);
    assertThat(perClass)
        .extracting(Evaluation.ClassMetrics::label)
        .containsExactly("neutral", "happy", "sad");
    assertThat(perClass.get(2).precision()).isEqualTo(1.0); // sad predicted once, right
    assertThat(perClass.get(2).recall()).isEqualTo(0.5); // 1 of 2 sad clips
    assertThat(perClass.get(2).support()).isEqualTo(2);
  }

  @Test
  void withoutAnyClipWithBothModalitiesTheBestIsAModality() {
    List<ClipOutcome> audioOnly =
        List.of(
            clip("happy", "happy", null, "happy", "happy"),
            clip("sad", "happy", null, "happy", "happy"));
    Evaluation e = new Evaluation(L, audioOnly, List.of(FusionRule.values()));

    assertThat(e.best().orElseThrow().name()).isEqualTo("AUDIO");
    assertThat(e.modalities().get("VIDEO").clips()).isZero();
    Evaluation.ClassMetrics happy = e.perClass(e.best().orElseThrow()).get(0);
    assertThat(happy.precision()).isEqualTo(0.5);
    assertThat(happy.recall()).isEqualTo(1.0);
    assertThat(e.perClass(e.best().orElseThrow()).get(1).precision())
        .isNull(); // sad never predicted
  }

  @Test
  void withoutAnyClipWithBothModalitiesTheBestModalityIsTheOneWithMoreClipsRight() {
    // audio-only clips and one video-only clip: VIDEO is 1/1, AUDIO 2/3; AUDIO got more clips right
    List<ClipOutcome> split =
        List.of(
            clip("happy", "happy", null, "happy", "happy"),
            clip("sad", "sad", null, "sad", "sad"),
            clip("sad", "happy", null, "happy", "happy"),
            clip("neutral", null, "neutral", "neutral", "neutral"));
    Evaluation e = new Evaluation(L, split, List.of(FusionRule.values()));

    assertThat(e.modalities().get("VIDEO").accuracy()).isEqualTo(1.0);
    assertThat(e.best().orElseThrow().name()).isEqualTo("AUDIO");
    assertThat(e.tiedWithBest()).isEmpty();
  }

  @Test
  void textAndJsonCarryTheSameFigures() {
    Evaluation e = new Evaluation(L, outcomes(), List.of(FusionRule.values()));

    String text = EvaluationReport.text(e, "dir");
    assertThat(text)
        .contains("AUDIO", "60.0 %", "AVERAGE", "80.0 %", "best: AVERAGE", "LOGISTIC_REGRESSION");
    Map<String, Object> json = EvaluationReport.json(e, "dir");
    assertThat(json).containsKeys("modalities", "rules", "best", "rulesWithoutResults");
    @SuppressWarnings("unchecked")
    Map<String, Object> best = (Map<String, Object>) json.get("best");
    assertThat(best.get("name")).isEqualTo("AVERAGE");
    assertThat((double) best.get("accuracy")).isCloseTo(0.8, within(1e-12));
  }

  @Test
  void aTieForBestIsNamed() {
    // both rules right on both clips: 2/2 each; AVERAGE comes first in the schema's order
    List<ClipOutcome> clips =
        List.of(
            clip("happy", "happy", "happy", "happy", "happy"),
            clip("sad", "sad", "sad", "sad", "sad"));
    Evaluation e = new Evaluation(L, clips, List.of(FusionRule.values()));

    assertThat(e.best().orElseThrow().name()).isEqualTo("AVERAGE");
    assertThat(e.tiedWithBest()).containsExactly("RULE_BASED");
    assertThat(EvaluationReport.text(e, "dir"))
        .contains(
            "best: AVERAGE (100.0 %); tied with RULE_BASED (the first in the schema's order is shown)");
    @SuppressWarnings("unchecked")
    Map<String, Object> best = (Map<String, Object>) EvaluationReport.json(e, "dir").get("best");
    assertThat(best.get("tiedWith")).isEqualTo(List.of("RULE_BASED"));
    assertThat(new Evaluation(L, outcomes(), List.of(FusionRule.values())).tiedWithBest())
        .isEmpty(); // 0.8 vs 0.6
  }

  @Test
  void modelsScoredOnTheirOwnTrainingSpeakersAreFlaggedInEveryOutput() {
    List<InSample.Overlap> overlaps =
        InSample.find(
            Set.of("ravdess-01", "ravdess-20"),
            Map.of(
                "AUDIO",
                    new InSample.Training(
                        "speech-emotion-ravdess", List.of("ravdess-01", "ravdess-02")),
                "VIDEO", new InSample.Training("fer-mini-xception", List.of())));

    assertThat(overlaps)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.scorer()).isEqualTo("AUDIO");
              assertThat(o.speakers()).containsExactly("ravdess-01");
              assertThat(o.evaluatedSpeakers()).isEqualTo(2);
            });
    Evaluation e = new Evaluation(L, outcomes(), List.of(FusionRule.values()), Map.of(), overlaps);
    String line =
        "AUDIO model speech-emotion-ravdess was trained on 1 of the 2 evaluated speaker(s) (ravdess-01)";
    assertThat(EvaluationReport.text(e, "dir"))
        .contains("CAUTION: " + line)
        .contains("in-sample, not an accuracy");
    assertThat(EvaluationReport.html(e, "dir")).contains("class=\"caution\"").contains(line);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> json =
        (List<Map<String, Object>>) EvaluationReport.json(e, "dir").get("inSample");
    assertThat(json)
        .singleElement()
        .satisfies(
            m ->
                assertThat(m)
                    .containsEntry("scorer", "AUDIO")
                    .containsEntry("speakers", List.of("ravdess-01")));
    assertThat(
            InSample.find(
                Set.of("crema-d-1001"),
                Map.of(
                    "AUDIO",
                    new InSample.Training("speech-emotion-ravdess", List.of("ravdess-01")))))
        .isEmpty();
  }

  static ClipOutcome inCorpus(ClipOutcome o, String corpus, String subject) {
    return new ClipOutcome(
        new LabelledFile(Path.of(subject + ".wav"), o.file().label(), subject, corpus),
        o.clipId(),
        o.fused(),
        o.byRule());
  }

  /**
   * An audio-only clip whose audio had no speech: NO_SPEECH, and every rule says nothing
   * (NO_PREDICTION).
   */
  static ClipOutcome noSpeech(String truth) {
    ModalityPrediction audio =
        ModalityPrediction.newBuilder(prediction(Modality.AUDIO, "happy"))
            .setStatus(PredictionStatus.NO_SPEECH)
            .setProbabilities(List.of())
            .build();
    Map<FusionRule, FusedEmotion> byRule = new EnumMap<>(FusionRule.class);
    for (FusionRule rule : List.of(FusionRule.AVERAGE, FusionRule.RULE_BASED)) {
      byRule.put(
          rule,
          FusedEmotion.newBuilder(fused(rule, null, audio))
              .setStatus(FusionStatus.NO_PREDICTION)
              .build());
    }
    return new ClipOutcome(
        new LabelledFile(Path.of("n.wav"), truth, "emodb-03", "EmoDB"),
        "c",
        byRule.get(FusionRule.AVERAGE),
        byRule);
  }

  @Test
  void aDirectoryMixingCorporaIsScoredPerCorpusWithTheSameScorers() {
    List<ClipOutcome> o = outcomes();
    // RAVDESS: clips 0-2 (audio happy✓ happy✓ neutral✗ = 2/3; AVERAGE 3/3); EmoDB: clips 3-4 and a
    // NO_SPEECH one
    List<ClipOutcome> mixed =
        List.of(
            inCorpus(o.get(0), "RAVDESS", "ravdess-01"),
            inCorpus(o.get(1), "RAVDESS", "ravdess-01"),
            inCorpus(o.get(2), "RAVDESS", "ravdess-02"),
            inCorpus(o.get(3), "EmoDB", "emodb-03"),
            inCorpus(o.get(4), "EmoDB", "emodb-08"),
            noSpeech("sad"));

    Evaluation e =
        new Evaluation(
            L,
            mixed,
            List.of(FusionRule.values()),
            Map.of(),
            List.of(),
            List.of(
                new DatasetLabels.LeftOut(
                    Path.of("03a04Lc.flac"), "EmoDB", DatasetLabels.EMODB_BOREDOM),
                new DatasetLabels.LeftOut(
                    Path.of("08b01Lb.flac"), "EmoDB", DatasetLabels.EMODB_BOREDOM),
                new DatasetLabels.LeftOut(
                    Path.of("meeting.mp4"), null, DatasetLabels.UNKNOWN_NAME)));

    assertThat(e.corpora()).containsOnlyKeys("RAVDESS", "EmoDB");
    Map<String, Evaluation.Score> ravdess = e.corpora().get("RAVDESS");
    Map<String, Evaluation.Score> emodb = e.corpora().get("EmoDB");
    assertThat(ravdess.keySet()).containsExactly("AUDIO", "VIDEO", "AVERAGE", "RULE_BASED");
    assertThat(ravdess.get("AUDIO").correct()).isEqualTo(2);
    assertThat(ravdess.get("AUDIO").clips()).isEqualTo(3);
    assertThat(ravdess.get("AVERAGE").accuracy()).isEqualTo(1.0);
    // EmoDB audio: neutral✓ happy✗ (the NO_SPEECH clip is not scored for audio) = 1/2; video: clip
    // 4 only, happy✗
    assertThat(emodb.get("AUDIO").clips()).isEqualTo(2);
    assertThat(emodb.get("AUDIO").correct()).isEqualTo(1);
    assertThat(emodb.get("VIDEO").clips()).isEqualTo(1);
    assertThat(emodb.get("VIDEO").correct()).isZero();
    // EmoDB AVERAGE: neutral✓, none✗, none (NO_SPEECH)✗ = 1/3
    assertThat(emodb.get("AVERAGE").clips()).isEqualTo(3);
    assertThat(emodb.get("AVERAGE").correct()).isEqualTo(1);
    assertThat(e.rules().get("AVERAGE").clips())
        .isEqualTo(ravdess.get("AVERAGE").clips() + emodb.get("AVERAGE").clips());
    assertThat(e.noSpeech()).containsEntry("AUDIO", 1).containsEntry("VIDEO", 0);
    assertThat(e.leftOutByReason())
        .containsEntry(DatasetLabels.EMODB_BOREDOM, 2)
        .containsEntry(DatasetLabels.UNKNOWN_NAME, 1);

    String text = EvaluationReport.text(e, "dir");
    assertThat(text)
        .contains(
            "left out 3 file(s): 2 EmoDB boredom (L) has no canonical label; 1 not named by",
            "not labelled: meeting.mp4",
            "NO_SPEECH (too little voice activity: no emotion) per modality: audio 1, video 0 of 6 segment(s)");
    assertThat(text)
        .containsPattern("(?m)^RAVDESS +clips +correct +accuracy$")
        .containsPattern("(?m)^EmoDB +clips +correct +accuracy$")
        .containsPattern("(?m)^AUDIO +2 +1 +50.0 %$");
    Map<String, Object> json = EvaluationReport.json(e, "dir");
    assertThat(json.get("noSpeech")).isEqualTo(Map.of("AUDIO", 1, "VIDEO", 0));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Map<String, Object>>> corpora =
        (Map<String, Map<String, Map<String, Object>>>) json.get("corpora");
    assertThat(corpora.get("EmoDB").get("AVERAGE"))
        .containsEntry("clips", 3)
        .containsEntry("correct", 1);
    @SuppressWarnings("unchecked")
    Map<String, Object> leftOut = (Map<String, Object>) json.get("leftOut");
    assertThat(leftOut)
        .containsEntry("files", 3)
        .containsEntry("notLabelled", List.of("meeting.mp4"));
    String html = EvaluationReport.html(e, "dir");
    assertThat(html)
        .contains(
            "Accuracy per corpus",
            "<th>EmoDB</th>",
            "33.3 % (3)",
            "left out 3 file(s)",
            "audio 1, video 0 of 6 segment(s)");
  }

  @Test
  void aSingleCorpusPrintsNoPerCorpusTableAndNoLeftOutLine() {
    Evaluation e = new Evaluation(L, outcomes(), List.of(FusionRule.values()));

    assertThat(e.corpora()).containsOnlyKeys("RAVDESS");
    assertThat(EvaluationReport.text(e, "dir")).doesNotContain("RAVDESS ", "left out");
    assertThat(EvaluationReport.html(e, "dir")).doesNotContain("Accuracy per corpus");
  }
}
