package io.emostream.inference;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.kafka.WorkerLoopConfig;
import io.emostream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

/**
 * Settings of a worker, from the environment. {@code PREFIX} is {@code AUDIO} or {@code VIDEO}:
 *
 * @param model EMOSTREAM_{PREFIX}_MODEL: the model's manifest.json
 * @param device EMOSTREAM_DEVICE: cpu (default) or cuda (falls back to CPU, with a log line, when
 *     CUDA cannot load)
 * @param threads EMOSTREAM_INFERENCE_THREADS (default 1): ONNX Runtime intra-op threads per model
 *     (0 = ONNX Runtime's default, one per core); scale with replicas instead: a wider pool spins
 *     and takes CPU from the decoders ({@code bench e2e}, docs/performance.md)
 * @param groupId EMOSTREAM_{PREFIX}_GROUP_ID: consumer group; replicas share it and split
 *     partitions
 * @param maxPollRecords EMOSTREAM_{PREFIX}_MAX_POLL_RECORDS (default 8): clips per transaction
 * @param instanceId EMOSTREAM_INSTANCE_ID (default random): part of the transactional id
 * @param maxBatch EMOSTREAM_{PREFIX}_MAX_BATCH (default 32): most items (faces, frames) per model
 *     run, across the clips of one transaction; a model with a fixed batch dimension of 1 runs them
 *     one by one
 * @param maxWait EMOSTREAM_{PREFIX}_MAX_WAIT (default 250ms): after the first clips arrive, how
 *     long the worker waits for more (up to maxPollRecords) so they share model runs (the audio
 *     worker's voice activity, the video worker's faces); 0 = no waiting. 250 ms took a third off
 *     the audio worker's CPU per clip end to end and moved one live source's latency by 13-39 ms
 *     (docs/performance.md)
 * @param aggregation EMOSTREAM_{PREFIX}_AGGREGATION (MEAN or CONFIDENCE_WEIGHTED; default: what the
 *     model's manifest says): how frame posteriors become the clip posterior (face-expression
 *     models)
 */
public record WorkerConfig(
    KafkaSettings kafka,
    Topics topics,
    Path model,
    Device device,
    int threads,
    String groupId,
    int maxPollRecords,
    String instanceId,
    int maxBatch,
    Duration maxWait,
    ModelManifest.Aggregation aggregation) {

  /** The variables both workers share. */
  public static final String DEVICE_ENV = "EMOSTREAM_DEVICE";

  public static final String THREADS_ENV = "EMOSTREAM_INFERENCE_THREADS";
  public static final int DEFAULT_THREADS = 1;
  public static final String INSTANCE_ID_ENV = "EMOSTREAM_INSTANCE_ID";
  public static final int DEFAULT_MAX_POLL_RECORDS = 8;
  public static final int DEFAULT_MAX_BATCH = 32;
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(250);

  /**
   * The variables that differ between the two workers, spelled out so the README check finds each
   * name.
   */
  private record Names(
      String model,
      String groupId,
      String maxPollRecords,
      String maxBatch,
      String maxWait,
      String aggregation) {}

  private static Names names(String prefix) {
    return switch (prefix) {
      case "AUDIO" ->
          new Names(
              "EMOSTREAM_AUDIO_MODEL",
              "EMOSTREAM_AUDIO_GROUP_ID",
              "EMOSTREAM_AUDIO_MAX_POLL_RECORDS",
              "EMOSTREAM_AUDIO_MAX_BATCH",
              "EMOSTREAM_AUDIO_MAX_WAIT",
              "EMOSTREAM_AUDIO_AGGREGATION");
      case "VIDEO" ->
          new Names(
              "EMOSTREAM_VIDEO_MODEL",
              "EMOSTREAM_VIDEO_GROUP_ID",
              "EMOSTREAM_VIDEO_MAX_POLL_RECORDS",
              "EMOSTREAM_VIDEO_MAX_BATCH",
              "EMOSTREAM_VIDEO_MAX_WAIT",
              "EMOSTREAM_VIDEO_AGGREGATION");
      default ->
          throw new IllegalArgumentException("worker prefix must be AUDIO or VIDEO, got " + prefix);
    };
  }

  public static WorkerConfig fromEnv(Env env, String prefix, Path defaultModel) {
    Names names = names(prefix);
    return new WorkerConfig(
        KafkaSettings.fromEnv(env),
        TopicsEnv.fromEnv(env),
        env.path(names.model(), defaultModel),
        env.enumValue(DEVICE_ENV, Device.class, Device.CPU),
        env.integer(THREADS_ENV, DEFAULT_THREADS, 0, 256),
        env.string(names.groupId(), "emostream-" + prefix.toLowerCase(Locale.ROOT) + "-worker"),
        env.integer(names.maxPollRecords(), DEFAULT_MAX_POLL_RECORDS, 1, 1000),
        env.string(INSTANCE_ID_ENV, UUID.randomUUID().toString()),
        env.integer(names.maxBatch(), DEFAULT_MAX_BATCH, 1, 4096),
        env.duration(names.maxWait(), DEFAULT_MAX_WAIT),
        env.optional(names.aggregation()).isEmpty()
            ? null
            : env.enumValue(
                names.aggregation(),
                ModelManifest.Aggregation.class,
                ModelManifest.Aggregation.MEAN));
  }

  // The with* copies below repeat the canonical constructor's argument list: a record has no
  // copy-with syntax, and a builder would be more code than it saves (alike by design).
  public WorkerConfig withKafka(KafkaSettings settings, Topics newTopics) {
    return new WorkerConfig(
        settings,
        newTopics,
        model,
        device,
        threads,
        groupId,
        maxPollRecords,
        instanceId,
        maxBatch,
        maxWait,
        aggregation);
  }

  public WorkerConfig withModel(Path manifest) {
    return new WorkerConfig(
        kafka,
        topics,
        manifest,
        device,
        threads,
        groupId,
        maxPollRecords,
        instanceId,
        maxBatch,
        maxWait,
        aggregation);
  }

  public String transactionalId() {
    return groupId + "-" + instanceId;
  }

  /**
   * The exactly-once loop of worker {@code service} reading {@code inputTopic}, with progress
   * records.
   */
  public WorkerLoopConfig loop(String service, String inputTopic) {
    return WorkerLoopConfig.of(
            service, groupId, transactionalId(), inputTopic, topics.deadLetters().name())
        .withProgress(topics.workerProgress())
        .withBatching(maxPollRecords, maxWait);
  }
}
