package io.emostream.fusion;

import io.emostream.schemas.Modality;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The waiting decision of {@link ClipJoinProcessor} at a clip's deadline: what fusion knows of the
 * worker of each modality the clip still misses, read from the {@value
 * FusionTopology#PROGRESS_STORE} global store for the partition of the processor's task. What the
 * processor does with each state is documented, with the rest of its state machine, on {@link
 * ClipJoinProcessor}.
 */
final class WorkerStates {

  /** What fusion knows of the worker of a modality the clip still misses. */
  enum WorkerState {
    /** No progress record for the partition: no worker that publishes progress ever owned it. */
    ABSENT,
    /** No heartbeat within the timeout. */
    SILENT,
    /** Alive, and not caught up with its input since the clip reached fusion. */
    BEHIND,
    /** Alive, and caught up since the clip reached fusion: its prediction is committed. */
    PASSED
  }

  private final FusionConfig config;
  private final ReadOnlyKeyValueStore<String, WorkerProgress> progress;
  private final int partition;

  WorkerStates(
      FusionConfig config, ReadOnlyKeyValueStore<String, WorkerProgress> progress, int partition) {
    this.config = config;
    this.progress = progress;
    this.partition = partition;
  }

  /**
   * The state of the worker of each modality the manifest lists and no prediction arrived for, in
   * order.
   */
  Map<Modality, WorkerState> missing(PendingClip clip, long now) {
    Map<Modality, WorkerState> out = new EnumMap<>(Modality.class);
    for (Modality modality : clip.getManifest().getModalities()) {
      if (ClipRecords.predictionOf(clip, modality) == null) {
        out.put(
            modality,
            workerState(progressOf(modality), clip.getFirstSeenMs(), now, config.timeout()));
      }
    }
    return out;
  }

  /**
   * The progress record of the worker that owns this task's partition of the modality's input
   * topic.
   */
  private WorkerProgress progressOf(Modality modality) {
    String inputTopic =
        modality == Modality.AUDIO
            ? config.topics().audio().name()
            : config.topics().frames().name();
    return progress.get(Topics.progressKey(inputTopic, partition));
  }

  /**
   * The worker's state for a clip that reached fusion at {@code firstSeenMs}: the clip's input
   * records were committed before that, so a worker caught up with its partition after it has
   * processed them. Wall clocks of worker and fusion are compared: they must agree to well within
   * the timeout.
   */
  static WorkerState workerState(
      WorkerProgress progress, long firstSeenMs, long now, Duration timeout) {
    if (progress == null) {
      return WorkerState.ABSENT;
    }
    if (progress.getHeartbeatMs() + timeout.toMillis() <= now) {
      return WorkerState.SILENT;
    }
    Long caughtUp = progress.getCaughtUpAtMs();
    return caughtUp != null && caughtUp > firstSeenMs ? WorkerState.PASSED : WorkerState.BEHIND;
  }
}
