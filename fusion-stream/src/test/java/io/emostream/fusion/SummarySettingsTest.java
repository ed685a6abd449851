package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SummarySettingsTest {

  @Test
  void theMaxWaitDefaultsToTheClipMaxWaitPlusAMargin() {
    assertThat(FusionConfig.fromEnv(new Env(Map.of())).summary())
        .isEqualTo(new SummarySettings(Duration.ofMinutes(31), Duration.ofHours(1)));
    assertThat(
            FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_MAX_WAIT", "120m")))
                .summary()
                .maxWait())
        .isEqualTo(Duration.ofMinutes(121));
  }

  @Test
  void readsBothVariables() {
    SummarySettings settings =
        FusionConfig.fromEnv(
                new Env(
                    Map.of(
                        "EMOSTREAM_FUSION_SUMMARY_MAX_WAIT", "5m",
                        "EMOSTREAM_FUSION_SUMMARY_RETENTION", "90s")))
            .summary();

    assertThat(settings)
        .isEqualTo(new SummarySettings(Duration.ofMinutes(5), Duration.ofSeconds(90)));
  }

  @Test
  void aBadValueNamesItsVariable() {
    assertThatThrownBy(
            () ->
                FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_SUMMARY_MAX_WAIT", "soon"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_SUMMARY_MAX_WAIT");
    assertThatThrownBy(
            () -> FusionConfig.fromEnv(new Env(Map.of("EMOSTREAM_FUSION_SUMMARY_RETENTION", "0s"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EMOSTREAM_FUSION_SUMMARY_RETENTION must be a positive duration");
  }
}
