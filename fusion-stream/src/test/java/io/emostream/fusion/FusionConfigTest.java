package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaClients;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class FusionConfigTest {

  /**
   * Fusion waits for a worker's clips longer than a dead worker replica takes to be replaced, so
   * the replica that takes its partitions over still delivers in time.
   */
  @Test
  void theDefaultTimeoutOutlastsAWorkerReplicasReplacement() {
    assertThat(FusionConfig.DEFAULT_TIMEOUT)
        .isGreaterThanOrEqualTo(KafkaClients.SESSION_TIMEOUT.multipliedBy(2));
  }

  /**
   * A fusion-stream replica killed without leaving its group (kill -9) hands its tasks over after
   * the workers' 10 s, not Streams' 45 s (measured by hand before: its clips were fused 45 s late);
   * KAFKA_SESSION_TIMEOUT_MS still chooses.
   */
  @Test
  void aDeadReplicaHandsItsTasksOverAfterTenSecondsUnlessTheOperatorSaysOtherwise() {
    Properties defaults =
        FusionStreamApp.streamsProperties(FusionConfig.fromEnv(new Env(Map.of())), Map.of());
    Properties set =
        FusionStreamApp.streamsProperties(
            FusionConfig.fromEnv(new Env(Map.of("KAFKA_SESSION_TIMEOUT_MS", "45000"))), Map.of());

    assertThat(defaults)
        .containsEntry("session.timeout.ms", 10_000)
        .containsEntry("heartbeat.interval.ms", 3_000);
    assertThat(set).containsEntry("session.timeout.ms", "45000");
    assertThat(set).doesNotContainKey("heartbeat.interval.ms");
  }

  @Test
  void noTaskWaitsForDataOnItsOtherPartitionsUnlessTheOperatorSetsIt() {
    Properties defaults =
        FusionStreamApp.streamsProperties(FusionConfig.fromEnv(new Env(Map.of())), Map.of());
    Properties set =
        FusionStreamApp.streamsProperties(
            FusionConfig.fromEnv(new Env(Map.of("KAFKA_MAX_TASK_IDLE_MS", "500"))), Map.of());

    assertThat(defaults.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG))
        .isEqualTo(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    assertThat(set.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG)).isEqualTo("500");
  }

  @Test
  void defaultsFromAnEmptyEnvironment() {
    FusionConfig config = FusionConfig.fromEnv(new Env(Map.of()));

    assertThat(config.applicationId()).isEqualTo("emostream-fusion");
    assertThat(config.defaultRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.punctuateInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.doneRetention()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.maxWait()).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.labels())
        .containsExactly(
            "neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");
    assertThat(config.topics().fused().name()).isEqualTo(Topics.DEFAULT_PREFIX + "fused");
    assertThat(config.topics().fused().partitions()).isEqualTo(Topics.DEFAULT_PARTITIONS);
  }

  @Test
  void readsEveryVariable() {
    FusionConfig config =
        FusionConfig.fromEnv(
            new Env(
                Map.of(
                    "EMOSTREAM_FUSION_APP_ID", "fusion-b",
                    "EMOSTREAM_FUSION_RULE", "average",
                    "EMOSTREAM_FUSION_TIMEOUT", "5s",
                    "EMOSTREAM_FUSION_PUNCTUATE_INTERVAL", "250ms",
                    "EMOSTREAM_FUSION_DONE_RETENTION", "2m",
                    "EMOSTREAM_FUSION_MAX_WAIT", "60m",
                    "EMOSTREAM_LABELS", " Happy, sad ,angry",
                    "EMOSTREAM_TOPIC_PREFIX", "t1.",
                    "EMOSTREAM_TOPIC_PARTITIONS", "3",
                    "KAFKA_BOOTSTRAP_SERVERS", "broker:9093")));

    assertThat(config.applicationId()).isEqualTo("fusion-b");
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.punctuateInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.doneRetention()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.maxWait()).isEqualTo(Duration.ofHours(1));
    assertThat(config.labels()).isEqualTo(List.of("happy", "sad", "angry"));
    assertThat(config.topics().manifests().name()).isEqualTo("t1.clips.manifest");
    assertThat(config.topics().manifests().partitions()).isEqualTo(3);
    assertThat(config.kafka().bootstrapServers()).isEqualTo("broker:9093");
  }

  @Test
  void aMaxWaitShorterThanTheTimeoutIsRejectedNamingBoth() {
    assertThatThrownBy(
            () ->
                FusionConfig.fromEnv(
                    new Env(
                        Map.of(
                            "EMOSTREAM_FUSION_TIMEOUT", "2m", "EMOSTREAM_FUSION_MAX_WAIT", "1m"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_MAX_WAIT")
        .hasMessageContaining("EMOSTREAM_FUSION_TIMEOUT");
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_MAX_WAIT", "0s"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_MAX_WAIT");
    assertThat(FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_MAX_WAIT", "30s"))).maxWait())
        .as("equal to the timeout: no waiting beyond it")
        .isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void rejectsBadValuesNamingTheVariable() {
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_TIMEOUT", "0s"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_TIMEOUT");
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_RULE", "median"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_RULE");
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_LABELS", "happy,HAPPY"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_LABELS");
  }

  @Test
  void toStringHidesKafkaSecrets() {
    FusionConfig config =
        FusionConfig.fromEnv(
            new Env(Map.of("KAFKA_SASL_JAAS_CONFIG", "user=\"u\" password=\"p4ss\"")));

    assertThat(config.toString()).doesNotContain("p4ss");
  }

  @Test
  void readsTheRuleSettings() throws Exception {
    Path lr = Files.createTempFile("lr", ".json");
    FusionRulesTest.SUM_MODEL.write(lr);
    FusionConfig config =
        FusionConfig.fromEnv(
            new Env(
                Map.of(
                    "EMOSTREAM_FUSION_RULE", "rule_based",
                    "EMOSTREAM_FUSION_WEIGHTS",
                        "speech-emotion-ravdess=0.57, fer-mobilefacenet=0.88",
                    "EMOSTREAM_FUSION_THRESHOLD", "0.6",
                    "EMOSTREAM_FUSION_PREFERRED_MODALITY", "audio",
                    "EMOSTREAM_FUSION_LR_MODEL", lr.toString(),
                    "EMOSTREAM_FUSION_EMIT_ALL_RULES", "true")));

    assertThat(config.defaultRule()).isEqualTo(FusionRule.RULE_BASED);
    assertThat(config.rules().weights())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("speech-emotion-ravdess", 0.57, "fer-mobilefacenet", 0.88));
    assertThat(config.rules().threshold()).isEqualTo(0.6);
    assertThat(config.rules().preferred()).isEqualTo(Modality.AUDIO);
    assertThat(config.rules().logisticRegression().classes()).isEqualTo(FusionRulesTest.L);
    assertThat(config.emitAllRules()).isTrue();
    Files.delete(lr);
  }

  @Test
  void ruleSettingDefaultsAreThePapers() {
    FusionConfig config = FusionConfig.fromEnv(new Env(Map.of()));
    assertThat(config.rules().threshold()).isEqualTo(0.7);
    assertThat(config.rules().preferred()).isEqualTo(Modality.VIDEO);
    assertThat(config.rules().weights())
        .containsKeys("speech-emotion-ravdess", "fer-mobilefacenet");
    assertThat(config.rules().logisticRegression()).isNull();
    assertThat(config.emitAllRules()).isFalse();
    assertThat(config.emitJson()).isFalse();
  }

  @Test
  void theJsonViewIsSwitchedByItsVariable() {
    assertThat(
            FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_EMIT_JSON", "true"))).emitJson())
        .isTrue();
    assertThat(
            FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_EMIT_JSON", "false"))).emitJson())
        .isFalse();
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_EMIT_JSON", "yes please"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_EMIT_JSON");
  }

  @Test
  void rejectsMalformedWeightsAndThreshold() {
    for (String bad : List.of("speech", "speech=0", "speech=-1", "=0.5", "a=1,a=2", "a=x")) {
      assertThatThrownBy(
              () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_WEIGHTS", bad))))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("EMOSTREAM_FUSION_WEIGHTS");
    }
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_THRESHOLD", "1.2"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_THRESHOLD");
    assertThatThrownBy(
            () ->
                FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_LR_MODEL", "/no/such.json"))))
        .hasMessageContaining("/no/such.json");
  }
}
