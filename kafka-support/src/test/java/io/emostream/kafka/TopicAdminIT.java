package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.testkit.TestKafka;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

class TopicAdminIT {

  private final KafkaSettings settings = KafkaSettings.bootstrap(TestKafka.bootstrapServers());

  @Test
  void createdClipTopicsExpireTheirRecordsAtTheClipRetentionAndTheOthersKeepTheBrokersDefault()
      throws Exception {
    Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2, null, Duration.ofMinutes(90));
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    try (Admin admin = Admin.create(settings.asMap())) {
      for (Topics.Topic<?> topic : topics.clipTopics()) {
        assertThat(configOf(admin, topic.name(), TopicConfig.RETENTION_MS_CONFIG))
            .as(topic.name())
            .isEqualTo("5400000");
        assertThat(configOf(admin, topic.name(), TopicConfig.SEGMENT_MS_CONFIG))
            .as(topic.name())
            .isEqualTo("3600000");
      }
      assertThat(retentionOf(admin, topics.fused().name()))
          .as("the fused topic keeps the broker's default, a week")
          .isEqualTo(Long.toString(Duration.ofDays(7).toMillis()));
      assertThat(TopicAdmin.retentionDrift(admin, topics)).isEmpty();
      assertThat(configOf(admin, topics.audio().name(), TopicConfig.COMPRESSION_TYPE_CONFIG))
          .isEqualTo("zstd");
      assertThat(configOf(admin, topics.audio().name(), TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG))
          .isEqualTo("1");
      assertThat(configOf(admin, topics.frames().name(), TopicConfig.COMPRESSION_TYPE_CONFIG))
          .as("JPEGs do not compress: the producer's (none) is kept")
          .isEqualTo("producer");
    }
  }

  @Test
  void anExistingClipTopicIsNotAlteredButItsOtherRetentionIsReported() throws Exception {
    Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2, null, Duration.ofHours(6));
    String audio = topics.audio().name();
    try (Admin admin = Admin.create(settings.asMap())) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(audio, 2, (short) 1)
                      .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1"))))
          .all()
          .get();
      TopicAdmin.ensureTopics(settings, topics, (short) 1);

      assertThat(retentionOf(admin, audio)).isEqualTo("-1");
      assertThat(retentionOf(admin, topics.frames().name())).isEqualTo("21600000");
      assertThat(TopicAdmin.retentionDrift(admin, topics))
          .containsExactly(new TopicAdmin.RetentionDrift(audio, "-1", 21_600_000L));
    }
  }

  private static String retentionOf(Admin admin, String topic) throws Exception {
    return configOf(admin, topic, TopicConfig.RETENTION_MS_CONFIG);
  }

  private static String configOf(Admin admin, String topic, String name) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    return config.get(name).value();
  }
}
