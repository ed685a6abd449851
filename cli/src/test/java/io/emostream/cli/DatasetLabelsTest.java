package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.cli.DatasetLabels.LabelledFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DatasetLabelsTest {

  @Test
  void ravdessNamesGiveEmotionAndActor() {
    LabelledFile f =
        DatasetLabels.parse(Path.of("Actor_12/03-01-05-01-02-01-12.flac")).orElseThrow();
    assertThat(f.label()).isEqualTo("angry");
    assertThat(f.subject()).isEqualTo("ravdess-12");
    assertThat(f.corpus()).isEqualTo("RAVDESS");
    assertThat(DatasetLabels.parse(Path.of("01-01-07-02-02-01-01.mp4")).orElseThrow().label())
        .isEqualTo("disgust");
    assertThat(DatasetLabels.parse(Path.of("03-01-02-01-01-01-01.wav")).orElseThrow().label())
        .isEqualTo("calm");
    assertThat(DatasetLabels.parse(Path.of("03-01-08-01-01-01-24.wav")).orElseThrow().label())
        .isEqualTo("surprised");
  }

  @Test
  void cremaDNamesGiveTheCanonicalLabelAndActor() {
    LabelledFile f = DatasetLabels.parse(Path.of("1001_DFA_ANG_XX.wav")).orElseThrow();
    assertThat(f.label()).isEqualTo("angry");
    assertThat(f.subject()).isEqualTo("crema-d-1001");
    assertThat(DatasetLabels.parse(Path.of("1091_IEO_FEA_HI.flac")).orElseThrow().label())
        .isEqualTo("fearful");
    assertThat(DatasetLabels.parse(Path.of("1002_TIE_HAP_LO.wav")).orElseThrow().label())
        .isEqualTo("happy");
    assertThat(DatasetLabels.parse(Path.of("1003_ITS_NEU_XX.wav")).orElseThrow().label())
        .isEqualTo("neutral");
    assertThat(DatasetLabels.parse(Path.of("1004_IWL_DIS_MD.wav")).orElseThrow().label())
        .isEqualTo("disgust");
    assertThat(DatasetLabels.parse(Path.of("1005_MTI_SAD_XX.wav")).orElseThrow().label())
        .isEqualTo("sad");
  }

  @Test
  void tessNamesGiveTheCanonicalLabelAndSpeakerInAnyCase() {
    LabelledFile f =
        DatasetLabels.parse(Path.of("TESS/OAF_angry/OAF_back_angry.wav")).orElseThrow();
    assertThat(f.label()).isEqualTo("angry");
    assertThat(f.subject()).isEqualTo("tess-OAF");
    assertThat(f.corpus()).isEqualTo("TESS");
    assertThat(DatasetLabels.parse(Path.of("YAF_dog_ps.wav")).orElseThrow().label())
        .isEqualTo("surprised");
    assertThat(DatasetLabels.parse(Path.of("YAF_dog_fear.wav")).orElseThrow().label())
        .isEqualTo("fearful");
    LabelledFile upper = DatasetLabels.parse(Path.of("yaf_Youth_Neutral.wav")).orElseThrow();
    assertThat(upper.label()).isEqualTo("neutral");
    assertThat(upper.subject()).isEqualTo("tess-YAF");
    assertThat(DatasetLabels.parse(Path.of("OAF_back_bored.wav"))).isEmpty();
    assertThat(DatasetLabels.parse(Path.of("XAF_back_angry.wav"))).isEmpty();
  }

  @Test
  void saveeNamesGiveTheCanonicalLabelAndSpeakerFlatOrInTheSpeakersFolder() {
    LabelledFile flat = DatasetLabels.parse(Path.of("ALL/DC_sa01.wav")).orElseThrow();
    assertThat(flat.label()).isEqualTo("sad");
    assertThat(flat.subject()).isEqualTo("savee-DC");
    assertThat(flat.corpus()).isEqualTo("SAVEE");
    assertThat(DatasetLabels.parse(Path.of("KL_su15.wav")).orElseThrow().label())
        .isEqualTo("surprised");
    assertThat(DatasetLabels.parse(Path.of("JE_a03.wav")).orElseThrow().label()).isEqualTo("angry");
    LabelledFile inFolder = DatasetLabels.parse(Path.of("AudioData/JK/n30.wav")).orElseThrow();
    assertThat(inFolder.label()).isEqualTo("neutral");
    assertThat(inFolder.subject()).isEqualTo("savee-JK");
    assertThat(DatasetLabels.parse(Path.of("AudioData/JK/h01.wav")).orElseThrow().label())
        .isEqualTo("happy");
    // the short names only count inside a speaker's folder; other codes are not SAVEE's
    assertThat(DatasetLabels.parse(Path.of("calls/n30.wav"))).isEmpty();
    assertThat(DatasetLabels.parse(Path.of("DC_x01.wav"))).isEmpty();
    assertThat(DatasetLabels.parse(Path.of("AB_a01.wav"))).isEmpty();
  }

  @Test
  void otherNamesAndUnknownCodesAreNotLabelled() {
    assertThat(DatasetLabels.parse(Path.of("happy-speech.mp4"))).isEmpty();
    assertThat(DatasetLabels.parse(Path.of("03-01-09-01-01-01-01.wav"))).isEmpty(); // no emotion 09
    assertThat(DatasetLabels.parse(Path.of("1001_DFA_XYZ_XX.wav"))).isEmpty();
  }

  @Test
  void emodbNamesGiveTheCanonicalLabelAndSpeaker() {
    LabelledFile f = DatasetLabels.parse(Path.of("emodb/03a01Fa.flac")).orElseThrow();
    assertThat(f.label()).isEqualTo("happy");
    assertThat(f.subject()).isEqualTo("emodb-03");
    assertThat(f.corpus()).isEqualTo("EmoDB");
    assertThat(DatasetLabels.parse(Path.of("14b10Wc.wav")).orElseThrow().label())
        .isEqualTo("angry");
    assertThat(DatasetLabels.parse(Path.of("09a01Ea.wav")).orElseThrow().label())
        .isEqualTo("disgust");
    assertThat(DatasetLabels.parse(Path.of("03a04Ad.wav")).orElseThrow().label())
        .isEqualTo("fearful");
    assertThat(DatasetLabels.parse(Path.of("03a02Ta.wav")).orElseThrow().label()).isEqualTo("sad");
    LabelledFile neutral = DatasetLabels.parse(Path.of("16b10Nc.flv")).orElseThrow();
    assertThat(neutral.label()).isEqualTo("neutral");
    assertThat(neutral.subject()).isEqualTo("emodb-16");
  }

  @Test
  void emodbBoredomIsLeftOutWithItsReasonAndUnknownNamesAreLeftOutAsUnknown() {
    DatasetLabels.Classified boredom = DatasetLabels.classify(Path.of("03a04Lc.flac"));
    assertThat(boredom.labelled()).isNull();
    assertThat(boredom.leftOut().corpus()).isEqualTo("EmoDB");
    assertThat(boredom.leftOut().reason())
        .isEqualTo(DatasetLabels.EMODB_BOREDOM)
        .contains("boredom");
    assertThat(DatasetLabels.parse(Path.of("03a04Lc.flac"))).isEmpty();

    DatasetLabels.Classified unknown = DatasetLabels.classify(Path.of("call-2024.wav"));
    assertThat(unknown.labelled()).isNull();
    assertThat(unknown.leftOut().corpus()).isNull();
    assertThat(unknown.leftOut().reason()).isEqualTo(DatasetLabels.UNKNOWN_NAME);
    assertThat(DatasetLabels.classify(Path.of("03c01Fa.wav")).leftOut().corpus())
        .isNull(); // no sentence c01
    assertThat(DatasetLabels.classify(Path.of("03a01Xa.wav")).leftOut().corpus())
        .isNull(); // no emotion X
    assertThat(DatasetLabels.classify(Path.of("03a01Fa.wav")).leftOut()).isNull();
  }
}
