package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.IngestService;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpLogTest {

  @Test
  void anUploadIsOneLineWithSourceNameAndSegments() {
    IngestService.Result upload =
        new IngestService.Result(
            "call-42",
            "call.mp4",
            List.of(
                new IngestService.Clip("u-00000", 0, 0, 4_000, List.of(Modality.AUDIO), null),
                new IngestService.Clip("u-00001", 1, 4_000, 8_000, List.of(Modality.AUDIO), null)));

    assertThat(UpLog.upload(upload))
        .isEqualTo(
            "upload call.mp4: source call-42, 2 segment(s); GET /sources/call-42 for results");
    assertThat(UpLog.failedUpload(upload, "the upload was cut off: x"))
        .isEqualTo(
            "upload call.mp4 FAILED after 2 segment(s) were published (source call-42): the upload"
                + " was cut off: x; GET /sources/call-42 for those");
  }

  @Test
  void aFusedSegmentIsOneLineWithSourceSegmentLabelConfidenceAndStatus() {
    FusedEmotion segment =
        FusedEmotion.newBuilder(ResultFormatTest.result()).setSourceId("call-42").build();

    assertThat(UpLog.segment(segment))
        .isEqualTo(
            "fused call.mp4 (source call-42) segment 1 4.0-8.0 s: happy 0.80 " + "AUDIO_ONLY");
    FusedEmotion none =
        FusedEmotion.newBuilder(segment)
            .setLabel(null)
            .setConfidence(0f)
            .setStatus(FusionStatus.NO_PREDICTION)
            .setSpeakerRole("customer")
            .build();
    assertThat(UpLog.segment(none))
        .isEqualTo(
            "fused call.mp4 (source call-42) segment 1 [customer] 4.0-8.0 s: "
                + "no label NO_PREDICTION");
  }

  @Test
  void theListenerPrintsALinePerEvent() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    var listener = UpLog.listener(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    listener.uploaded(new IngestService.Result("s", "a.mp4", List.of()));
    listener.fused(ResultFormatTest.result());

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(2);
  }

  @Test
  void anUploadRefusedWithNothingPublishedGetsItsLine() {
    assertThat(
            UpLog.refusedUpload("call.mkv", 408, "the upload was cut off: it arrived at 5 bytes/s"))
        .isEqualTo(
            "upload call.mkv refused (408): the upload was cut off: it arrived at 5 bytes/s");
  }
}
