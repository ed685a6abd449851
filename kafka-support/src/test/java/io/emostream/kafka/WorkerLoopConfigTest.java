package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkerLoopConfigTest {

  @Test
  void ofHasNoProgressAndProcessesEachPollAtOnce() {
    WorkerLoopConfig config = WorkerLoopConfig.of("w", "g", "tx", "in", "dlq");
    assertThat(config.progressTopic()).isNull();
    assertThat(config.maxPollRecords()).isEqualTo(WorkerLoopConfig.DEFAULT_MAX_POLL_RECORDS);
    assertThat(config.maxWait()).isZero();

    Topics.Topic<WorkerProgress> progress = Topics.defaults().workerProgress();
    WorkerLoopConfig full = config.withProgress(progress).withBatching(8, Duration.ofMillis(50));
    assertThat(full)
        .isEqualTo(
            new WorkerLoopConfig("w", "g", "tx", "in", "dlq", progress, 8, Duration.ofMillis(50)));
  }

  @Test
  void refusesANegativeWaitAndAnEmptyBatch() {
    WorkerLoopConfig config = WorkerLoopConfig.of("w", "g", "tx", "in", "dlq");
    assertThatThrownBy(() -> config.withBatching(8, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, got PT-0.001S");
    assertThatThrownBy(() -> config.withBatching(0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxPollRecords must be at least 1, got 0");
    assertThatThrownBy(() -> WorkerLoopConfig.of("w", null, "tx", "in", "dlq"))
        .hasMessage("groupId");
  }
}
