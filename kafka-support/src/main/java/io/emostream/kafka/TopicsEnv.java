package io.emostream.kafka;

import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.topics.Topics;
import java.time.Duration;

/**
 * The topic set every service uses and how the services create it, from the environment: the one
 * place these variables are read.
 */
public final class TopicsEnv {

  /** The topic names' prefix (default {@value Topics#DEFAULT_PREFIX}). */
  public static final String PREFIX_ENV = "EMOSTREAM_TOPIC_PREFIX";

  /**
   * Partitions of every topic (default {@value Topics#DEFAULT_PARTITIONS}, 1 to {@value
   * #MAX_PARTITIONS}).
   */
  public static final String PARTITIONS_ENV = "EMOSTREAM_TOPIC_PARTITIONS";

  public static final int MAX_PARTITIONS = 10_000;

  /**
   * Replication factor of the topics the services create (default 1, 1 to {@value
   * #MAX_REPLICATION}).
   */
  public static final String REPLICATION_ENV = "EMOSTREAM_TOPIC_REPLICATION";

  public static final short DEFAULT_REPLICATION = 1;

  /**
   * Kafka sets no upper bound of its own, but a factor above the broker count fails topic creation,
   * and no cluster this runs on has more than a few dozen brokers: 32 catches a typo (an extra
   * digit) at start-up with a clear message. (fusion-stream used to accept up to 32767; the
   * stricter bound is now every service's.)
   */
  public static final short MAX_REPLICATION = 32;

  /**
   * An Apicurio Registry (its base URL, {@code http://registry:8080}, or its v2 API {@code
   * http://registry:8080/apis/registry/v2}): when set, every Avro topic's values are the Confluent
   * wire format (magic byte 0, 4-byte schema id, Avro binary) with their schemas registered there
   * under {@code <topic>-value}, each subject with a BACKWARD compatibility rule ({@link
   * SchemaSubjects}). Unset (the default): Avro single-object encoding, no registry. Every service
   * of one pipeline must use the same setting.
   */
  public static final String SCHEMA_REGISTRY_URL_ENV = "EMOSTREAM_SCHEMA_REGISTRY_URL";

  /**
   * {@code retention.ms} of the clip topics (manifest, audio, frames) when a service creates them
   * (default {@link Topics#DEFAULT_CLIP_RETENTION}, 6 h; at least 1 s; {@code 6h}, {@code 360m},
   * {@code 21600000}). A topic that exists already keeps its own: {@link TopicAdmin} logs a WARN
   * with the command that changes it.
   */
  public static final String CLIP_RETENTION_ENV = "EMOSTREAM_CLIP_RETENTION";

  private TopicsEnv() {}

  public static Topics fromEnv(Env env) {
    Duration clipRetention = env.duration(CLIP_RETENTION_ENV, Topics.DEFAULT_CLIP_RETENTION);
    if (clipRetention.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "environment variable "
              + CLIP_RETENTION_ENV
              + "='"
              + env.optional(CLIP_RETENTION_ENV).orElse("")
              + "' is not valid: expected a duration of at least 1s such as 6h");
    }
    String prefix = env.string(PREFIX_ENV, Topics.DEFAULT_PREFIX);
    // Kafka's own rule for topic names; the longest suffix leaves room under its 249 characters
    if (!prefix.matches("[A-Za-z0-9._-]{0,200}")) {
      throw new IllegalArgumentException(
          "environment variable "
              + PREFIX_ENV
              + "='"
              + prefix
              + "' is not valid: expected up to 200 ASCII letters, digits, '.', '_' or '-' (Kafka's"
              + " topic name characters)");
    }
    return new Topics(
        prefix,
        env.integer(PARTITIONS_ENV, Topics.DEFAULT_PARTITIONS, 1, MAX_PARTITIONS),
        env.optional(SCHEMA_REGISTRY_URL_ENV)
            .map(url -> RegistryAvroSerde.apiUrl(SCHEMA_REGISTRY_URL_ENV, url))
            .orElse(null),
        clipRetention);
  }

  /** {@value #REPLICATION_ENV}: replication factor of the topics the services create. */
  public static short replication(Env env) {
    return (short) env.integer(REPLICATION_ENV, DEFAULT_REPLICATION, 1, MAX_REPLICATION);
  }
}
