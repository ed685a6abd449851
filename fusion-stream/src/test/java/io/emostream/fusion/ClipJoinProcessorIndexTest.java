package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The due-time index ({@link PendingClips}) of {@link ClipJoinProcessor} when a task starts on a
 * pending-clips store whose index is missing (a store written before the index existed) or was
 * computed with other settings: it is rebuilt before the first punctuation, which then acts on the
 * due entries as before.
 */
class ClipJoinProcessorIndexTest {

  private static final long NOW = 1_000_000_000L;

  private final Topics topics = new Topics("test.", 1);
  private final FusionConfig config =
      FusionConfig.of("fusion-test", topics, KafkaSettings.bootstrap("unused:9092"));
  private final MockProcessorContext<String, FusedEmotion> context = new MockProcessorContext<>();
  private final KeyValueStore<String, PendingClip> pending =
      store(
          FusionTopology.PENDING_STORE,
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore(FusionTopology.PENDING_STORE),
                  Serdes.String(),
                  new AvroSerde<>(PendingClip.class))
              .withLoggingDisabled()
              .build());
  private final KeyValueStore<String, String> due =
      store(
          FusionTopology.DUE_STORE,
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore(FusionTopology.DUE_STORE),
                  Serdes.String(),
                  Serdes.String())
              .withLoggingDisabled()
              .build());

  ClipJoinProcessorIndexTest() {
    store(
        FusionTopology.PROGRESS_STORE,
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(FusionTopology.PROGRESS_STORE),
                Serdes.String(),
                new AvroSerde<>(WorkerProgress.class))
            .withLoggingDisabled()
            .build());
  }

  private <S extends StateStore> S store(String name, S store) {
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  /**
   * What an earlier build left: a clip past its timeout, a marker past its retention, a marker
   * within it.
   */
  private void fillAsAnEarlierBuildDid() {
    long timeout = config.timeout().toMillis();
    pending.put(
        "late",
        PendingClip.newBuilder()
            .setFirstSeenMs(NOW - timeout)
            .setManifest(Clips.manifest("late", Modality.AUDIO, Modality.VIDEO))
            .setAudio(Clips.audio("late", Clips.SPEECH_HAPPY))
            .build());
    pending.put(
        "expired",
        PendingClip.newBuilder()
            .setFirstSeenMs(0L)
            .setFusedAtMs(NOW - config.doneRetention().toMillis())
            .build());
    pending.put("kept", PendingClip.newBuilder().setFirstSeenMs(0L).setFusedAtMs(NOW - 1).build());
  }

  @Test
  void aStoreWithoutAnIndexIsIndexedAtTheFirstPunctuationWhichThenActsOnWhatIsDue() {
    fillAsAnEarlierBuildDid();
    ClipJoinProcessor processor =
        new ClipJoinProcessor(config, new FusionMetrics(new SimpleMeterRegistry()));
    processor.init(context);
    context.setCurrentSystemTimeMs(NOW);

    processor.punctuate(NOW);

    List<FusedEmotion> forwarded =
        context.forwarded().stream().map(f -> (FusedEmotion) f.record().value()).toList();
    assertThat(forwarded)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getClipId()).isEqualTo("late");
              assertThat(f.getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
            });
    assertThat(pending.get("expired")).isNull();
    assertThat(pending.get("kept").getFusedAtMs()).isEqualTo(NOW - 1);
    assertThat(pending.get("late").getFusedAtMs()).isEqualTo(NOW);
    long retention = config.doneRetention().toMillis();
    assertThat(keys(due))
        .containsExactly(
            PendingClips.dueKey(NOW - 1 + retention, "kept"),
            PendingClips.dueKey(NOW + retention, "late"),
            PendingClips.SETTINGS_KEY);
    assertThat(FusionTopology.punctuatorVisits(context.metrics().metrics())).isEqualTo(2);
  }

  @Test
  void anIndexComputedWithAnotherTimeoutIsRebuilt() {
    fillAsAnEarlierBuildDid();
    due.put(PendingClips.dueKey(NOW + 3_600_000, "late"), "late"); // as a one-hour timeout put it
    due.put(
        PendingClips.SETTINGS_KEY, "timeoutMs=3600000,maxWaitMs=3600000,doneRetentionMs=600000");
    ClipJoinProcessor processor =
        new ClipJoinProcessor(config, new FusionMetrics(new SimpleMeterRegistry()));
    processor.init(context);
    context.setCurrentSystemTimeMs(NOW);

    processor.punctuate(NOW);

    assertThat(context.forwarded())
        .singleElement()
        .satisfies(f -> assertThat(f.record().value().getClipId()).isEqualTo("late"));
    assertThat(keys(due)).doesNotContain(PendingClips.dueKey(NOW + 3_600_000, "late"));
  }

  @Test
  void anIndexKeyIsTheDueTimeInNineteenDigitsThenTheClipId() {
    for (long at : new long[] {-5, 0, 7, NOW, 1_000_000_000_000_000_000L, Long.MAX_VALUE}) {
      assertThat(PendingClips.dueKey(at, "c-1"))
          .as("%d", at)
          .isEqualTo(String.format(Locale.ROOT, "%019d/%s", Math.max(0, at), "c-1"));
    }
  }

  private static List<String> keys(KeyValueStore<String, String> store) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, String> all = store.all()) {
      all.forEachRemaining((KeyValue<String, String> e) -> keys.add(e.key));
    }
    return keys;
  }
}
