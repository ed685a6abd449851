package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.topics.Topics;
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
}
