package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FusedSegmentStoreTest {

  static FusedEmotion segment(String sourceId, int index) {
    return FusedEmotion.newBuilder()
        .setClipId(sourceId + "-" + String.format("%05d", index))
        .setSourceId(sourceId)
        .setSourceName(sourceId + ".mp4")
        .setSegmentIndex(index)
        .setStartMs(index * 4_000L)
        .setEndMs((index + 1) * 4_000L)
        .setRule(FusionRule.AVERAGE)
        .setLabel("happy")
        .setConfidence(0.75f)
        .setLabels(List.of("happy", "sad"))
        .setDistribution(List.of(0.75f, 0.25f))
        .setModalities(List.of(Modality.AUDIO))
        .setStatus(FusionStatus.AUDIO_ONLY)
        .setPredictions(List.of())
        .setIngestTimeMs(Instant.EPOCH)
        .setFusedAtMs(Instant.ofEpochMilli(900))
        .setLatencyMs(900)
        .build();
  }

  static IngestService.Result upload(String sourceId, int segments) {
    List<IngestService.Clip> clips = new ArrayList<>();
    for (int i = 0; i < segments; i++) {
      clips.add(
          new IngestService.Clip(
              sourceId + "-" + String.format("%05d", i),
              i,
              i * 4_000L,
              (i + 1) * 4_000L,
              List.of(Modality.AUDIO),
              null));
    }
    return new IngestService.Result(sourceId, sourceId + ".mp4", clips);
  }

  /**
   * A live source's segments arrive from the fused topic while it runs (nothing to expect yet:
   * complete is null); once it ends, its clips are known and complete says whether all are fused.
   * It used to stay null for ever.
   */
  @Test
  void aLiveSourceIsCompleteOnceItHasEndedAndEverySegmentIsFused() {
    List<String> uploads = new ArrayList<>();
    FusedSegmentStore store =
        new FusedSegmentStore(
            new FusedSegmentStore.Limits(10, 100),
            new FusedSegmentStore.Listener() {
              @Override
              public void uploaded(IngestService.Result upload) {
                uploads.add(upload.sourceId());
              }
            });
    store.add(segment("cam", 0));
    ObjectNode running = store.source("cam").orElseThrow();
    assertThat(running.get("segmentsExpected").isNull()).isTrue();
    assertThat(running.get("complete").isNull()).isTrue();

    store.liveEnded(upload("cam", 2));
    ObjectNode ended = store.source("cam").orElseThrow();
    assertThat(ended.get("segmentsExpected").asInt()).isEqualTo(2);
    assertThat(ended.get("complete").asBoolean()).isFalse();

    store.add(segment("cam", 1));
    assertThat(store.source("cam").orElseThrow().get("complete").asBoolean()).isTrue();
    assertThat(uploads).as("a live source is not announced as an upload").isEmpty();
  }

  @Test
  void anUploadedSourceIsKnownAtOnceAndCompleteWhenEverySegmentIsFused() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.uploaded(upload("a", 2));

    ObjectNode none = store.source("a").orElseThrow();
    assertThat(none.get("segmentsExpected").asInt()).isEqualTo(2);
    assertThat(none.get("segmentsFused").asInt()).isZero();
    assertThat(none.get("complete").asBoolean()).isFalse();

    store.add(segment("a", 1));
    store.add(segment("a", 0));
    store.add(segment("a", 0)); // a clip seen again (a re-read) is kept once
    ObjectNode done = store.source("a").orElseThrow();
    assertThat(done.get("complete").asBoolean()).isTrue();
    assertThat(done.get("segmentsFused").asInt()).isEqualTo(2);
    List<Integer> order = new ArrayList<>();
    done.get("segments").forEach(s -> order.add(s.get("segmentIndex").asInt()));
    assertThat(order).as("in timeline order, not fused order").containsExactly(0, 1);
    assertThat(names(done.get("segments").get(0)))
        .startsWith("clipId", "sourceId", "sourceName")
        .contains("predictions");
    assertThat(store.source("b")).isEmpty();
  }

  /**
   * What {@code up}'s stop waits for once its intake is closed: the segments published here not
   * fused yet; a wait ends when the last one is fused (from another thread, as the fused topic's
   * reader adds them), or at its timeout with the number left.
   */
  @Test
  void awaitFusedEndsWhenEverySegmentPublishedHereIsFusedOrSaysHowManyAreLeft() throws Exception {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.add(segment("topic-only", 0)); // not published here: nothing to wait for
    assertThat(store.unfused()).isZero();
    store.uploaded(upload("a", 2));
    store.liveEnded(upload("live", 1));
    assertThat(store.unfused()).isEqualTo(3);
    store.add(segment("a", 0));
    assertThat(store.awaitFused(Duration.ofMillis(50))).isEqualTo(2);

    CompletableFuture<Integer> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return store.awaitFused(Duration.ofSeconds(60));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    store.add(segment("a", 1));
    store.add(segment("live", 0));
    assertThat(waiting.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(store.unfused()).isZero();
  }

  @Test
  void aSourceSeenOnlyOnTheTopicHasNoExpectation() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.add(segment("elsewhere", 3));

    ObjectNode answer = store.source("elsewhere").orElseThrow();
    assertThat(answer.get("segmentsExpected").isNull()).isTrue();
    assertThat(answer.get("complete").isNull()).isTrue();
    assertThat(answer.get("sourceName").asText()).isEqualTo("elsewhere.mp4");
  }

  @Test
  void aSegmentWithoutASourceIsNotKept() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.add(FusedEmotion.newBuilder(segment("x", 0)).setSourceId(null).build());
    assertThat(store.sources()).isZero();
  }

  @Test
  void pastMaxSourcesTheSourceSeenFirstIsEvicted() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(2, 100));
    store.add(segment("a", 0));
    store.uploaded(upload("b", 1));
    store.add(segment("a", 1));
    store.add(segment("c", 0));

    assertThat(store.sourceIds()).containsExactly("b", "c");
    assertThat(store.source("a")).isEmpty();
    assertThat(store.segments()).isEqualTo(1);
  }

  @Test
  void pastMaxSegmentsWholeSourcesGoFirstThenALoneSourcesOldestSegments() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 3));
    store.add(segment("a", 0));
    store.add(segment("a", 1));
    store.add(segment("b", 0));
    store.add(segment("b", 1));
    assertThat(store.sourceIds()).containsExactly("b");
    assertThat(store.segments()).isEqualTo(2);

    store.add(segment("b", 2));
    store.add(segment("b", 3));
    ObjectNode b = store.source("b").orElseThrow();
    assertThat(store.segments()).isEqualTo(3);
    assertThat(b.get("truncated").asBoolean()).isTrue();
    List<Integer> kept = new ArrayList<>();
    b.get("segments").forEach(s -> kept.add(s.get("segmentIndex").asInt()));
    assertThat(kept).containsExactly(1, 2, 3);
  }

  @Test
  void aTruncatedUploadStillCountsEverySegmentAndCompletesKeepingItsLatestStretch() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 2));
    store.uploaded(upload("long1", 4));
    for (int index : new int[] {0, 2, 1, 3}) { // fused out of order, as workers may finish them
      store.add(segment("long1", index));
    }
    store.add(segment("long1", 0)); // a redelivery of one the bound dropped: not counted again
    ObjectNode answer = store.source("long1").orElseThrow();
    assertThat(answer.get("segmentsExpected").asInt()).isEqualTo(4);
    assertThat(answer.get("segmentsFused").asInt()).isEqualTo(4);
    assertThat(answer.get("complete").asBoolean()).isTrue();
    assertThat(answer.get("truncated").asBoolean()).isTrue();
    List<Integer> kept = new ArrayList<>();
    answer.get("segments").forEach(s -> kept.add(s.get("segmentIndex").asInt()));
    assertThat(kept).containsExactly(2, 3);
  }

  @Test
  void anUploadThatFailedAfterSomeClipsSaysSoInItsAnswer() {
    FusedSegmentStore store = new FusedSegmentStore(new FusedSegmentStore.Limits(10, 100));
    store.uploaded(upload("cut", 2), "the upload was cut off: it took longer than PT30M");
    store.add(segment("cut", 0));
    store.add(segment("cut", 1));
    ObjectNode answer = store.source("cut").orElseThrow();
    assertThat(answer.get("complete").asBoolean()).isTrue(); // every published segment is fused
    assertThat(answer.get("uploadError").asText()).startsWith("the upload was cut off");
    assertThat(store.source("cut").orElseThrow().has("uploadError")).isTrue();
    store.uploaded(upload("whole", 1));
    assertThat(store.source("whole").orElseThrow().has("uploadError")).isFalse();
  }

  @Test
  void theListenerHearsOfEveryUploadAndEveryNewSegment() {
    List<String> heard = new ArrayList<>();
    FusedSegmentStore store =
        new FusedSegmentStore(
            new FusedSegmentStore.Limits(10, 100),
            new FusedSegmentStore.Listener() {
              @Override
              public void uploaded(IngestService.Result upload) {
                heard.add("upload " + upload.sourceId());
              }

              @Override
              public void fused(FusedEmotion segment) {
                heard.add("segment " + segment.getClipId());
              }
            });
    store.uploaded(upload("a", 1));
    store.add(segment("a", 0));
    store.add(segment("a", 0));

    assertThat(heard).containsExactly("upload a", "segment a-00000");
  }

  @Test
  void limitsComeFromTheEnvironmentAndMustBePositive() {
    assertThat(FusedSegmentStore.Limits.fromEnv(new Env(Map.of())))
        .isEqualTo(new FusedSegmentStore.Limits(1_000, 20_000));
    assertThat(
            FusedSegmentStore.Limits.fromEnv(
                new Env(
                    Map.of(
                        "EMOSTREAM_RESULTS_MAX_SOURCES",
                        "5",
                        "EMOSTREAM_RESULTS_MAX_SEGMENTS",
                        "50"))))
        .isEqualTo(new FusedSegmentStore.Limits(5, 50));
    assertThatThrownBy(
            () ->
                FusedSegmentStore.Limits.fromEnv(
                    new Env(Map.of("EMOSTREAM_RESULTS_MAX_SOURCES", "0"))))
        .hasMessageContaining("EMOSTREAM_RESULTS_MAX_SOURCES");
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
