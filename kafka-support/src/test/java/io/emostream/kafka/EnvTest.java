package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Durations as every service reads them from the environment. */
class EnvTest {

  @ParameterizedTest(name = "{0} -> {1} ms")
  @CsvSource({"500ms, 500", "30s, 30000", "1.5s, 1500", "2m, 120000", "250, 250", "0, 0", "0ms, 0"})
  void readsDurationsInTheirUnits(String raw, long millis) {
    assertThat(new Env(Map.of("D", raw)).duration("D", Duration.ZERO))
        .isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-5ms", "-1", "-0.5s", "soon", "1h", "50 ms"})
  void aNegativeOrUnreadableDurationIsAnErrorNamingTheVariable(String raw) {
    assertThatThrownBy(
            () -> new Env(Map.of("EMOSTREAM_X", raw)).duration("EMOSTREAM_X", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_X='" + raw + "'")
        .hasMessageContaining("a duration >= 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   "})
  void anUnsetOrBlankDurationIsTheDefault(String raw) {
    assertThat(new Env(Map.of("D", raw)).duration("D", Duration.ofSeconds(7)))
        .isEqualTo(Duration.ofSeconds(7));
  }
}
