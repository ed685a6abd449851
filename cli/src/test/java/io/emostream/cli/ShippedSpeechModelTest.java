package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.audio.AudioPredictor;
import io.emostream.audio.AudioWorkerMain;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.PredictionStatus;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped speech models, loaded from their manifests, fed through the production path (FFmpeg
 * demux to 16 kHz mono PCM → AudioSegment → AudioPredictor on ONNX Runtime) reproduce the
 * posteriors their training scripts computed with torch ({@code reference.json}), within 1e-3: v1
 * on whole clips without the voice-activity gate; v2, v3, v5, v6 and v7 (the default) behind the
 * production gate (Silero VAD in Java), so the voiced audio the Java detector cuts equals the
 * Python rendering's sample for sample and the model's answer on it matches torch's.
 */
class ShippedSpeechModelTest {

  static final Path V1 = Path.of("../models/speech-emotion-ravdess");
  static final Path V2 = Path.of("../models/speech-emotion-v2");
  static final Path V3 = Path.of("../models/speech-emotion-v3");
  static final Path V5 = Path.of("../models/speech-emotion-v5");
  static final Path V6 = Path.of("../models/speech-emotion-v6");
  static final Path V7 = Path.of("..").resolve(AudioWorkerMain.DEFAULT_MODEL).getParent();
  static final Path VAD = Path.of("..").resolve(VadConfig.DEFAULT_MODEL);
  static final Path RAVDESS = Path.of("../../shared/data/ravdess-speech-16k");

  @Test
  void theDefaultIsV7() {
    assertThat(V7.getFileName()).hasToString("speech-emotion-v7");
  }

  @Test
  void v1ReproducesTheTrainingReferenceOutputsOnWholeClips() throws Exception {
    try (OrtModel model = OrtModel.load(V1.resolve("manifest.json"), Device.CPU, 0)) {
      // v1 (log-mel features of the whole clip, not the default) moves 0.029 without the offset
      check(V1, AudioPredictor.keepingDcOffset(model, null), new AudioPredictor(model), "", 0.05f);
    }
  }

  @Test
  void v2ReproducesTheTrainingReferenceOutputsOnTheVoicedAudio() throws Exception {
    checkVoiced(V2);
  }

  @Test
  void v3ReproducesTheTrainingReferenceOutputsOnTheVoicedAudio() throws Exception {
    checkVoiced(V3);
  }

  @Test
  void v5ReproducesTheTrainingReferenceOutputsOnTheVoicedAudio() throws Exception {
    checkVoiced(V5);
  }

  /**
   * v6 is one graph holding v3 and v5; its reference is the average of their torch references
   * (average_models.py), so this checks the combined graph against the two trained models.
   */
  @Test
  void v6ReproducesTheAverageOfV3AndV5OnTheVoicedAudio() throws Exception {
    checkVoiced(V6);
  }

  /**
   * v7 is one graph holding the tuned-tail model and v5; its reference is the average of their
   * torch references (the tuned-tail model's own is training/audio/results-v7/
   * final_model_reference.json).
   */
  @Test
  void v7ReproducesTheAverageOfItsTwoModelsOnTheVoicedAudio() throws Exception {
    checkVoiced(V7);
  }

  private static void checkVoiced(Path modelDir) throws Exception {
    try (OrtModel model = OrtModel.load(modelDir.resolve("manifest.json"), Device.CPU, 0);
        // the references were computed on the voiced audio of the contract before the VAD's
        // state was primed (docs/models.md, "Priming"): the same contract here, so that what is
        // compared is the speech model alone
        SpeechDetector detector =
            SpeechDetector.load(
                VAD,
                Device.CPU,
                1,
                VadConfig.DEFAULT_THRESHOLD,
                VadConfig.DEFAULT_MIN_SPEECH_SECONDS,
                0)) {
      check(
          modelDir,
          AudioPredictor.keepingDcOffset(model, detector),
          new AudioPredictor(model, detector),
          "voiced_",
          0.01f);
    }
  }

  /**
   * {@code predictor} keeps the clips' DC offset, as the references were computed, and must match
   * them within 1e-3; {@code shipped} removes it, as the worker does, and must stay within {@code
   * dcTolerance} (one RAVDESS reference clip, Actor 15's, carries an offset of a few 16-bit steps:
   * one of v7's classes 0.0017 off on its voiced audio).
   */
  private static void check(
      Path modelDir,
      AudioPredictor predictor,
      AudioPredictor shipped,
      String prefix,
      float dcTolerance)
      throws Exception {
    assumeTrue(
        Files.isDirectory(RAVDESS),
        "../shared/data/ravdess-speech-16k is absent: skipping the reference check");
    JsonNode reference = new ObjectMapper().readTree(modelDir.resolve("reference.json").toFile());
    VideoDemuxer demuxer =
        new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "60"))));
    List<byte[]> segments = new ArrayList<>();
    List<JsonNode> expected = new ArrayList<>();
    for (JsonNode clip : reference.get("clips")) {
      List<DemuxedClip> clips = new ArrayList<>();
      demuxer.demux(RAVDESS.resolve(clip.get("path").asText()), clips::add);
      assertThat(clips).hasSize(1);
      assertThat(clips.get(0).pcm16le().length / 2).isEqualTo(clip.get("num_samples").asInt());
      segments.add(
          new AvroSerde<>(AudioSegment.class)
              .encode(
                  new AudioSegment("ref", 16_000, 1, ByteBuffer.wrap(clips.get(0).pcm16le()), 0L)));
      expected.add(clip);
    }
    // the worker predicts a poll's clips together (their VAD frames share runs): the same figures
    List<ClipPredictor.Result> together =
        predictor.predictAll(
            segments.stream().map(s -> new ClipPredictor.Input("ref", s)).toList());
    for (int c = 0; c < segments.size(); c++) {
      ClipPredictor.Outcome alone = predictor.predict("ref", segments.get(c));
      assertThat(together.get(c).failure()).isNull();
      for (ClipPredictor.Outcome outcome : List.of(alone, together.get(c).outcome())) {
        assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
        JsonNode softmax = expected.get(c).get(prefix + "softmax");
        for (int i = 0; i < softmax.size(); i++) {
          assertThat(outcome.probabilities()[i])
              .as("%s class %d", expected.get(c).get("file").asText(), i)
              .isCloseTo((float) softmax.get(i).asDouble(), within(1e-3f));
        }
      }
      ClipPredictor.Outcome withoutDc = shipped.predict("ref", segments.get(c));
      JsonNode softmax = expected.get(c).get(prefix + "softmax");
      for (int i = 0; i < softmax.size(); i++) {
        assertThat(withoutDc.probabilities()[i])
            .as("%s class %d, DC offset removed", expected.get(c).get("file").asText(), i)
            .isCloseTo((float) softmax.get(i).asDouble(), within(dcTolerance));
      }
    }
  }
}
