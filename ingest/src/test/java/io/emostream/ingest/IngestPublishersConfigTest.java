package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link IngestConfig#publishers()}: the size of {@link ClipPublisher}'s producer pool. */
class IngestPublishersConfigTest {

  @Test
  void fourProducersByDefaultAndTheCountGivenOtherwiseKeptByTheCopies() {
    assertThat(IngestConfig.fromEnv(new Env(Map.of())).publishers()).isEqualTo(4);
    IngestConfig eight = IngestConfig.fromEnv(new Env(Map.of(IngestConfig.PUBLISHERS_ENV, "8")));
    assertThat(eight.publishers()).isEqualTo(8);
    assertThat(eight.withHttp("0.0.0.0", 9090).publishers()).isEqualTo(8);
    assertThat(eight.withKafka(eight.kafka(), eight.topics()).publishers()).isEqualTo(8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "65", "-1", "four"})
  void aCountOutsideOneToSixtyFourIsRefusedNamingTheVariable(String bad) {
    Env env = new Env(Map.of(IngestConfig.PUBLISHERS_ENV, bad));
    assertThatThrownBy(() -> IngestConfig.fromEnv(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(IngestConfig.PUBLISHERS_ENV)
        .hasMessageContaining("'" + bad + "'")
        .hasMessageContaining("1 to 64");
  }
}
