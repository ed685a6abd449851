package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FrameSurveyTest {

  @Test
  void theTrueLabelComesFromARavdessNameOrADemoName() {
    assertThat(FrameSurvey.truth(Path.of("x/01-01-07-02-02-01-01.mp4"))).isEqualTo("disgust");
    assertThat(FrameSurvey.truth(Path.of("x/01-01-01-01-01-01-01.mp4"))).isEqualTo("neutral");
    assertThat(FrameSurvey.truth(Path.of("demo-happy-actor02.mp4"))).isEqualTo("happy");
    assertThat(FrameSurvey.truth(Path.of("samples/happy-speech.mp4"))).isNull();
  }

  @Test
  void totalVariationIsHalfTheL1DistanceAndOneAgainstNoFace() {
    assertThat(FrameSurvey.totalVariation(new float[] {0.5f, 0.5f}, new float[] {1f, 0f}))
        .isCloseTo(0.5, within(1e-6));
    assertThat(FrameSurvey.totalVariation(new float[] {0.2f, 0.8f}, new float[] {0.2f, 0.8f}))
        .isZero();
    assertThat(FrameSurvey.totalVariation(new float[0], new float[] {1f, 0f})).isEqualTo(1);
    assertThat(FrameSurvey.totalVariation(new float[0], new float[0])).isZero();
  }

  @Test
  void theGridStartsFromTheOldDefaultsNeighbours() {
    assertThat(FrameSurvey.DEFAULT).isEqualTo(new FrameSurvey.Setting(32, 640, 0.9f));
    assertThat(FrameSurvey.grid()).hasSize(17).doesNotContain(FrameSurvey.DEFAULT);
  }

  @Test
  void aSettingNamesItsFramesSideQualityAndOptionallyNorefAndYuNetsSide() {
    assertThat(FrameSurvey.Setting.parse("8/640/0.75"))
        .isEqualTo(new FrameSurvey.Setting(8, 640, 0.75f));
    assertThat(FrameSurvey.Setting.parse("8/640/0.75/noref"))
        .isEqualTo(new FrameSurvey.Setting(8, 640, 0.75f, true, 640));
    assertThat(FrameSurvey.Setting.parse("8/640/0.75/det320"))
        .isEqualTo(new FrameSurvey.Setting(8, 640, 0.75f, false, 320));
    assertThat(FrameSurvey.Setting.parse("8/640/0.75/noref/det480"))
        .isEqualTo(new FrameSurvey.Setting(8, 640, 0.75f, true, 480));
    assertThatThrownBy(() -> FrameSurvey.Setting.parse("8/640/0.75/fast"))
        .hasMessageContaining("fast");
  }
}
