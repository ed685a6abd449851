package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.LabelShare;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceKind;
import io.emostream.schemas.SourceSummary;
import io.emostream.schemas.StatusCounts;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-source summary on a real broker: the sample video through ingest, both workers with the
 * shipped models and fusion-stream (the embedded platform), its STARTED and ENDED events on the
 * sources topic, and one summary read back from sources.summary that agrees with the fused records.
 * The test writes the two events itself, as ingest does; where ingest writes them too, the repeated
 * ones are dropped and there is still one summary.
 */
class SourceSummaryIT {

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
                "summary-" + run + ".",
                "EMOSTREAM_TOPIC_PARTITIONS",
                "2",
                "EMOSTREAM_SEGMENT_SECONDS",
                "2",
                "EMOSTREAM_FUSION_APP_ID",
                "summary-fusion-" + run,
                "EMOSTREAM_AUDIO_GROUP_ID",
                "summary-audio-" + run,
                "EMOSTREAM_VIDEO_GROUP_ID",
                "summary-video-" + run));
    platform = EmbeddedPlatform.start(env, EndToEndIT.HOME, 0);
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void anEndedSourceGetsOneSummaryOfItsFusedSegments() throws Exception {
    Topics topics = platform.topics();
    String sourceId;
    int clipCount;
    try (KafkaProducer<String, byte[]> producer = FaultToleranceIT.producer(platform.kafka())) {
      IngestService.Result result =
          platform.ingest().ingest(EndToEndIT.SAMPLE, "happy-speech.mp4", null);
      sourceId = result.sourceId();
      clipCount = result.clips().size();
      long mediaTimeMs =
          result.clips().stream().mapToLong(IngestService.Clip::endMs).max().orElseThrow();
      send(producer, topics, event(sourceId, SourceEventType.STARTED, 0, -1));
      send(producer, topics, event(sourceId, SourceEventType.ENDED, clipCount, mediaTimeMs));
    }

    List<ConsumerRecord<String, byte[]>> records =
        TopicReader.readCommitted(
            platform.kafka().bootstrapServers(),
            topics.sourceSummaries().name(),
            1,
            Duration.ofSeconds(180),
            Duration.ofSeconds(3));
    assertThat(records).extracting(ConsumerRecord::key).containsExactly(sourceId);
    SourceSummary summary =
        topics
            .sourceSummaries()
            .valueSerde()
            .deserializer()
            .deserialize(topics.sourceSummaries().name(), records.get(0).value());

    List<FusedEmotion> fused = fusedOf(sourceId, clipCount);
    assertThat(clipCount).as("4.5 s in 2 s segments").isEqualTo(2);
    assertThat(summary.getComplete()).isTrue();
    assertThat(summary.getClipCount()).isEqualTo(clipCount);
    assertThat(summary.getFusedClipCount()).isEqualTo(clipCount);
    assertThat(summary.getSourceName()).isEqualTo("happy-speech.mp4");
    assertThat(summary.getEndReason()).as("ingest's or this test's ENDED").isNotNull();
    assertThat(summary.getMediaTimeMs())
        .isEqualTo(fused.stream().mapToLong(FusedEmotion::getEndMs).max().orElseThrow());
    assertThat(summary.getOverall().getStatusCounts()).isEqualTo(new StatusCounts(2, 0, 0, 0));
    assertThat(fused).hasSize(clipCount);
    assertThat(summary.getOverall().getMediaMs())
        .isEqualTo(fused.stream().mapToLong(f -> f.getEndMs() - f.getStartMs()).sum());
    long happyMs =
        fused.stream()
            .filter(f -> "happy".equals(f.getLabel()))
            .mapToLong(f -> f.getEndMs() - f.getStartMs())
            .sum();
    assertThat(summary.getOverall().getLabelShares())
        .filteredOn(s -> s.getLabel().equals("happy"))
        .extracting(LabelShare::getMediaMs)
        .containsExactly(happyMs);
    assertThat(summary.getOverall().getTimeline())
        .as("runs cover the segments")
        .isNotEmpty()
        .allSatisfy(run -> assertThat(run.getEndMs()).isGreaterThan(run.getStartMs()));
    assertThat(summary.getOverall().getTimeline().get(0).getStartMs()).isZero();
    assertThat(
            summary
                .getOverall()
                .getTimeline()
                .get(summary.getOverall().getTimeline().size() - 1)
                .getEndMs())
        .isEqualTo(fused.stream().mapToLong(FusedEmotion::getEndMs).max().orElseThrow());
    assertThat(summary.getRoles()).isEmpty();
  }

  private static List<FusedEmotion> fusedOf(String sourceId, int count) {
    Topics.Topic<FusedEmotion> topic = platform.topics().fused();
    return TopicReader.readCommitted(
            platform.kafka().bootstrapServers(),
            topic.name(),
            count,
            Duration.ofSeconds(30),
            Duration.ZERO)
        .stream()
        .map(r -> topic.valueSerde().deserializer().deserialize(topic.name(), r.value()))
        .filter(f -> sourceId.equals(f.getSourceId()))
        .toList();
  }

  private static SourceEvent event(
      String sourceId, SourceEventType type, int clipCount, long mediaTimeMs) {
    boolean ended = type == SourceEventType.ENDED;
    return SourceEvent.newBuilder()
        .setSourceId(sourceId)
        .setSourceName("happy-speech.mp4")
        .setType(type)
        .setKind(SourceKind.FILE)
        .setAtMs(Instant.now())
        .setClipCount(clipCount)
        .setMediaTimeMs(mediaTimeMs)
        .setEndReason(ended ? "completed" : null)
        .build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, Topics topics, SourceEvent event)
      throws Exception {
    producer.send(topics.sources().record(event.getSourceId(), event)).get();
  }
}
