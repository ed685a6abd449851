package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Durations and numbers as every service reads them from the environment. */
class EnvTest {

  @ParameterizedTest(name = "{0} -> {1} ms")
  @CsvSource({
    "500ms, 500",
    "30s, 30000",
    "1.5s, 1500",
    "2m, 120000",
    "6h, 21600000",
    "250, 250",
    "0, 0",
    "0ms, 0"
  })
  void readsDurationsInTheirUnits(String raw, long millis) {
    assertThat(new Env(Map.of("D", raw)).duration("D", Duration.ZERO))
        .isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-5ms", "-1", "-0.5s", "soon", "1d", "50 ms"})
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

  @ParameterizedTest(name = "{0}")
  @CsvSource({"7, 7", "' 0 ', 0", "10, 10"})
  void readsWholeNumbersInRange(String raw, int expected) {
    assertThat(new Env(Map.of("N", raw)).integer("N", 3, 0, 10)).isEqualTo(expected);
    assertThat(new Env(Map.of()).integer("N", 3, 0, 10)).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"11", "-1", "2.5", "many", "99999999999"})
  void aWholeNumberOutOfRangeOrUnreadableIsAnErrorSayingWhatIsAccepted(String raw) {
    assertThatThrownBy(() -> new Env(Map.of("EMOSTREAM_N", raw)).integer("EMOSTREAM_N", 3, 0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "environment variable EMOSTREAM_N='"
                + raw
                + "' is not valid: expected a whole number from 0 to 10");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.5", "-0.1", "NaN", "Infinity", "lots"})
  void aDecimalOutOfRangeNotANumberOrUnreadableIsAnError(String raw) {
    assertThatThrownBy(() -> new Env(Map.of("EMOSTREAM_D", raw)).decimal("EMOSTREAM_D", 0.5, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "environment variable EMOSTREAM_D='"
                + raw
                + "' is not valid: expected a number from 0 to 1");
    assertThat(new Env(Map.of("EMOSTREAM_D", "0.25")).decimal("EMOSTREAM_D", 0.5, 0, 1))
        .isEqualTo(0.25);
    assertThat(new Env(Map.of()).decimal("EMOSTREAM_D", 0.5, 0, 1)).isEqualTo(0.5);
  }

  @Test
  void boundsArePrintedAsPeopleWriteThem() {
    assertThatThrownBy(
            () -> new Env(Map.of("EMOSTREAM_B", "0")).decimal("EMOSTREAM_B", 1, 1, 1L << 40))
        .hasMessageEndingWith("expected a number from 1 to 1099511627776");
    assertThatThrownBy(
            () -> new Env(Map.of("EMOSTREAM_B", "9")).decimal("EMOSTREAM_B", 1, 0.05, 2.5))
        .hasMessageEndingWith("expected a number from 0.05 to 2.5");
  }

  @Test
  void aSwitchAcceptsTheWordsItNames() {
    for (String on : new String[] {"true", "on", "YES", "1"}) {
      assertThat(new Env(Map.of("EMOSTREAM_S", on)).bool("EMOSTREAM_S", false)).isTrue();
    }
    assertThatThrownBy(() -> new Env(Map.of("EMOSTREAM_S", "maybe")).bool("EMOSTREAM_S", false))
        .hasMessageEndingWith("expected true or false (or on/off, yes/no, 1/0)");
  }

  /** A typo in a variable's name was silently ignored (found by a hostile-user pass). */
  @Test
  void aVariableEmostreamDoesNotKnowIsWarnedAboutWithTheClosestKnownName() {
    Env env =
        new Env(
            Map.of(
                "EMOSTREAM_SEGMENT_SECOND", "2",
                "EMOSTREAM_SEGMENT_SECONDS", "2",
                "EMOSTREAM_JAVA_OPTS", "-Xmx1g",
                "EMOSTREAM_QQQQQQQQQQQQ", "1",
                "PATH", "/bin"));

    assertThat(env.unknownWarnings())
        .containsExactly(
            "EMOSTREAM_QQQQQQQQQQQQ is not a variable emostream reads; it is ignored (README's"
                + " Configuration lists them)",
            "EMOSTREAM_SEGMENT_SECOND is not a variable emostream reads; it is ignored (did you"
                + " mean EMOSTREAM_SEGMENT_SECONDS?)");
    assertThat(Env.editDistance("kitten", "sitting")).isEqualTo(3);
  }
}
