package io.emostream.kafka;

import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link TransactionalWorkerLoop} reads and writes, and how it batches. Start from {@link
 * #of} and add the optional parts with {@link #withProgress} and {@link #withBatching}.
 *
 * @param service the worker's name: tag of its meters, in its logs and dead letters
 * @param groupId consumer group; instances of one worker share it and split the partitions
 * @param transactionalId unique per running instance
 * @param inputTopic what the loop consumes ({@code read_committed})
 * @param deadLetterTopic where records the processor cannot handle go, in the same transaction
 * @param progressTopic where the loop's progress and heartbeats go (the catalogue's {@code
 *     workerProgress()}); null: none are published
 * @param maxPollRecords most records per transaction (1 or more)
 * @param maxWait how long to keep polling for more records, after the first ones arrived, before a
 *     transaction starts with fewer than {@code maxPollRecords}, so a batching processor sees the
 *     records that arrived close together at once; zero: each poll is processed at once
 */
public record WorkerLoopConfig(
    String service,
    String groupId,
    String transactionalId,
    String inputTopic,
    String deadLetterTopic,
    Topics.Topic<WorkerProgress> progressTopic,
    int maxPollRecords,
    Duration maxWait) {

  /** What {@link #of} batches: as many records as one poll returns, processed at once. */
  public static final int DEFAULT_MAX_POLL_RECORDS = 10;

  public WorkerLoopConfig {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(transactionalId, "transactionalId");
    Objects.requireNonNull(inputTopic, "inputTopic");
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxPollRecords < 1) {
      throw new IllegalArgumentException(
          "maxPollRecords must be at least 1, got " + maxPollRecords);
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
    }
  }

  /**
   * No progress records, {@value #DEFAULT_MAX_POLL_RECORDS} records a transaction, no waiting for
   * more.
   */
  public static WorkerLoopConfig of(
      String service,
      String groupId,
      String transactionalId,
      String inputTopic,
      String deadLetterTopic) {
    return new WorkerLoopConfig(
        service,
        groupId,
        transactionalId,
        inputTopic,
        deadLetterTopic,
        null,
        DEFAULT_MAX_POLL_RECORDS,
        Duration.ZERO);
  }

  // The with* copies below repeat the canonical constructor's argument list: a record has no
  // copy-with syntax, and a builder would be more code than it saves (alike by design).
  public WorkerLoopConfig withProgress(Topics.Topic<WorkerProgress> topic) {
    return new WorkerLoopConfig(
        service,
        groupId,
        transactionalId,
        inputTopic,
        deadLetterTopic,
        topic,
        maxPollRecords,
        maxWait);
  }

  public WorkerLoopConfig withBatching(int records, Duration wait) {
    return new WorkerLoopConfig(
        service,
        groupId,
        transactionalId,
        inputTopic,
        deadLetterTopic,
        progressTopic,
        records,
        wait);
  }
}
