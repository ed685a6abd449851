package io.emostream.inference;

import java.nio.file.Path;
import java.util.UUID;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.topics.Topics;

/**
 * Settings of a worker, from the environment. {@code PREFIX} is {@code AUDIO} or {@code VIDEO}:
 *
 * @param model          EMOSTREAM_{PREFIX}_MODEL: the model's manifest.json
 * @param device         EMOSTREAM_DEVICE: cpu (default) or cuda (falls back to CPU, with a log line, when CUDA cannot load)
 * @param threads        EMOSTREAM_INFERENCE_THREADS: ONNX Runtime intra-op threads (0 = its default)
 * @param groupId        EMOSTREAM_{PREFIX}_GROUP_ID: consumer group; replicas share it and split partitions
 * @param maxPollRecords EMOSTREAM_{PREFIX}_MAX_POLL_RECORDS (default 8): clips per transaction
 * @param instanceId     EMOSTREAM_INSTANCE_ID (default random): part of the transactional id
 */
public record WorkerConfig(KafkaSettings kafka, Topics topics, Path model, Device device, int threads, String groupId,
    int maxPollRecords, String instanceId) {

  /** The variables that differ between the two workers, spelled out so the README check finds each name. */
  private record Names(String model, String groupId, String maxPollRecords) {
  }

  private static Names names(String prefix) {
    return switch (prefix) {
      case "AUDIO" -> new Names("EMOSTREAM_AUDIO_MODEL", "EMOSTREAM_AUDIO_GROUP_ID", "EMOSTREAM_AUDIO_MAX_POLL_RECORDS");
      case "VIDEO" -> new Names("EMOSTREAM_VIDEO_MODEL", "EMOSTREAM_VIDEO_GROUP_ID", "EMOSTREAM_VIDEO_MAX_POLL_RECORDS");
      default -> throw new IllegalArgumentException("worker prefix must be AUDIO or VIDEO, got " + prefix);
    };
  }

  public static WorkerConfig fromEnv(Env env, String prefix, Path defaultModel) {
    Names names = names(prefix);
    return new WorkerConfig(
        KafkaSettings.fromEnv(env),
        TopicsEnv.fromEnv(env),
        env.path(names.model(), defaultModel),
        env.enumValue("EMOSTREAM_DEVICE", Device.class, Device.CPU),
        env.integer("EMOSTREAM_INFERENCE_THREADS", 0, 0, 256),
        env.string(names.groupId(), "emostream-" + prefix.toLowerCase() + "-worker"),
        env.integer(names.maxPollRecords(), 8, 1, 1000),
        env.string("EMOSTREAM_INSTANCE_ID", UUID.randomUUID().toString()));
  }

  public WorkerConfig withKafka(KafkaSettings settings, Topics newTopics) {
    return new WorkerConfig(settings, newTopics, model, device, threads, groupId, maxPollRecords, instanceId);
  }

  public WorkerConfig withModel(Path manifest) {
    return new WorkerConfig(kafka, topics, manifest, device, threads, groupId, maxPollRecords, instanceId);
  }

  public String transactionalId() {
    return groupId + "-" + instanceId;
  }
}
