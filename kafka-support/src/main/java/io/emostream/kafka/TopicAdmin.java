package io.emostream.kafka;

import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalogue's topics when missing, and checks that existing ones have the partition
 * count the catalogue asks for: a mismatch would break co-partitioning of the fusion inputs, so it
 * fails. With a schema registry it also sets up the Avro topics' subjects ({@link SchemaSubjects}).
 *
 * <p>An existing topic's configs are never altered: a clip topic whose {@code retention.ms} is not
 * the configured one ({@link TopicsEnv#CLIP_RETENTION_ENV}; for instance one created before the
 * setting existed, which keeps records for the broker's default of a week) gets a WARN naming the
 * {@code kafka-configs.sh} command that sets it.
 */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /**
   * One-shot topic set-up (the {@code topics} service of docker-compose.yml): creates the
   * catalogue's topics from the environment ({@code KAFKA_*}, {@code EMOSTREAM_TOPIC_*}), checks
   * their partition counts, and exits.
   */
  public static void main(String[] args) {
    Env env = Env.system();
    KafkaSettings settings = KafkaSettings.fromEnv(env);
    Topics topics = TopicsEnv.fromEnv(env);
    ensureTopics(settings, topics, TopicsEnv.replication(env));
    LOG.info("{} topics ready on {}", topics.all().size(), settings.bootstrapServers());
  }

  public static void ensureTopics(KafkaSettings settings, Topics topics, short replicationFactor) {
    try (Admin admin = Admin.create(settings.asMap())) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      for (Topics.Topic<?> topic : topics.all()) {
        if (!existing.contains(topic.name())) {
          missing.add(
              new NewTopic(topic.name(), topic.partitions(), replicationFactor)
                  .configs(topic.configs()));
        }
      }
      if (!missing.isEmpty()) {
        createAll(admin, missing);
      }
      verifyPartitions(admin, topics);
      for (RetentionDrift drift : retentionDrift(admin, topics)) {
        LOG.warn(
            "topic {} keeps records for retention.ms={}, not {} ({}); it is left as it is. To change it: "
                + "kafka-configs.sh --bootstrap-server {} --alter --entity-type topics --entity-name {} "
                + "--add-config retention.ms={}",
            drift.topic(),
            drift.actualMs(),
            drift.wantedMs(),
            TopicsEnv.CLIP_RETENTION_ENV,
            settings.bootstrapServers(),
            drift.topic(),
            drift.wantedMs());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "could not create or describe topics on "
              + settings.bootstrapServers()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    }
    SchemaSubjects.ensure(topics);
  }

  /**
   * Describes {@code names}, retrying while the broker does not know a topic yet: right after
   * {@code createTopics} returns, the metadata of a new topic may not have reached the broker that
   * answers, which then says "This server does not host this topic-partition" (seen under load).
   * Retries with a growing pause for up to {@link #METADATA_WAIT}, then gives up with that error.
   */
  private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + METADATA_WAIT.toNanos();
    long pauseMs = 50;
    while (true) {
      try {
        return admin.describeTopics(names).allTopicNames().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        LOG.debug(
            "topics not known to the broker yet ({}); describing again in {} ms",
            e.getCause().getMessage(),
            pauseMs);
        Thread.sleep(pauseMs);
        pauseMs = Math.min(pauseMs * 2, 1_000);
      }
    }
  }

  /** A clip topic whose {@code retention.ms} on the broker is not the catalogue's. */
  public record RetentionDrift(String topic, String actualMs, long wantedMs) {}

  /**
   * The clip topics ({@link Topics#clipTopics()}) whose {@code retention.ms} on the broker differs
   * from {@link Topics#clipRetention()}; {@code actualMs} is the broker's value ({@code -1}:
   * unlimited).
   */
  public static List<RetentionDrift> retentionDrift(Admin admin, Topics topics)
      throws InterruptedException, ExecutionException {
    long wanted = topics.clipRetention().toMillis();
    List<ConfigResource> resources =
        topics.clipTopics().stream()
            .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name()))
            .toList();
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
    List<RetentionDrift> drift = new ArrayList<>();
    for (ConfigResource resource : resources) {
      ConfigEntry entry = configs.get(resource).get(TopicConfig.RETENTION_MS_CONFIG);
      String actual = entry == null ? null : entry.value();
      if (actual == null || !actual.equals(Long.toString(wanted))) {
        drift.add(new RetentionDrift(resource.name(), actual, wanted));
      }
    }
    return drift;
  }

  private static void createAll(Admin admin, List<NewTopic> missing)
      throws InterruptedException, ExecutionException {
    for (Map.Entry<String, KafkaFuture<Void>> result :
        admin.createTopics(missing).values().entrySet()) {
      try {
        result.getValue().get();
        LOG.info("created topic {}", result.getKey());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  /**
   * How long a topic just created may stay unknown to the broker that answers a describe (metadata
   * propagation).
   */
  static final Duration METADATA_WAIT = Duration.ofSeconds(30);

  private static void verifyPartitions(Admin admin, Topics topics)
      throws InterruptedException, ExecutionException {
    List<String> names = topics.all().stream().map(Topics.Topic::name).toList();
    Map<String, TopicDescription> described = describe(admin, names);
    for (Topics.Topic<?> topic : topics.all()) {
      int actual = described.get(topic.name()).partitions().size();
      if (actual != topic.partitions()) {
        throw new IllegalStateException(
            "topic "
                + topic.name()
                + " has "
                + actual
                + " partitions but "
                + topic.partitions()
                + " are configured (EMOSTREAM_TOPIC_PARTITIONS); the fusion inputs must be co-partitioned");
      }
    }
  }
}
