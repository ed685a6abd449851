package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The batching settings of a worker: EMOSTREAM_{AUDIO,VIDEO}_MAX_BATCH and _MAX_WAIT (README
 * "Configuration").
 */
class WorkerConfigTest {

  private static WorkerConfig config(String prefix, Map<String, String> vars) {
    return WorkerConfig.fromEnv(new Env(vars), prefix, Path.of("model/manifest.json"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"AUDIO", "VIDEO"})
  void defaultsAre32ItemsAnd250Milliseconds(String prefix) {
    WorkerConfig c = config(prefix, Map.of());
    assertThat(c.maxBatch()).isEqualTo(32);
    assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(250));
  }

  @ParameterizedTest
  @CsvSource({
    "AUDIO, 1, 0, 0", // 0 = no waiting, allowed
    "AUDIO, 4096, 0ms, 0",
    "VIDEO, 8, 250, 250", // a bare number is milliseconds
    "VIDEO, 64, 1.5s, 1500", // 1.5 * 1000
    "VIDEO, 16, 2m, 120000"
  }) // 2 * 60 000
  void eachWorkerReadsItsOwnVariables(String prefix, String batch, String wait, long waitMs) {
    String other = prefix.equals("AUDIO") ? "VIDEO" : "AUDIO";
    Map<String, String> vars =
        Map.of(
            "EMOSTREAM_" + prefix + "_MAX_BATCH", batch, "EMOSTREAM_" + prefix + "_MAX_WAIT", wait);
    WorkerConfig c = config(prefix, vars);
    assertThat(c.maxBatch()).isEqualTo(Integer.parseInt(batch));
    assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(waitMs));
    // the other worker's settings are untouched by this worker's variables
    WorkerConfig o = config(other, vars);
    assertThat(o.maxBatch()).isEqualTo(32);
    assertThat(o.maxWait()).isEqualTo(Duration.ofMillis(250));
  }

  @ParameterizedTest
  @CsvSource({"AUDIO, 0", "AUDIO, -3", "VIDEO, 4097", "VIDEO, many", "VIDEO, 2.5"})
  void aBadMaxBatchIsAnErrorNamingTheVariable(String prefix, String value) {
    String name = "EMOSTREAM_" + prefix + "_MAX_BATCH";
    assertThatThrownBy(() -> config(prefix, Map.of(name, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("'" + value + "'")
        .hasMessageContaining("1 to 4096");
  }

  @ParameterizedTest
  @CsvSource({"AUDIO, soon", "VIDEO, 50 ms", "VIDEO, 1d", "AUDIO, -5ms", "VIDEO, -1"})
  void aBadMaxWaitIsAnErrorNamingTheVariable(String prefix, String value) {
    String name = "EMOSTREAM_" + prefix + "_MAX_WAIT";
    assertThatThrownBy(() -> config(prefix, Map.of(name, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("'" + value + "'")
        .hasMessageContaining("duration");
  }
}
