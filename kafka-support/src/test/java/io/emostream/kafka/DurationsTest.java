package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one duration syntax, shared by the environment ({@link Env#duration}) and the command line.
 */
class DurationsTest {

  @ParameterizedTest(name = "{0} -> {1} ms")
  @CsvSource({
    "500ms, 500",
    "500MS, 500",
    "30s, 30000",
    "1.5s, 1500",
    "2m, 120000",
    "0.5M, 30000",
    "6h, 21600000",
    "1.5H, 5400000",
    "250, 250",
    "0, 0"
  })
  void readsEachUnit(String raw, long millis) {
    assertThat(Durations.parse(raw)).contains(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-5ms", "-1", "-0.5s", "soon", "1d", "50 ms", "h", "", "s", "1.5ms"})
  void aNegativeOrUnreadableDurationIsEmpty(String raw) {
    assertThat(Durations.parse(raw)).isEmpty();
  }
}
