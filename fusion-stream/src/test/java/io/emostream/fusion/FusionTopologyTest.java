package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.DeadLetterHeaders;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The production topology and Streams properties (handlers included) on a TopologyTestDriver with mock time. */
class FusionTopologyTest {

  private static final Instant START = Instant.parse("2025-01-01T00:00:10Z");
  private static final Duration TIMEOUT = FusionConfig.DEFAULT_TIMEOUT;
  private static final Duration RETENTION = FusionConfig.DEFAULT_DONE_RETENTION;

  @TempDir
  Path stateDir;

  private final Topics topics = new Topics("test.", 1);
  private TopologyTestDriver driver;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private TestInputTopic<String, ClipManifest> manifests;
  private TestInputTopic<String, ModalityPrediction> audio;
  private TestInputTopic<String, ModalityPrediction> video;
  private TestOutputTopic<String, FusedEmotion> fused;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void startDriver() {
    startDriver(Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()));
  }

  private void startDriver(Map<String, Object> overrides) {
    startDriver(overrides, false);
  }

  private void startDriver(Map<String, Object> overrides, boolean emitAllRules) {
    FusionConfig config = FusionConfig.of("fusion-test", topics, KafkaSettings.bootstrap("unused:9092"))
        .withRules(new FusionRules.Settings(Map.of("speech-test", 1.0, "face-test", 3.0), 0.7, Modality.VIDEO, null),
            emitAllRules);
    driver = new TopologyTestDriver(FusionTopology.build(config, new FusionMetrics(meters)),
        FusionStreamApp.streamsProperties(config, overrides), START);
    manifests = input(topics.manifests());
    audio = input(topics.audioPredictions());
    video = input(topics.videoPredictions());
    fused = driver.createOutputTopic(topics.fused().name(), Topics.KEY_SERDE.deserializer(),
        topics.fused().valueSerde().deserializer());
    deadLetters = driver.createOutputTopic(topics.deadLetters().name(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private <V> TestInputTopic<String, V> input(Topics.Topic<V> topic) {
    return driver.createInputTopic(topic.name(), Topics.KEY_SERDE.serializer(), topic.valueSerde().serializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void bothModalitiesGiveOneCompleteAverage() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    assertThat(fused.isEmpty()).isTrue();

    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
    assertThat(result.getLabel()).isEqualTo("happy");
    assertThat(result.getConfidence()).isCloseTo(0.4f, within(1e-6f));
    assertThat(result.getDistribution().get(3)).isCloseTo(0.25f, within(1e-6f)); // sad: (0.1 + 0.4) / 2
    assertThat(result.getDistribution().get(0)).isCloseTo(0.15f, within(1e-6f)); // neutral: (0.1 + 0.2) / 2
    assertThat(result.getFusedAtMs()).isEqualTo(START);
    assertThat(result.getLatencyMs()).isEqualTo(START.toEpochMilli() - Clips.INGEST.toEpochMilli());
    assertThat(meters.get("emostream.fused").tag("status", "COMPLETE").tag("rule", "AVERAGE").counter().count())
        .isEqualTo(1);
    assertThat(meters.get("emostream.end.to.end").timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
        .isEqualTo(result.getLatencyMs());
  }

  @Test
  void anAudioOnlyManifestIsFusedAsSoonAsTheAudioArrives() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getLabel()).isEqualTo("happy");
  }

  @Test
  void noFaceOnTheVideoSideGivesAudioOnly() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    video.pipeInput("c1", Clips.failed("c1", Modality.VIDEO, PredictionStatus.NO_FACE));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getPredictions()).hasSize(2);
    assertThat(result.getModalities()).containsExactly(Modality.AUDIO);
  }

  @Test
  void aMissingModalityIsGivenUpOnExactlyAtTheTimeout() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    driver.advanceWallClockTime(TIMEOUT.minusMillis(1));
    assertThat(fused.isEmpty()).isTrue();

    driver.advanceWallClockTime(Duration.ofMillis(1));
    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getFusedAtMs()).isEqualTo(START.plus(TIMEOUT));
    assertThat(meters.get("emostream.fused").tag("status", "AUDIO_ONLY").counter().count()).isEqualTo(1);
    assertThat(meters.find("emostream.fused").tag("status", "COMPLETE").counter()).isNull();
  }

  @Test
  void aLateVideoAfterTheTimeoutIsDroppedAndCounted() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    driver.advanceWallClockTime(TIMEOUT);
    assertThat(single().getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);

    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    assertThat(fused.isEmpty()).isTrue();
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(FusionTopology.lateRecords(driver.metrics())).isEqualTo(2);
  }

  @Test
  void doneMarkersAreForgottenAfterTheRetention() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    single();
    KeyValueStore<String, PendingClip> store = driver.getKeyValueStore(FusionTopology.PENDING_STORE);
    assertThat(store.get("c1").getFusedAtMs()).isEqualTo(START.toEpochMilli());
    assertThat(store.get("c1").getManifest()).isNull();

    driver.advanceWallClockTime(RETENTION.minusMillis(1));
    assertThat(store.get("c1")).isNotNull();
    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(store.get("c1")).isNull();
  }

  @Test
  void predictionsThatArriveBeforeTheManifestWaitForIt() {
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    assertThat(fused.isEmpty()).isTrue();

    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
    assertThat(result.getSourceId()).isEqualTo("source-1");
  }

  @Test
  void aClipWhoseManifestNeverCameIsFusedWithoutSourceAtTheTimeout() {
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    driver.advanceWallClockTime(TIMEOUT);

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getSourceId()).isNull();
    assertThat(result.getLatencyMs()).isEqualTo(-1);
  }

  @Test
  void poisonBytesAreDeadLetteredAndProcessingContinues() {
    // The driver's EOS mode drops what is produced outside a record's processing (it clears uncommitted sends
    // after each input), and a dead letter for undecodable bytes is produced before any processing. So this test
    // runs at-least-once; FusionStreamIT checks the same path exactly-once on a real broker.
    driver.close();
    startDriver(Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("alos").toString(),
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE));
    TestInputTopic<String, byte[]> rawManifests = driver.createInputTopic(topics.manifests().name(),
        Topics.KEY_SERDE.serializer(), new ByteArraySerializer());
    rawManifests.pipeInput("c0", "not avro".getBytes(StandardCharsets.UTF_8));

    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("c0");
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
    assertThat(header(dead, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(topics.manifests().name());
    assertThat(header(dead, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
    assertThat(header(dead, DeadLetterHeaders.REASON)).contains("ClipManifest");
    assertThat(header(dead, DeadLetterHeaders.SERVICE)).isEqualTo("fusion-stream");
    assertThat(single().getClipId()).isEqualTo("c1");
  }

  @Test
  void unusableRecordsAreDeadLetteredWithoutTouchingTheClip() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO));
    audio.pipeInput("c1", Clips.audio("other-clip", Clips.SPEECH_HAPPY));
    audio.pipeInput("c1", Clips.prediction("c1", Modality.AUDIO, List.of("happy", "bored"), PredictionStatus.OK,
        0.5, 0.5));
    video.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    assertThat(fused.isEmpty()).isTrue();

    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    List<String> reasons = deadLetters.readRecordsToList().stream()
        .map(r -> header(r, DeadLetterHeaders.REASON)).toList();
    assertThat(reasons).hasSize(3);
    assertThat(reasons.get(0)).contains("other-clip");
    assertThat(reasons.get(1)).contains("'bored'");
    assertThat(reasons.get(2)).contains("AUDIO prediction").contains("VIDEO predictions topic");
    assertThat(single().getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
  }

  private FusedEmotion single() {
    List<FusedEmotion> results = fused.readValuesToList();
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void theManifestsRuleOverridesTheDefault() {
    ClipManifest manifest = Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO);
    manifest.setFusionRule(FusionRule.WEIGHTED_AVERAGE);
    manifests.pipeInput("c1", manifest);
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    FusedEmotion result = single();
    // weights 1 and 3: happy .25*.5 + .75*.3 = .35, sad .25*.1 + .75*.4 = .325
    assertThat(result.getRule()).isEqualTo(FusionRule.WEIGHTED_AVERAGE);
    assertThat(result.getLabel()).isEqualTo("happy");
    assertThat(result.getConfidence()).isCloseTo(0.35f, within(1e-6f));
    assertThat(result.getDistribution().get(3)).isCloseTo(0.325f, within(1e-6f));
  }

  @Test
  void withEmitAllRulesEveryRunnableRuleGoesToTheAllRulesTopicAndTheClipsRuleToFused() {
    driver.close();
    startDriver(Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("all").toString()), true);
    TestOutputTopic<String, FusedEmotion> allRules = driver.createOutputTopic(topics.fusedAllRules().name(),
        Topics.KEY_SERDE.deserializer(), topics.fusedAllRules().valueSerde().deserializer());
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    assertThat(single().getRule()).isEqualTo(FusionRule.AVERAGE);
    List<FusedEmotion> perRule = allRules.readValuesToList();
    // LOGISTIC_REGRESSION has no model in this config: left out (with a WARN), the other five are there
    assertThat(perRule).extracting(FusedEmotion::getRule).containsExactly(FusionRule.AVERAGE,
        FusionRule.WEIGHTED_AVERAGE, FusionRule.CONFIDENCE_THRESHOLD, FusionRule.DYNAMIC_CONFIDENCE,
        FusionRule.RULE_BASED);
    assertThat(perRule).allSatisfy(r -> assertThat(r.getClipId()).isEqualTo("c1"));
    // speech happy .5 vs face sad .4: RULE_BASED takes the more confident audio; WEIGHTED (1:3) still happy .35
    assertThat(perRule.get(4).getLabel()).isEqualTo("happy");
    assertThat(perRule.get(4).getConfidence()).isCloseTo(0.5f, within(1e-6f));
    assertThat(perRule.get(1).getConfidence()).isCloseTo(0.35f, within(1e-6f));
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void withoutEmitAllRulesTheTopologyHasNoAllRulesSink() {
    assertThat(FusionTopology.build(FusionConfig.of("x", topics, KafkaSettings.bootstrap("unused:9092")))
        .describe().toString()).doesNotContain(FusionTopology.ALL_RULES_SINK);
  }
}
