package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClipFuserTest {

  private static final long NOW = Clips.INGEST.toEpochMilli() + 1_250;
  private final ClipFuser fuser = new ClipFuser(FusionConfig.DEFAULT_LABELS, FusionRule.AVERAGE);

  @Test
  void bothUsablePredictionsGiveACompleteAverageWithTheManifestsSource() {
    ModalityPrediction audio = Clips.audio("c1", Clips.SPEECH_HAPPY);
    ModalityPrediction video = Clips.video("c1", Clips.FACE_SAD);

    FusedEmotion fused =
        fuser.fuse(
            "c1", clip(Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), audio, video), NOW);

    assertThat(fused.getStatus()).isEqualTo(FusionStatus.COMPLETE);
    assertThat(fused.getLabel()).isEqualTo("happy");
    assertThat(fused.getConfidence()).isCloseTo(0.4f, within(1e-6f));
    assertThat(fused.getDistribution()).hasSize(8);
    for (int i = 0; i < 8; i++) {
      assertThat(fused.getDistribution().get(i))
          .isCloseTo((float) Clips.AVERAGE_OF_BOTH[i], within(1e-6f));
    }
    assertThat(fused.getLabels()).isEqualTo(FusionConfig.DEFAULT_LABELS);
    assertThat(fused.getModalities()).containsExactly(Modality.AUDIO, Modality.VIDEO);
    assertThat(fused.getPredictions()).containsExactly(audio, video);
    assertThat(fused.getRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(fused.getSourceId()).isEqualTo("source-1");
    assertThat(fused.getSourceName()).isEqualTo("talk.mp4");
    assertThat(fused.getSegmentIndex()).isEqualTo(3);
    assertThat(fused.getStartMs()).isEqualTo(9_000);
    assertThat(fused.getEndMs()).isEqualTo(12_000);
    assertThat(fused.getIngestTimeMs()).isEqualTo(Clips.INGEST);
    assertThat(fused.getFusedAtMs()).isEqualTo(Instant.ofEpochMilli(NOW));
    assertThat(fused.getLatencyMs()).isEqualTo(1_250);
    assertThat(fused.getSpeakerRole()).isNull();
  }

  @Test
  void theSpeakerRoleOfAStereoCallChannelIsCarriedToTheFusedResult() {
    ClipManifest manifest =
        ClipManifest.newBuilder(Clips.manifest("c1", Modality.AUDIO))
            .setSpeakerRole("customer")
            .build();

    FusedEmotion fused =
        fuser.fuse("c1", clip(manifest, Clips.audio("c1", Clips.SPEECH_HAPPY), null), NOW);

    assertThat(fused.getSpeakerRole()).isEqualTo("customer");
  }

  @Test
  void noFaceLeavesAnAudioOnlyResultThatStillListsTheVideoPrediction() {
    ModalityPrediction audio = Clips.audio("c1", Clips.SPEECH_HAPPY);
    ModalityPrediction noFace = Clips.failed("c1", Modality.VIDEO, PredictionStatus.NO_FACE);

    FusedEmotion fused =
        fuser.fuse(
            "c1", clip(Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), audio, noFace), NOW);

    assertThat(fused.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(fused.getModalities()).containsExactly(Modality.AUDIO);
    assertThat(fused.getPredictions()).containsExactly(audio, noFace);
    assertThat(fused.getLabel()).isEqualTo("happy");
    assertThat(fused.getConfidence()).isCloseTo(0.5f, within(1e-6f));
  }

  @Test
  void anAudioErrorLeavesAVideoOnlyResult() {
    ModalityPrediction error = Clips.failed("c1", Modality.AUDIO, PredictionStatus.ERROR);
    ModalityPrediction video = Clips.video("c1", Clips.FACE_SAD);

    FusedEmotion fused =
        fuser.fuse(
            "c1", clip(Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), error, video), NOW);

    assertThat(fused.getStatus()).isEqualTo(FusionStatus.VIDEO_ONLY);
    assertThat(fused.getLabel()).isEqualTo("sad");
    assertThat(fused.getDistribution().get(1)).isZero(); // the face model has no "calm"
  }

  @Test
  void noUsablePredictionGivesNoLabelAndAnAllZeroDistribution() {
    ModalityPrediction noAudio = Clips.failed("c1", Modality.AUDIO, PredictionStatus.NO_AUDIO);

    FusedEmotion fused =
        fuser.fuse(
            "c1", clip(Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO), noAudio, null), NOW);

    assertThat(fused.getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
    assertThat(fused.getLabel()).isNull();
    assertThat(fused.getConfidence()).isZero();
    assertThat(fused.getDistribution()).hasSize(8).containsOnly(0f);
    assertThat(fused.getModalities()).isEmpty();
    assertThat(fused.getPredictions()).containsExactly(noAudio);
  }

  @Test
  void withoutAManifestSourceFieldsKeepTheirDefaultsAndTheDefaultRuleApplies() {
    FusedEmotion fused =
        fuser.fuse("c9", clip(null, Clips.audio("c9", Clips.SPEECH_HAPPY), null), NOW);

    assertThat(fused.getClipId()).isEqualTo("c9");
    assertThat(fused.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(fused.getSourceId()).isNull();
    assertThat(fused.getSegmentIndex()).isEqualTo(-1);
    assertThat(fused.getStartMs()).isEqualTo(-1);
    assertThat(fused.getEndMs()).isEqualTo(-1);
    assertThat(fused.getIngestTimeMs()).isEqualTo(Instant.EPOCH);
    assertThat(fused.getLatencyMs()).isEqualTo(-1);
    assertThat(fused.getRule()).isEqualTo(FusionRule.AVERAGE);
  }

  @Test
  void theManifestsRuleWins() {
    ClipManifest manifest = Clips.manifest("c1", Modality.AUDIO);
    manifest.setFusionRule(FusionRule.AVERAGE);

    assertThat(
            fuser
                .fuse("c1", clip(manifest, Clips.audio("c1", Clips.SPEECH_HAPPY), null), NOW)
                .getRule())
        .isEqualTo(FusionRule.AVERAGE);
  }

  @Test
  void theResultSerialisesWithTheTopicsSerde() {
    FusedEmotion fused = fuser.fuse("c1", clip(null, null, null), NOW);
    var serde = Topics.defaults().fused().valueSerde();

    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", fused)))
        .isEqualTo(fused);
    assertThat(fused.getPredictions()).isEqualTo(List.of());
  }

  private static PendingClip clip(
      ClipManifest manifest, ModalityPrediction audio, ModalityPrediction video) {
    return PendingClip.newBuilder()
        .setManifest(manifest)
        .setAudio(audio)
        .setVideo(video)
        .setFirstSeenMs(NOW - 100)
        .build();
  }

  @Test
  void everyRuleFusesAnAudioOnlyClipToTheAudioDistribution() {
    ModalityPrediction audio = Clips.audio("c1", Clips.SPEECH_HAPPY);
    for (FusionRule rule : FusionRule.values()) {
      ClipManifest manifest = Clips.manifest("c1", Modality.AUDIO);
      manifest.setFusionRule(rule);

      FusedEmotion fused = fuser.fuse("c1", clip(manifest, audio, null), NOW);

      assertThat(fused.getRule()).isEqualTo(rule);
      assertThat(fused.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
      for (int i = 0; i < 8; i++) {
        assertThat(fused.getDistribution().get(i))
            .as(rule + " " + i)
            .isCloseTo((float) Clips.SPEECH_HAPPY[i], within(1e-6f));
      }
    }
  }

  @Test
  void aVideoOnlyClipUnderLogisticRegressionNeedsNoModel() {
    ClipManifest manifest = Clips.manifest("c1", Modality.VIDEO);
    manifest.setFusionRule(FusionRule.LOGISTIC_REGRESSION);

    FusedEmotion fused =
        fuser.fuse("c1", clip(manifest, null, Clips.video("c1", Clips.FACE_SAD)), NOW);

    assertThat(fused.getStatus()).isEqualTo(FusionStatus.VIDEO_ONLY);
    assertThat(fused.getLabel()).isEqualTo("sad");
    assertThat(fused.getDistribution().get(1)).isZero(); // calm: the face model has none
  }

  @Test
  void anExplicitRuleWinsOverTheManifests() {
    ClipManifest manifest = Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO);
    manifest.setFusionRule(FusionRule.RULE_BASED);
    PendingClip clip =
        clip(manifest, Clips.audio("c1", Clips.SPEECH_HAPPY), Clips.video("c1", Clips.FACE_SAD));

    assertThat(fuser.ruleOf(clip)).isEqualTo(FusionRule.RULE_BASED);
    assertThat(fuser.fuse("c1", clip, NOW, FusionRule.DYNAMIC_CONFIDENCE).getRule())
        .isEqualTo(FusionRule.DYNAMIC_CONFIDENCE);
  }

  @Test
  void aPreparedClipFusedWithEachRuleGivesWhatFusingItWholeGives() {
    PendingClip clip =
        clip(
            Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO),
            Clips.audio("c1", Clips.SPEECH_HAPPY),
            Clips.video("c1", Clips.FACE_SAD));
    ClipFuser.Prepared prepared = fuser.prepare("c1", clip, NOW, Map.of());

    // WEIGHTED_AVERAGE and LOGISTIC_REGRESSION need settings for the test models that the default
    // ones lack
    for (FusionRule rule :
        List.of(
            FusionRule.AVERAGE,
            FusionRule.CONFIDENCE_THRESHOLD,
            FusionRule.DYNAMIC_CONFIDENCE,
            FusionRule.RULE_BASED)) {
      assertThat(fuser.fuse(prepared, rule))
          .as("%s", rule)
          .isEqualTo(fuser.fuse("c1", clip, NOW, rule));
    }
    assertThatThrownBy(() -> fuser.fuse(prepared, FusionRule.WEIGHTED_AVERAGE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no weight for model 'speech-test'");
    assertThat(prepared.aligned()).hasSize(2);
  }

  /**
   * A distribution the caller has aligned already is used as given, not aligned again from the
   * record.
   */
  @Test
  void aPreparedClipTakesADistributionAlignedAlreadyForItsModality() {
    PendingClip clip =
        clip(Clips.manifest("c1", Modality.AUDIO), Clips.audio("c1", Clips.SPEECH_HAPPY), null);
    double[] allNeutral = new double[FusionConfig.DEFAULT_LABELS.size()];
    allNeutral[FusionConfig.DEFAULT_LABELS.indexOf("neutral")] = 1;

    FusedEmotion fused =
        fuser.fuse(
            fuser.prepare("c1", clip, NOW, Map.of(Modality.AUDIO, allNeutral)), FusionRule.AVERAGE);

    assertThat(fused.getLabel()).isEqualTo("neutral");
    assertThat(fuser.fuse("c1", clip, NOW).getLabel()).isEqualTo("happy");
  }
}
