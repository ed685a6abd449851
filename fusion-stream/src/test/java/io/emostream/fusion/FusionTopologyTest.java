package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.DeadLetterHeaders;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production topology and Streams properties (handlers included) on a TopologyTestDriver with
 * mock time.
 */
class FusionTopologyTest {

  private static final Instant START = Instant.parse("2025-01-01T00:00:10Z");
  private static final Duration TIMEOUT = FusionConfig.DEFAULT_TIMEOUT;
  private static final Duration RETENTION = FusionConfig.DEFAULT_DONE_RETENTION;
  private static final Duration MAX_WAIT = FusionConfig.DEFAULT_MAX_WAIT;

  /** A worker heartbeat interval well inside the timeout, as a busy worker's transactions give. */
  private static final Duration BEAT = Duration.ofSeconds(10);

  @TempDir Path stateDir;

  private final Topics topics = new Topics("test.", 1);
  private TopologyTestDriver driver;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private TestInputTopic<String, ClipManifest> manifests;
  private TestInputTopic<String, ModalityPrediction> audio;
  private TestInputTopic<String, ModalityPrediction> video;
  private TestInputTopic<String, WorkerProgress> progress;

  /** The driver's wall clock, as advanced by {@link #advance}. */
  private Instant now = START;

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
    startDriver(overrides, emitAllRules, null);
  }

  private void startDriver(
      Map<String, Object> overrides, boolean emitAllRules, LogisticRegressionModel lrModel) {
    startDriver(overrides, config(emitAllRules, lrModel));
  }

  private void startDriver(Map<String, Object> overrides, FusionConfig config) {
    driver =
        new TopologyTestDriver(
            FusionTopology.build(config, new FusionMetrics(meters)),
            FusionStreamApp.streamsProperties(config, overrides),
            START);
    manifests = input(topics.manifests());
    audio = input(topics.audioPredictions());
    video = input(topics.videoPredictions());
    progress = input(topics.workerProgress());
    fused =
        driver.createOutputTopic(
            topics.fused().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fused().valueSerde().deserializer());
    deadLetters =
        driver.createOutputTopic(
            topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private FusionConfig config(boolean emitAllRules, LogisticRegressionModel lrModel) {
    return FusionConfig.of("fusion-test", topics, KafkaSettings.bootstrap("unused:9092"))
        .withRules(
            new FusionRules.Settings(
                Map.of("speech-test", 1.0, "face-test", 3.0), 0.7, Modality.VIDEO, lrModel),
            emitAllRules);
  }

  private <V> TestInputTopic<String, V> input(Topics.Topic<V> topic) {
    return driver.createInputTopic(
        topic.name(), Topics.KEY_SERDE.serializer(), topic.valueSerde().serializer());
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
    assertThat(result.getDistribution().get(3))
        .isCloseTo(0.25f, within(1e-6f)); // sad: (0.1 + 0.4) / 2
    assertThat(result.getDistribution().get(0))
        .isCloseTo(0.15f, within(1e-6f)); // neutral: (0.1 + 0.2) / 2
    assertThat(result.getFusedAtMs()).isEqualTo(START);
    assertThat(result.getLatencyMs()).isEqualTo(START.toEpochMilli() - Clips.INGEST.toEpochMilli());
    assertThat(
            meters
                .get("emostream.fused")
                .tag("status", "COMPLETE")
                .tag("rule", "AVERAGE")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(meters.get("emostream.end.to.end").timer().totalTime(TimeUnit.MILLISECONDS))
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
  void noSpeechOnTheAudioSideGivesVideoOnly() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.failed("c1", Modality.AUDIO, PredictionStatus.NO_SPEECH));
    assertThat(fused.isEmpty()).isTrue();

    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.VIDEO_ONLY);
    assertThat(result.getLabel()).isEqualTo("sad");
    assertThat(result.getModalities()).containsExactly(Modality.VIDEO);
    assertThat(result.getPredictions())
        .extracting(ModalityPrediction::getStatus)
        .containsExactly(PredictionStatus.NO_SPEECH, PredictionStatus.OK);
  }

  @Test
  void noSpeechAndNoFaceGiveNoPrediction() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.failed("c1", Modality.AUDIO, PredictionStatus.NO_SPEECH));
    video.pipeInput("c1", Clips.failed("c1", Modality.VIDEO, PredictionStatus.NO_FACE));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
    assertThat(result.getLabel()).isNull();
    assertThat(result.getModalities()).isEmpty();
    assertThat(result.getDistribution()).containsOnly(0f);
  }

  @Test
  void anAudioOnlyClipWithNoSpeechGivesNoPrediction() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO));
    audio.pipeInput("c1", Clips.failed("c1", Modality.AUDIO, PredictionStatus.NO_SPEECH));

    assertThat(single().getStatus()).isEqualTo(FusionStatus.NO_PREDICTION);
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
    assertThat(meters.get("emostream.fused").tag("status", "AUDIO_ONLY").counter().count())
        .isEqualTo(1);
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
    KeyValueStore<String, PendingClip> store =
        driver.getKeyValueStore(FusionTopology.PENDING_STORE);
    assertThat(store.get("c1").getFusedAtMs()).isEqualTo(START.toEpochMilli());
    assertThat(store.get("c1").getManifest()).isNull();

    driver.advanceWallClockTime(RETENTION.minusMillis(1));
    assertThat(store.get("c1")).isNotNull();
    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(store.get("c1")).isNull();
  }

  /**
   * The punctuator reads the pending-clips store only for entries due now: with 200 done markers
   * within their retention and one pending clip, every punctuation before the clip's timeout reads
   * nothing (it used to read all 201 entries every second), the timeout reads that one clip, and
   * the end of the retention reads each marker once.
   */
  @Test
  void thePunctuatorReadsNoDoneMarkerWithinItsRetentionAndEachEntryOnceWhenDue() {
    int markers = 200;
    for (int i = 0; i < markers; i++) {
      String clip = "done-" + i;
      manifests.pipeInput(clip, Clips.manifest(clip, Modality.AUDIO));
      audio.pipeInput(clip, Clips.audio(clip, Clips.SPEECH_HAPPY));
    }
    assertThat(fused.readValuesToList()).hasSize(markers);
    manifests.pipeInput("p", Clips.manifest("p", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("p", Clips.audio("p", Clips.SPEECH_HAPPY));

    Duration interval = FusionConfig.DEFAULT_PUNCTUATE_INTERVAL;
    long punctuations = TIMEOUT.dividedBy(interval) - 1; // one a second before the clip's timeout
    for (long i = 0; i < punctuations; i++) {
      driver.advanceWallClockTime(interval);
    }
    driver.advanceWallClockTime(TIMEOUT.minus(interval.multipliedBy(punctuations)).minusMillis(1));
    assertThat(fused.isEmpty()).isTrue();
    assertThat(FusionTopology.punctuatorVisits(driver.metrics())).isZero();

    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(single().getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(FusionTopology.punctuatorVisits(driver.metrics())).isEqualTo(1);

    driver.advanceWallClockTime(RETENTION.minus(TIMEOUT));
    KeyValueStore<String, PendingClip> store =
        driver.getKeyValueStore(FusionTopology.PENDING_STORE);
    assertThat(FusionTopology.punctuatorVisits(driver.metrics())).isEqualTo(1 + markers);
    assertThat(store.get("done-0")).isNull();
    assertThat(store.get("p").getFusedAtMs()).isEqualTo(START.plus(TIMEOUT).toEpochMilli());
    KeyValueStore<String, String> index = driver.getKeyValueStore(FusionTopology.DUE_STORE);
    assertThat(
            index.get(PendingClips.dueKey(START.plus(TIMEOUT).plus(RETENTION).toEpochMilli(), "p")))
        .isEqualTo("p");
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
  void aMissingAudioIsGivenUpOnAtTheTimeoutWithVideoOnly() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    driver.advanceWallClockTime(TIMEOUT);

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.VIDEO_ONLY);
    assertThat(result.getLabel()).isEqualTo("sad");
    assertThat(result.getSourceId()).isEqualTo("source-1");
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isZero();
  }

  @Test
  void aManifestThatArrivesJustBeforeTheTimeoutIsFusedAtTheTimeoutOfTheFirstRecord() {
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    driver.advanceWallClockTime(TIMEOUT.minusMillis(1));
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    assertThat(fused.isEmpty()).isTrue();

    driver.advanceWallClockTime(Duration.ofMillis(1));
    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getFusedAtMs()).isEqualTo(START.plus(TIMEOUT));
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isZero();
  }

  @Test
  void aPredictionWhoseManifestNeverCameIsDroppedExactlyAtTheTimeoutAndCounted() {
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    KeyValueStore<String, PendingClip> store =
        driver.getKeyValueStore(FusionTopology.PENDING_STORE);

    driver.advanceWallClockTime(TIMEOUT.minusMillis(1));
    assertThat(store.get("c1").getAudio()).isNotNull();
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isZero();

    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(fused.isEmpty()).isTrue();
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isEqualTo(1);
    assertThat(FusionTopology.lateRecords(driver.metrics())).isZero();
    assertThat(meters.find("emostream.fused").counter()).isNull();
    // replaced by a done marker: nothing of the prediction is kept
    assertThat(store.get("c1").getFusedAtMs()).isEqualTo(START.plus(TIMEOUT).toEpochMilli());
    assertThat(store.get("c1").getAudio()).isNull();
  }

  @Test
  void furtherRecordsOfAClipDroppedWithoutManifestAreLateUntilTheRetentionEnds() {
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    driver.advanceWallClockTime(TIMEOUT);
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isEqualTo(1);

    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    driver.advanceWallClockTime(RETENTION.minusMillis(1));

    assertThat(fused.isEmpty()).isTrue();
    assertThat(FusionTopology.lateRecords(driver.metrics())).isEqualTo(2);
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isEqualTo(1);
    KeyValueStore<String, PendingClip> store =
        driver.getKeyValueStore(FusionTopology.PENDING_STORE);
    assertThat(store.get("c1")).isNotNull();
    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(store.get("c1")).isNull();
  }

  @Test
  void aPredictionLaterThanTheRetentionGivesNoSecondResult() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    assertThat(single().getLabel()).isEqualTo("happy");
    driver.advanceWallClockTime(RETENTION);
    assertThat(driver.getKeyValueStore(FusionTopology.PENDING_STORE).get("c1"))
        .isNull(); // marker forgotten

    // a redelivered face prediction alone would fuse to VIDEO_ONLY "sad": the contradictory second
    // result
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    driver.advanceWallClockTime(TIMEOUT.minusMillis(1));
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isZero();
    driver.advanceWallClockTime(Duration.ofMillis(1));

    assertThat(fused.isEmpty()).isTrue();
    assertThat(FusionTopology.clipsWithoutManifest(driver.metrics())).isEqualTo(1);
    assertThat(meters.get("emostream.fused").counter().count()).isEqualTo(1);
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    assertThat(fused.isEmpty()).isTrue();
    assertThat(FusionTopology.lateRecords(driver.metrics())).isEqualTo(1);
  }

  @Test
  void poisonBytesAreDeadLetteredAndProcessingContinues() {
    // The driver's EOS mode drops what is produced outside a record's processing (it clears
    // uncommitted sends
    // after each input), and a dead letter for undecodable bytes is produced before any processing.
    // So this test
    // runs at-least-once; FusionStreamIT checks the same path exactly-once on a real broker.
    driver.close();
    startDriver(
        Map.of(
            StreamsConfig.STATE_DIR_CONFIG,
            stateDir.resolve("alos").toString(),
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.AT_LEAST_ONCE));
    TestInputTopic<String, byte[]> rawManifests =
        driver.createInputTopic(
            topics.manifests().name(), Topics.KEY_SERDE.serializer(), new ByteArraySerializer());
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
    audio.pipeInput(
        "c1",
        Clips.prediction(
            "c1", Modality.AUDIO, List.of("happy", "bored"), PredictionStatus.OK, 0.5, 0.5));
    video.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    assertThat(fused.isEmpty()).isTrue();

    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    List<String> reasons =
        deadLetters.readRecordsToList().stream()
            .map(r -> header(r, DeadLetterHeaders.REASON))
            .toList();
    assertThat(reasons).hasSize(3);
    assertThat(reasons.get(0)).contains("other-clip");
    assertThat(reasons.get(1)).contains("'bored'");
    assertThat(reasons.get(2)).contains("AUDIO prediction").contains("VIDEO predictions topic");
    assertThat(single().getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
  }

  // --- waiting for a worker that is alive and behind (worker progress) ---

  @Test
  void aClipWaitsPastTheTimeoutWhileTheVideoWorkerIsAliveAndBehindThenFusesComplete() {
    videoWorker(now, null);
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    // 3 minutes of backlog: the worker beats every 10 s and never catches up with its partition
    while (now.isBefore(START.plus(Duration.ofMinutes(3)))) {
      advance(BEAT);
      videoWorker(now, null);
    }
    assertThat(fused.isEmpty()).isTrue();
    assertThat(pending("c1").getWaitingSinceMs())
        .as("waiting since its timeout")
        .isEqualTo(START.plus(TIMEOUT).toEpochMilli());

    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
    assertThat(result.getFusedAtMs()).isEqualTo(START.plus(Duration.ofMinutes(3)));
  }

  @Test
  void progressOfAnotherPartitionOrTheOtherModalityIsNotWaitedFor() {
    progress.pipeInput(
        Topics.progressKey(topics.frames().name(), 1),
        workerProgress(topics.frames().name(), 1, now, null));
    progress.pipeInput(
        Topics.progressKey(topics.audio().name(), 0),
        workerProgress(topics.audio().name(), 0, now, null));
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    advance(TIMEOUT);

    assertThat(single().getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
  }

  @Test
  void aKilledVideoWorkerIsGivenUpOnOnceItsLastHeartbeatIsATimeoutOld() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    advance(Duration.ofSeconds(20));
    videoWorker(now, null); // its last heartbeat: killed right after, 20 s after the clip arrived
    Instant killed = now;

    advance(
        TIMEOUT.minus(
            Duration.ofSeconds(20))); // the clip's timeout: the worker looks alive and behind
    assertThat(fused.isEmpty()).isTrue();
    advance(Duration.between(now, killed.plus(TIMEOUT)).minusMillis(1));
    assertThat(fused.isEmpty()).isTrue();

    advance(Duration.ofMillis(1));
    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getFusedAtMs())
        .as("one timeout after the worker fell silent")
        .isEqualTo(killed.plus(TIMEOUT));
  }

  @Test
  void aStaleHeartbeatAtTheTimeoutIsNotWaitedFor() {
    videoWorker(
        now.minus(Duration.ofSeconds(5)),
        null); // last beat 5 s before the clip: silent at its timeout
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));

    advance(TIMEOUT);

    assertThat(single().getFusedAtMs()).isEqualTo(START.plus(TIMEOUT));
  }

  @Test
  void theHardCapFusesWhatArrivedWhileTheWorkerIsStillBehindAndCountsIt() {
    videoWorker(now, null);
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    while (now.plus(BEAT).isBefore(START.plus(MAX_WAIT))) {
      advance(BEAT);
      videoWorker(now, null);
    }
    advance(Duration.between(now, START.plus(MAX_WAIT)).minusMillis(1));
    assertThat(fused.isEmpty()).isTrue();

    advance(Duration.ofMillis(1));

    FusedEmotion result = single();
    assertThat(result.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
    assertThat(result.getFusedAtMs()).isEqualTo(START.plus(MAX_WAIT));
    assertThat(FusionTopology.clipsAtMaxWait(driver.metrics())).isEqualTo(1);
  }

  @Test
  void aWorkerThatPassedTheClipGivesItsPredictionOneMoreTimeoutToArrive() {
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    manifests.pipeInput("c2", Clips.manifest("c2", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c2", Clips.audio("c2", Clips.SPEECH_HAPPY));
    advance(Duration.ofSeconds(5));
    videoWorker(now, now); // caught up after both clips arrived: their predictions are committed

    advance(TIMEOUT.minus(Duration.ofSeconds(5)));
    assertThat(fused.isEmpty()).isTrue();
    assertThat(pending("c1").getDeadlineMs())
        .isEqualTo(START.plus(TIMEOUT).plus(TIMEOUT).toEpochMilli());
    video.pipeInput(
        "c1", Clips.video("c1", Clips.FACE_SAD)); // in flight, arrives within the extra time
    assertThat(single().getStatus()).isEqualTo(FusionStatus.COMPLETE);

    videoWorker(now, now);
    advance(TIMEOUT.minusMillis(1));
    videoWorker(now, now);
    assertThat(fused.isEmpty()).isTrue();
    advance(
        Duration.ofMillis(
            1)); // c2's never came (say, its frames were dead-lettered without a prediction)
    FusedEmotion c2 = single();
    assertThat(c2.getClipId()).isEqualTo("c2");
    assertThat(c2.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
  }

  @Test
  void aClipThatArrivedAfterTheWorkerLastCaughtUpIsBehindIt() {
    videoWorker(now, now);
    advance(Duration.ofMillis(1));
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    Instant caughtUp = START;
    while (now.isBefore(START.plus(TIMEOUT.multipliedBy(3)))) {
      advance(BEAT);
      videoWorker(now, caughtUp);
    }
    assertThat(fused.isEmpty()).isTrue();
  }

  private void advance(Duration by) {
    driver.advanceWallClockTime(by);
    now = now.plus(by);
  }

  private void videoWorker(Instant heartbeat, Instant caughtUpAt) {
    progress.pipeInput(
        Topics.progressKey(topics.frames().name(), 0),
        workerProgress(topics.frames().name(), 0, heartbeat, caughtUpAt));
  }

  private static WorkerProgress workerProgress(
      String inputTopic, int partition, Instant heartbeat, Instant caughtUpAt) {
    return WorkerProgress.newBuilder()
        .setInputTopic(inputTopic)
        .setPartition(partition)
        .setGroupId("video-group")
        .setInstance("video-1")
        .setHeartbeatMs(heartbeat.toEpochMilli())
        .setPosition(3)
        .setEndOffset(caughtUpAt == null ? 9 : 3)
        .setCaughtUpAtMs(caughtUpAt == null ? null : caughtUpAt.toEpochMilli())
        .build();
  }

  private PendingClip pending(String clipId) {
    KeyValueStore<String, PendingClip> store =
        driver.getKeyValueStore(FusionTopology.PENDING_STORE);
    return store.get(clipId);
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
    TestOutputTopic<String, FusedEmotion> allRules =
        driver.createOutputTopic(
            topics.fusedAllRules().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fusedAllRules().valueSerde().deserializer());
    for (String clip : List.of("c1", "c2")) {
      manifests.pipeInput(clip, Clips.manifest(clip, Modality.AUDIO, Modality.VIDEO));
      audio.pipeInput(clip, Clips.audio(clip, Clips.SPEECH_HAPPY));
      video.pipeInput(clip, Clips.video(clip, Clips.FACE_SAD));
    }

    assertThat(fused.readValuesToList())
        .extracting(FusedEmotion::getRule)
        .containsExactly(FusionRule.AVERAGE, FusionRule.AVERAGE);
    List<FusedEmotion> all = allRules.readValuesToList();
    assertThat(all)
        .extracting(FusedEmotion::getClipId)
        .containsExactly("c1", "c1", "c1", "c1", "c1", "c2", "c2", "c2", "c2", "c2");
    List<FusedEmotion> perRule = all.subList(0, 5);
    // LOGISTIC_REGRESSION has no model in this config: not among the topic's rules
    // (FusionTopology.allRules,
    // logged once at build), so it is never tried and nothing is counted as left out; the other
    // five are there
    assertThat(perRule)
        .extracting(FusedEmotion::getRule)
        .containsExactly(
            FusionRule.AVERAGE,
            FusionRule.WEIGHTED_AVERAGE,
            FusionRule.CONFIDENCE_THRESHOLD,
            FusionRule.DYNAMIC_CONFIDENCE,
            FusionRule.RULE_BASED);
    assertThat(meters.find("emostream.all.rules.left.out").counter()).isNull();
    // speech happy .5 vs face sad .4: RULE_BASED takes the more confident audio; WEIGHTED (1:3)
    // still happy .35
    assertThat(perRule.get(4).getLabel()).isEqualTo("happy");
    assertThat(perRule.get(4).getConfidence()).isCloseTo(0.5f, within(1e-6f));
    assertThat(perRule.get(1).getConfidence()).isCloseTo(0.35f, within(1e-6f));
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void withEmitJsonEachFusedRecordAlsoGoesToTheJsonTopicAsItsFusedSegmentJson() {
    driver.close();
    startDriver(
        Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("json").toString()),
        config(false, null).withEmitJson(true));
    TestOutputTopic<String, JsonNode> json =
        driver.createOutputTopic(
            topics.fusedJson().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fusedJson().valueSerde().deserializer());
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));
    manifests.pipeInput("c2", Clips.manifest("c2", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c2", Clips.audio("c2", Clips.SPEECH_HAPPY));
    driver.advanceWallClockTime(TIMEOUT); // c2 at its timeout, by the punctuator

    List<TestRecord<String, FusedEmotion>> avro = fused.readRecordsToList();
    List<TestRecord<String, JsonNode>> views = json.readRecordsToList();
    assertThat(avro)
        .extracting(r -> r.value().getStatus())
        .containsExactly(FusionStatus.COMPLETE, FusionStatus.AUDIO_ONLY);
    assertThat(views).hasSameSizeAs(avro);
    for (int i = 0; i < avro.size(); i++) {
      assertThat(views.get(i).key()).isEqualTo(avro.get(i).key());
      assertThat(views.get(i).timestamp()).isEqualTo(avro.get(i).timestamp());
      assertThat(views.get(i).value().toString())
          .isEqualTo(FusedSegmentJson.line(avro.get(i).value()));
    }
    assertThat(views.get(1).value().get("status").asText()).isEqualTo("AUDIO_ONLY");
    assertThat(views.get(0).value().get("distribution").get("sad").asDouble()).isEqualTo(0.25);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void withoutEmitJsonTheTopologyHasNoJsonSinkAndWritesNoJson() {
    TestOutputTopic<String, JsonNode> json =
        driver.createOutputTopic(
            topics.fusedJson().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fusedJson().valueSerde().deserializer());
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    assertThat(single().getStatus()).isEqualTo(FusionStatus.COMPLETE);
    assertThat(json.isEmpty()).isTrue();
    assertThat(FusionTopology.build(config(false, null)).describe().toString())
        .doesNotContain(FusionTopology.FUSED_JSON_SINK);
    assertThat(FusionTopology.build(config(false, null).withEmitJson(true)).describe().toString())
        .contains(FusionTopology.FUSED_JSON_SINK, topics.fusedJson().name());
  }

  @Test
  void aRuleThatCannotRunOnAClipIsLeftOutOfTheAllRulesTopicAndCounted() {
    driver.close();
    startDriver(
        Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("weights").toString()), true);
    TestOutputTopic<String, FusedEmotion> allRules =
        driver.createOutputTopic(
            topics.fusedAllRules().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fusedAllRules().valueSerde().deserializer());
    ModalityPrediction unweighted = Clips.audio("c1", Clips.SPEECH_HAPPY);
    unweighted.setModelName("speech-without-weight");
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", unweighted);
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    assertThat(single().getRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(allRules.readValuesToList())
        .extracting(FusedEmotion::getRule)
        .containsExactly(
            FusionRule.AVERAGE,
            FusionRule.CONFIDENCE_THRESHOLD,
            FusionRule.DYNAMIC_CONFIDENCE,
            FusionRule.RULE_BASED);
    assertThat(
            meters
                .get("emostream.all.rules.left.out")
                .tag("rule", "WEIGHTED_AVERAGE")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void withAnLrModelTheAllRulesTopicCarriesAllSixRules() {
    driver.close();
    List<String> l = FusionConfig.DEFAULT_LABELS;
    int n = l.size();
    double[][] sum =
        new double[n][2 * n]; // identity scaling, W = [I | I]: score = audio + video probability
    for (int i = 0; i < n; i++) {
      sum[i][i] = 1;
      sum[i][n + i] = 1;
    }
    double[] max = new double[2 * n];
    Arrays.fill(max, 1);
    startDriver(
        Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("lr").toString()),
        true,
        new LogisticRegressionModel(l, l, new double[2 * n], max, sum, new double[n], Map.of()));
    TestOutputTopic<String, FusedEmotion> allRules =
        driver.createOutputTopic(
            topics.fusedAllRules().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.fusedAllRules().valueSerde().deserializer());
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    single();
    List<FusedEmotion> perRule = allRules.readValuesToList();
    assertThat(perRule).extracting(FusedEmotion::getRule).containsExactly(FusionRule.values());
    // happy: .5 + .3 = .8 is the largest audio + video sum
    assertThat(perRule.get(5).getLabel()).isEqualTo("happy");
  }

  @Test
  void theAllRulesTopicLeavesOutLogisticRegressionExactlyWhenNoModelIsConfigured() {
    assertThat(FusionTopology.allRules(config(true, null)))
        .containsExactly(
            FusionRule.AVERAGE,
            FusionRule.WEIGHTED_AVERAGE,
            FusionRule.CONFIDENCE_THRESHOLD,
            FusionRule.DYNAMIC_CONFIDENCE,
            FusionRule.RULE_BASED);
    LogisticRegressionModel model =
        new LogisticRegressionModel(
            List.of("happy"),
            List.of("happy"),
            new double[2],
            new double[] {1, 1},
            new double[][] {{1, 1}},
            new double[1],
            Map.of());
    assertThat(FusionTopology.allRules(config(true, model))).containsExactly(FusionRule.values());
  }

  @Test
  void withoutEmitAllRulesTheTopologyHasNoAllRulesSink() {
    assertThat(
            FusionTopology.build(
                    FusionConfig.of("x", topics, KafkaSettings.bootstrap("unused:9092")))
                .describe()
                .toString())
        .doesNotContain(FusionTopology.ALL_RULES_SINK);
  }
}
