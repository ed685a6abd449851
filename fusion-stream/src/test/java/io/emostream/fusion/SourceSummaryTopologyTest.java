package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceKind;
import io.emostream.schemas.SourceState;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.StatusCounts;
import io.emostream.schemas.SummarySegment;
import io.emostream.schemas.TimelineRun;
import io.emostream.topics.DeadLetterHeaders;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-source summary in the production topology and Streams properties, on a TopologyTestDriver
 * with mock wall-clock time: fused records and source events in, one summary per source out.
 */
class SourceSummaryTopologyTest {

  private static final Instant START = Instant.parse("2025-01-01T00:00:10Z");
  private static final Duration MAX_WAIT =
      FusionConfig.DEFAULT_MAX_WAIT.plus(SummarySettings.MARGIN);
  private static final Duration RETENTION = SummarySettings.DEFAULT_RETENTION;

  @TempDir Path stateDir;

  private final Topics topics = new Topics("test.", 1);
  private TopologyTestDriver driver;
  private TestInputTopic<String, FusedEmotion> fused;
  private TestInputTopic<String, SourceEvent> sources;
  private TestOutputTopic<String, SourceSummary> summaries;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void startDriver() {
    FusionConfig config =
        FusionConfig.of("summary-test", topics, KafkaSettings.bootstrap("unused:9092"));
    assertThat(config.summary()).isEqualTo(new SummarySettings(MAX_WAIT, RETENTION));
    driver =
        new TopologyTestDriver(
            FusionTopology.build(config, new FusionMetrics(new SimpleMeterRegistry())),
            FusionStreamApp.streamsProperties(
                config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString())),
            START);
    fused = input(topics.fused());
    sources = input(topics.sources());
    summaries =
        driver.createOutputTopic(
            topics.sourceSummaries().name(),
            Topics.KEY_SERDE.deserializer(),
            topics.sourceSummaries().valueSerde().deserializer());
    deadLetters =
        driver.createOutputTopic(
            topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private <V> TestInputTopic<String, V> input(Topics.Topic<V> topic) {
    return driver.createInputTopic(
        topic.name(), Topics.KEY_SERDE.serializer(), topic.valueSerde().serializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  static FusedEmotion fusedRecord(
      String sourceId, String role, int index, String label, FusionStatus status) {
    String clipId =
        sourceId + (role == null ? "" : "-" + role) + "-" + String.format("%05d", index);
    return FusedEmotion.newBuilder()
        .setClipId(clipId)
        .setSourceId(sourceId)
        .setSourceName("call.mkv")
        .setSegmentIndex(index)
        .setStartMs(index * 4_000L)
        .setEndMs(index * 4_000L + 4_000)
        .setRule(FusionRule.AVERAGE)
        .setLabel(label)
        .setConfidence(label == null ? 0f : 0.6f)
        .setLabels(List.of())
        .setDistribution(List.of())
        .setModalities(List.of())
        .setStatus(status)
        .setPredictions(List.of())
        .setFusedAtMs(START)
        .setSpeakerRole(role)
        .build();
  }

  private void fuse(String sourceId, int index, String label) {
    fuse(sourceId, null, index, label);
  }

  private void fuse(String sourceId, String role, int index, String label) {
    FusedEmotion record =
        fusedRecord(
            sourceId,
            role,
            index,
            label,
            label == null ? FusionStatus.NO_PREDICTION : FusionStatus.COMPLETE);
    fused.pipeInput(record.getClipId(), record);
  }

  private static SourceEvent event(String sourceId, SourceEventType type, int clipCount) {
    return SourceEvent.newBuilder()
        .setSourceId(sourceId)
        .setSourceName("call.mkv")
        .setType(type)
        .setKind(SourceKind.LIVE)
        .setUrl("rtmp://example/live")
        .setAtMs(START.plusSeconds(type == SourceEventType.STARTED ? 0 : 20))
        .setClipCount(clipCount)
        .setMediaTimeMs(type == SourceEventType.STARTED ? -1 : 12_000)
        .setEndReason(type == SourceEventType.STARTED ? null : "completed")
        .build();
  }

  private void started(String sourceId) {
    sources.pipeInput(sourceId, event(sourceId, SourceEventType.STARTED, 0));
  }

  private void ended(String sourceId, int clipCount) {
    sources.pipeInput(sourceId, event(sourceId, SourceEventType.ENDED, clipCount));
  }

  private SourceSummary single() {
    List<TestRecord<String, SourceSummary>> records = summaries.readRecordsToList();
    assertThat(records).hasSize(1);
    return records.get(0).value();
  }

  @Test
  void endedAfterTheLastFusedRecordWritesTheSummaryAtOnce() {
    started("call-1");
    fuse("call-1", 0, "happy");
    fuse("call-1", 1, "happy");
    fuse("call-1", 2, "sad");
    assertThat(summaries.isEmpty()).as("not ended yet").isTrue();

    ended("call-1", 3);

    TestRecord<String, SourceSummary> record = summaries.readRecord();
    assertThat(record.key()).isEqualTo("call-1");
    SourceSummary summary = record.value();
    assertThat(summary.getComplete()).isTrue();
    assertThat(summary.getClipCount()).isEqualTo(3);
    assertThat(summary.getFusedClipCount()).isEqualTo(3);
    assertThat(summary.getKind()).isEqualTo(SourceKind.LIVE);
    assertThat(summary.getSourceName()).isEqualTo("call.mkv");
    assertThat(summary.getStartedAtMs()).isEqualTo(START);
    assertThat(summary.getEndedAtMs()).isEqualTo(START.plusSeconds(20));
    assertThat(summary.getEndReason()).isEqualTo("completed");
    assertThat(summary.getMediaTimeMs()).isEqualTo(12_000);
    assertThat(summary.getRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(summary.getOverall().getDominantLabel()).isEqualTo("happy");
    assertThat(summary.getOverall().getStatusCounts()).isEqualTo(new StatusCounts(3, 0, 0, 0));
    assertThat(summary.getOverall().getTimeline())
        .containsExactly(
            new TimelineRun("happy", 0L, 8_000L, 2), new TimelineRun("sad", 8_000L, 12_000L, 1));
    assertThat(summary.getSummarisedAtMs()).isEqualTo(START);
    assertThat(summaries.isEmpty()).isTrue();
    assertThat(segmentsLeft()).as("segments dropped after the summary").isEmpty();
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void endedBeforeTheLastFusedRecordWaitsForIt() {
    fuse("call-2", 0, "sad");
    ended("call-2", 2);
    assertThat(summaries.isEmpty()).as("one clip still to be fused").isTrue();

    fuse("call-2", 1, null);

    SourceSummary summary = single();
    assertThat(summary.getComplete()).isTrue();
    assertThat(summary.getFusedClipCount()).isEqualTo(2);
    assertThat(summary.getStartedAtMs()).as("no STARTED seen").isNull();
    assertThat(summary.getOverall().getStatusCounts()).isEqualTo(new StatusCounts(1, 0, 0, 1));
    assertThat(summary.getOverall().getNoPredictionMs()).isEqualTo(4_000);
  }

  @Test
  void repeatedAndLateRecordsNeverCountTwiceNorMakeASecondSummary() {
    started("call-3");
    started("call-3");
    fuse("call-3", 0, "happy");
    fuse("call-3", 0, "happy"); // the same clip again
    ended("call-3", 2);
    ended("call-3", 2);
    assertThat(summaries.isEmpty()).as("clip 0 counted once: one of two").isTrue();

    fuse("call-3", 1, "happy");
    assertThat(single().getFusedClipCount()).isEqualTo(2);

    ended("call-3", 2);
    started("call-3");
    fuse("call-3", 1, "happy");
    fuse("call-3", 2, "sad");
    driver.advanceWallClockTime(MAX_WAIT.plusSeconds(1));
    assertThat(summaries.isEmpty()).as("the marker drops them all").isTrue();
    assertThat(metric(SourceSummaryProcessor.LATE_OPERATION)).isEqualTo(4.0);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aClipNeverFusedGivesAnIncompleteSummaryAtTheMaxWaitAfterEnded() {
    fuse("call-4", 0, "angry");
    fuse("call-4", 1, "angry");
    ended("call-4", 3);

    driver.advanceWallClockTime(MAX_WAIT.minusMillis(1));
    assertThat(summaries.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofMillis(1));

    SourceSummary summary = single();
    assertThat(summary.getComplete()).isFalse();
    assertThat(summary.getClipCount()).isEqualTo(3);
    assertThat(summary.getFusedClipCount()).isEqualTo(2);
    assertThat(summary.getOverall().getDominantLabel()).isEqualTo("angry");
    assertThat(summary.getSummarisedAtMs()).isEqualTo(START.plus(MAX_WAIT));
    assertThat(metric(SourceSummaryProcessor.INCOMPLETE_OPERATION)).isEqualTo(1.0);

    fuse("call-4", 2, "angry"); // the missing clip, too late
    assertThat(summaries.isEmpty()).isTrue();
  }

  @Test
  void aSplitCallIsSummarisedPerRole() {
    fuse("call-5", "agent", 0, "neutral");
    fuse("call-5", "customer", 0, "sad");
    fuse("call-5", "agent", 1, "neutral");
    fuse("call-5", "customer", 1, "angry");
    ended("call-5", 4);

    SourceSummary summary = single();
    assertThat(summary.getRoles())
        .extracting(r -> r.getSpeakerRole(), r -> r.getStats().getDominantLabel())
        .containsExactly(Tuple.tuple("agent", "neutral"), Tuple.tuple("customer", "sad"));
    assertThat(summary.getRoles().get(1).getStats().getTimeline())
        .containsExactly(
            new TimelineRun("sad", 0L, 4_000L, 1), new TimelineRun("angry", 4_000L, 8_000L, 1));
    assertThat(summary.getOverall().getSegmentCount()).isEqualTo(4);
  }

  @Test
  void aSourceThatNeverEndsIsForgottenAfterTheRetentionAndItsMarkerToo() {
    fuse("call-6", 0, "happy");
    driver.advanceWallClockTime(RETENTION.minusMillis(1));
    assertThat(segmentsLeft()).hasSize(1);
    driver.advanceWallClockTime(Duration.ofMillis(1));
    assertThat(segmentsLeft()).isEmpty();
    assertThat(state("call-6")).isNull();
    assertThat(metric(SourceSummaryProcessor.FORGOTTEN_OPERATION)).isEqualTo(1.0);
    assertThat(summaries.isEmpty()).isTrue();

    ended("call-7", 0); // a source with no clips: summarised at once, empty
    assertThat(single().getOverall().getSegmentCount()).isZero();
    assertThat(state("call-7").getSummarisedAtMs()).isNotNull();
    driver.advanceWallClockTime(RETENTION);
    assertThat(state("call-7")).as("the marker expires").isNull();
    assertThat(dueEntries()).isEmpty();
  }

  @Test
  void theFusedRecordsOfTheJoinReachTheSummary() {
    TestInputTopic<String, ClipManifest> manifests = input(topics.manifests());
    TestInputTopic<String, ModalityPrediction> audio = input(topics.audioPredictions());
    TestInputTopic<String, ModalityPrediction> video = input(topics.videoPredictions());
    manifests.pipeInput("c1", Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO));
    audio.pipeInput("c1", Clips.audio("c1", Clips.SPEECH_HAPPY));
    video.pipeInput("c1", Clips.video("c1", Clips.FACE_SAD));

    sources.pipeInput("source-1", event("source-1", SourceEventType.ENDED, 1));

    SourceSummary summary = single();
    assertThat(summary.getOverall().getDominantLabel()).isEqualTo("happy");
    assertThat(summary.getOverall().getTimeline())
        .containsExactly(new TimelineRun("happy", 9_000L, 12_000L, 1));
  }

  @Test
  void anEventWhoseSourceIdDiffersFromItsKeyIsDeadLetteredAndChangesNothing() {
    sources.pipeInput("call-8", event("other", SourceEventType.ENDED, 0));

    assertThat(summaries.isEmpty()).isTrue();
    assertThat(state("call-8")).isNull();
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(
            new String(
                dead.headers().lastHeader(DeadLetterHeaders.REASON).value(),
                StandardCharsets.UTF_8))
        .contains("differs from the source id 'other'");

    SourceEvent negative = event("call-8", SourceEventType.ENDED, 0);
    negative.setClipCount(-1);
    sources.pipeInput("call-8", negative);
    assertThat(
            new String(
                deadLetters.readRecord().headers().lastHeader(DeadLetterHeaders.REASON).value(),
                StandardCharsets.UTF_8))
        .contains("clipCount must be >= 0");
    assertThat(state("call-8")).isNull();
  }

  private SourceState state(String sourceId) {
    KeyValueStore<String, SourceState> store =
        driver.getKeyValueStore(SourceSummaryTopology.STATE_STORE);
    return store.get(sourceId);
  }

  private List<KeyValue<String, SummarySegment>> segmentsLeft() {
    return all(SourceSummaryTopology.SEGMENTS_STORE);
  }

  private List<KeyValue<String, String>> dueEntries() {
    return all(SourceSummaryTopology.DUE_STORE);
  }

  private <V> List<KeyValue<String, V>> all(String storeName) {
    KeyValueStore<String, V> store = driver.getKeyValueStore(storeName);
    List<KeyValue<String, V>> out = new ArrayList<>();
    try (KeyValueIterator<String, V> it = store.all()) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  private double metric(String operation) {
    return driver.metrics().entrySet().stream()
        .filter(
            e ->
                e.getKey().name().equals(operation + "-total")
                    && e.getKey().group().contains(ClipJoinProcessor.METRICS_SCOPE))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }
}
