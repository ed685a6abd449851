package io.emostream.kafka;

import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one place that writes the settings of the pipeline's Kafka clients: the transactional
 * producer (ingest, the workers), the idempotent one (worker heartbeats) and the {@code
 * read_committed} consumer (workers, result readers). Keys are clip ids (Strings); a producer
 * writes byte arrays, which {@link Topics.Topic#record} serialises with the topic's own serde, so
 * one transaction can span topics of different value types.
 */
public final class KafkaClients {

  private KafkaClients() {}

  /**
   * How soon a consumer group notices a member that died without leaving (kill -9, a lost node) and
   * gives its partitions to the others, unless {@code KAFKA_SESSION_TIMEOUT_MS} says otherwise.
   * Kafka's default (45 s) is longer than fusion's {@code EMOSTREAM_FUSION_TIMEOUT} (30 s): fusion
   * gave up on a dead worker replica's clips before a live one took them over, and then dropped the
   * predictions it made as late; and a dead fusion-stream replica's clips were fused 45 s late.
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

  /** The group heartbeat with {@link #SESSION_TIMEOUT}: a third of it, as Kafka advises. */
  static final Duration GROUP_HEARTBEAT = Duration.ofSeconds(3);

  /**
   * {@link #SESSION_TIMEOUT} and its heartbeat as consumer properties, or nothing where the
   * settings ({@code KAFKA_*}) choose a session timeout (and the heartbeat alone where they choose
   * only that). The workers' consumers and fusion-stream's Streams consumers take these.
   */
  public static Map<String, Object> sessionTimeoutDefaults(KafkaSettings settings) {
    Map<String, Object> defaults = new HashMap<>();
    if (!settings.asMap().containsKey(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)) {
      defaults.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) SESSION_TIMEOUT.toMillis());
      if (!settings.asMap().containsKey(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG)) {
        defaults.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) GROUP_HEARTBEAT.toMillis());
      }
    }
    return defaults;
  }

  /**
   * An idempotent, {@code acks=all} producer with the given transactional id, able to send the
   * catalogue's largest records ({@link Topics#MAX_MESSAGE_BYTES}). The caller calls {@code
   * initTransactions()}.
   *
   * @param overrides further producer properties (they win)
   */
  public static KafkaProducer<String, byte[]> transactionalProducer(
      KafkaSettings settings, String transactionalId, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES + 1024);
    props.putAll(overrides);
    return idempotentProducer(settings, props);
  }

  /** An idempotent, {@code acks=all}, non-transactional producer of small records (heartbeats). */
  public static KafkaProducer<String, byte[]> idempotentProducer(KafkaSettings settings) {
    return idempotentProducer(settings, Map.of());
  }

  private static KafkaProducer<String, byte[]> idempotentProducer(
      KafkaSettings settings, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.putAll(overrides);
    return new KafkaProducer<>(settings.with(props));
  }

  /**
   * A consumer in {@code groupId} that reads {@code read_committed} (never a record of an open or
   * aborted transaction) and commits no offsets of its own: the caller commits them, or needs none.
   *
   * @param overrides further consumer properties (they win)
   */
  public static <V> KafkaConsumer<String, V> readCommittedConsumer(
      KafkaSettings settings,
      String groupId,
      Deserializer<V> values,
      Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putAll(overrides);
    return new KafkaConsumer<>(settings.with(props), new StringDeserializer(), values);
  }

  /**
   * A {@link #readCommittedConsumer} of every partition of {@code topics} (one value type), in a
   * group of its own ({@code groupPrefix} and a random UUID, no offsets committed), positioned at
   * their ends now: what is written from here on is seen. Closed again if positioning fails.
   */
  @SafeVarargs
  public static <V> KafkaConsumer<String, V> readerFromEnd(
      KafkaSettings settings, String groupPrefix, Topics.Topic<V>... topics) {
    KafkaConsumer<String, V> consumer =
        readCommittedConsumer(
            settings,
            groupPrefix + UUID.randomUUID(),
            topics[0].valueSerde().deserializer(),
            Map.of());
    List<TopicPartition> partitions = new ArrayList<>();
    for (Topics.Topic<V> topic : topics) {
      for (int p = 0; p < topic.partitions(); p++) {
        partitions.add(new TopicPartition(topic.name(), p));
      }
    }
    try {
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(
          consumer::position); // resolve the end offsets now, before anything is written
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    return consumer;
  }
}
