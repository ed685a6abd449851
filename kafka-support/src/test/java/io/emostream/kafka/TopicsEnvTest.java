package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsEnvTest {

  @Test
  void withoutARegistryEveryAvroTopicIsSingleObjectEncoded() {
    for (Env env :
        new Env[] {new Env(Map.of()), new Env(Map.of(TopicsEnv.SCHEMA_REGISTRY_URL_ENV, "  "))}) {
      Topics topics = TopicsEnv.fromEnv(env);
      assertThat(topics.schemaRegistryUrl()).isEmpty();
      assertThat(topics.fused().valueSerde()).isInstanceOf(AvroSerde.class);
      assertThat(topics.all()).noneMatch(t -> t.valueSerde() instanceof RegistryAvroSerde<?>);
      assertThat(topics.manifests().valueSerde())
          .as("made once: an Avro serde fingerprints its schema when it is made")
          .isSameAs(topics.manifests().valueSerde());
      assertThat(topics.audioPredictions().valueSerde())
          .isSameAs(topics.videoPredictions().valueSerde());
    }
  }

  @Test
  void withARegistryEveryAvroTopicUsesTheRegistrySerdeAndTheOthersKeepTheirs() {
    Topics topics =
        TopicsEnv.fromEnv(
            new Env(Map.of(TopicsEnv.SCHEMA_REGISTRY_URL_ENV, "http://registry:8080")));
    assertThat(topics.schemaRegistryUrl()).contains("http://registry:8080/apis/registry/v2");
    for (Topics.Topic<?> topic : topics.all()) {
      boolean avro =
          !topic.name().equals(topics.fusedJson().name())
              && !topic.name().equals(topics.deadLetters().name());
      assertThat(topic.valueSerde() instanceof RegistryAvroSerde<?>)
          .as(topic.name())
          .isEqualTo(avro);
    }
    assertThat(topics.fused().valueSerde())
        .as("one serde (one registry cache) per record type")
        .isSameAs(topics.fusedAllRules().valueSerde())
        .isSameAs(topics.fused().valueSerde());
    assertThat(((RegistryAvroSerde<?>) topics.manifests().valueSerde()).registryUrl())
        .isEqualTo("http://registry:8080/apis/registry/v2");
  }

  @ParameterizedTest
  @CsvSource({
    "http://registry:8080, http://registry:8080/apis/registry/v2",
    "http://registry:8080/, http://registry:8080/apis/registry/v2",
    "HTTPS://registry.example.com, HTTPS://registry.example.com/apis/registry/v2",
    "https://r.example.com/apis/registry/v2/, https://r.example.com/apis/registry/v2",
    "http://10.0.0.7:8081/registry/apis/registry/v2, http://10.0.0.7:8081/registry/apis/registry/v2"
  })
  void aBaseUrlGetsTheV2ApiPathAndAnApiUrlIsKept(String given, String api) {
    assertThat(RegistryAvroSerde.apiUrl(TopicsEnv.SCHEMA_REGISTRY_URL_ENV, given)).isEqualTo(api);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "registry:8080",
        "ftp://registry:8080",
        "http://",
        "http://registry:8080/apis?x=1",
        "not a url",
        "/apis/registry/v2"
      })
  void aBadUrlIsRefusedNamingTheVariableAndTheValue(String bad) {
    Env env = new Env(Map.of(TopicsEnv.SCHEMA_REGISTRY_URL_ENV, bad));
    assertThatThrownBy(() -> TopicsEnv.fromEnv(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(TopicsEnv.SCHEMA_REGISTRY_URL_ENV)
        .hasMessageContaining("'" + bad + "'")
        .hasMessageContaining("http://registry:8080");
  }

  @Test
  void theClipTopicsAloneGetTheClipRetentionSixHoursByDefault() {
    Topics topics = TopicsEnv.fromEnv(new Env(Map.of()));
    assertThat(topics.clipRetention()).isEqualTo(Duration.ofHours(6));
    for (Topics.Topic<?> topic : topics.all()) {
      boolean clip = topics.clipTopics().stream().anyMatch(t -> t.name().equals(topic.name()));
      assertThat(topic.configs().get("retention.ms"))
          .as(topic.name())
          .isEqualTo(clip ? "21600000" : null);
      assertThat(topic.configs().get("segment.ms"))
          .as("a segment rolls at least hourly, so retention can delete it")
          .isEqualTo(clip ? "3600000" : null);
    }
    assertThat(topics.audio().configs()).containsEntry("max.message.bytes", "16777216");
  }

  @ParameterizedTest
  @CsvSource({"90m, 5400000", "6h, 21600000", "1s, 1000", "86400000, 86400000"})
  void theClipRetentionIsReadAsADuration(String given, long ms) {
    Topics topics = TopicsEnv.fromEnv(new Env(Map.of(TopicsEnv.CLIP_RETENTION_ENV, given)));
    assertThat(topics.clipRetention()).isEqualTo(Duration.ofMillis(ms));
    assertThat(topics.frames().configs())
        .containsEntry("retention.ms", Long.toString(ms))
        .containsEntry("segment.ms", Long.toString(Math.min(ms, 3_600_000)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "999ms", "-5m", "6d", "forever"})
  void aClipRetentionUnderASecondOrUnreadableIsRefusedNamingTheVariable(String bad) {
    Env env = new Env(Map.of(TopicsEnv.CLIP_RETENTION_ENV, bad));
    assertThatThrownBy(() -> TopicsEnv.fromEnv(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(TopicsEnv.CLIP_RETENTION_ENV)
        .hasMessageContaining("'" + bad + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bad topic!", "café.", "a/b."})
  void aTopicPrefixKafkaCannotNameTopicsWithIsRefusedNamingTheVariable(String bad) {
    Env env = new Env(Map.of(TopicsEnv.PREFIX_ENV, bad));
    assertThatThrownBy(() -> TopicsEnv.fromEnv(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(TopicsEnv.PREFIX_ENV + "='" + bad + "' is not valid");
    assertThat(TopicsEnv.fromEnv(new Env(Map.of(TopicsEnv.PREFIX_ENV, "eval-1a2b.x_y-"))))
        .isNotNull();
  }
}
