package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultFormatTest {

  static FusedEmotion result() {
    ModalityPrediction video =
        ModalityPrediction.newBuilder()
            .setClipId("s-00001")
            .setModality(Modality.VIDEO)
            .setModelName("fer")
            .setModelVersion("1")
            .setLabels(List.of())
            .setProbabilities(List.of())
            .setStatus(PredictionStatus.NO_FACE)
            .setTimings(new Timings(0.0, 0.0, 0.0, 0.0))
            .setProducedAtMs(Instant.EPOCH)
            .build();
    ModalityPrediction audio =
        ModalityPrediction.newBuilder(video)
            .setModality(Modality.AUDIO)
            .setModelName("ser")
            .setLabels(List.of("happy", "sad"))
            .setProbabilities(List.of(0.8f, 0.2f))
            .setStatus(PredictionStatus.OK)
            .build();
    return FusedEmotion.newBuilder()
        .setClipId("s-00001")
        .setSourceId("s")
        .setSourceName("call.mp4")
        .setSegmentIndex(1)
        .setStartMs(4_000)
        .setEndMs(8_000)
        .setRule(FusionRule.AVERAGE)
        .setLabel("happy")
        .setConfidence(0.8f)
        .setLabels(List.of("happy", "sad"))
        .setDistribution(List.of(0.8f, 0.2f))
        .setModalities(List.of(Modality.AUDIO))
        .setStatus(FusionStatus.AUDIO_ONLY)
        .setPredictions(List.of(audio, video))
        .setIngestTimeMs(Instant.EPOCH)
        .setFusedAtMs(Instant.ofEpochMilli(1500))
        .setLatencyMs(1500)
        .build();
  }

  @Test
  void tableShowsOneReadableRowPerSegment() {
    String[] lines = ResultFormat.table(List.of(result())).split(System.lineSeparator());
    assertThat(lines[0])
        .startsWith("source")
        .contains("segment", "time", "label", "confidence", "modalities", "rule", "status");
    assertThat(lines[1])
        .contains(
            "call.mp4",
            "4.0-8.0 s",
            "happy",
            "0.80",
            "audio",
            "AVERAGE",
            "AUDIO_ONLY",
            "happy 0.80",
            "NO_FACE");
  }

  @Test
  void columnsStayAlignedWhenASourceNameHasWideCharacters() {
    FusedEmotion cjk = FusedEmotion.newBuilder(result()).setSourceName("客户通话.mp4").build();
    String[] lines = ResultFormat.table(List.of(result(), cjk)).split(System.lineSeparator());
    // the segment column starts at the same terminal column on every line
    int column = Terminal.width(lines[0].substring(0, lines[0].indexOf("segment")));
    assertThat(Terminal.width(lines[1].substring(0, lines[1].indexOf("  1") + 2)))
        .isEqualTo(column);
    assertThat(Terminal.width(lines[2].substring(0, lines[2].indexOf("  1") + 2)))
        .isEqualTo(column);
  }

  @Test
  void aSegmentWithNoSpeechAndNoFaceShowsBothStatusesAndNoLabel() {
    FusedEmotion silent = result();
    ModalityPrediction audio =
        ModalityPrediction.newBuilder(silent.getPredictions().get(0))
            .setStatus(PredictionStatus.NO_SPEECH)
            .setProbabilities(List.of())
            .build();
    FusedEmotion none =
        FusedEmotion.newBuilder(silent)
            .setLabel(null)
            .setConfidence(0f)
            .setDistribution(List.of(0f, 0f))
            .setModalities(List.of())
            .setStatus(FusionStatus.NO_PREDICTION)
            .setPredictions(List.of(audio, silent.getPredictions().get(1)))
            .build();

    String row = ResultFormat.table(List.of(none)).split(System.lineSeparator())[1];

    assertThat(row).contains("NO_PREDICTION", "NO_SPEECH", "NO_FACE");
    assertThat(ResultFormat.modality(none, "AUDIO")).isEqualTo("NO_SPEECH");
    assertThat(HtmlReport.render(List.of(none))).contains(">no speech</div>");
  }

  @Test
  void theSpeakerRoleOfASplitCallIsShownWithTheSource() {
    FusedEmotion customer = FusedEmotion.newBuilder(result()).setSpeakerRole("customer").build();
    assertThat(ResultFormat.table(List.of(customer))).contains("call.mp4 [customer]");
  }

  /**
   * {@code analyze URL} prints its header before any segment and each row as it is fused: the
   * columns line up with the header whatever the rows hold (they did not: each row was its own
   * table).
   */
  @Test
  void aStreamedTableKeepsEveryRowUnderItsHeader() {
    ResultFormat.Streaming table = new ResultFormat.Streaming("rtsp://cam/live");
    FusedEmotion first =
        FusedEmotion.newBuilder(result())
            .setSourceName("rtsp://cam/live")
            .setSegmentIndex(0)
            .build();
    ModalityPrediction noSpeech =
        ModalityPrediction.newBuilder(first.getPredictions().get(0))
            .setStatus(PredictionStatus.NO_SPEECH)
            .build();
    FusedEmotion late =
        FusedEmotion.newBuilder(first)
            .setSegmentIndex(1234)
            .setStartMs(4_936_000)
            .setEndMs(4_940_000)
            .setRule(FusionRule.LOGISTIC_REGRESSION)
            .setLabel(null)
            .setModalities(List.of())
            .setStatus(FusionStatus.NO_PREDICTION)
            .setPredictions(List.of(noSpeech, first.getPredictions().get(1)))
            .build();
    String header = table.header();
    for (String row : List.of(table.row(first), table.row(late))) {
      for (String column :
          List.of("segment", "time", "label", "rule", "status", "audio", "video")) {
        int at = header.indexOf(column);
        assertThat(row.charAt(at - 1)).as("%s in%n%s%s", column, header, row).isEqualTo(' ');
        assertThat(row.charAt(at)).as("%s in%n%s%s", column, header, row).isNotEqualTo(' ');
      }
    }
  }
}
