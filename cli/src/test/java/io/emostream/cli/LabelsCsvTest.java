package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.fusion.FusionConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelsCsvTest {

  private static final List<String> LABELS = FusionConfig.DEFAULT_LABELS;

  @Test
  void rowsGiveLabelSpeakerAndCorpusByFile() {
    Map<String, LabelsCsv.Row> rows =
        LabelsCsv.parse(
            """
        # a comment, then a blank line

        file,label,speaker,corpus
        demo-happy.mp4 , Happy , ravdess-02 , constructed
        sub/dir/call.wav,sad,caller-7,calls
        """,
            LABELS);
    assertThat(rows.keySet()).containsExactly("demo-happy.mp4", "sub/dir/call.wav");
    assertThat(rows.get("demo-happy.mp4"))
        .isEqualTo(new LabelsCsv.Row(4, "demo-happy.mp4", "happy", "ravdess-02", "constructed"));
    assertThat(rows.get("sub/dir/call.wav").corpus()).isEqualTo("calls");
  }

  @Test
  void withoutACorpusColumnTheCorpusIsTheFileName() {
    Map<String, LabelsCsv.Row> rows =
        LabelsCsv.parse("file,label,speaker\na.wav,angry,s1\n", LABELS);
    assertThat(rows.get("a.wav").corpus()).isEqualTo("labels.csv");
    assertThat(rows.get("a.wav").line()).isEqualTo(2);
  }

  @Test
  void aByteOrderMarkAsExcelWritesItIsNotPartOfTheHeader() {
    Map<String, LabelsCsv.Row> rows =
        LabelsCsv.parse("\uFEFFfile,label,speaker\r\na.wav,angry,s1\r\n", LABELS);
    assertThat(rows.get("a.wav").speaker()).isEqualTo("s1");
  }

  @Test
  void everyBadInputNamesItsLineAndWhatIsAccepted() {
    assertBad(
        "file,emotion,speaker\n", "line 1: the first line must be the header file,label,speaker");
    assertBad("# only a comment\n", "no header line file,label,speaker");
    assertBad(
        "file,label,speaker\na.wav,bored,s1\n",
        "line 2: label 'bored' is not one of neutral, calm, happy");
    assertBad(
        "file,label,speaker\na.wav,sad\n",
        "line 2: 3 fields expected (no commas inside a field), found 2");
    assertBad(
        "file,label,speaker\na.wav,sad,s1\n\na.wav,happy,s2\n",
        "line 4: a.wav is already labelled on line 2");
    assertBad(
        "file,label,speaker\n../a.wav,sad,s1\n",
        "line 2: file '../a.wav' must be a path inside the directory");
    assertBad("file,label,speaker\n/tmp/a.wav,sad,s1\n", "must be a path inside the directory");
    assertBad(
        "file,label,speaker\n,sad,s1\n", "line 2: file '' must be a path inside the directory");
    assertBad("file,label,speaker\na.wav,sad,\n", "line 2: speaker '' must be 1 to 64 letters");
    assertBad(
        "file,label,speaker\na.wav,sad,two words\n", "speaker 'two words' must be 1 to 64 letters");
    assertBad(
        "file,label,speaker,corpus\na.wav,sad,s1,-x\n",
        "line 2: corpus '-x' must be 1 to 64 letters");
  }

  private static void assertBad(String text, String message) {
    assertThatThrownBy(() -> LabelsCsv.parse(text, LABELS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
