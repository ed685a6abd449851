package io.emostream.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.audio.features.MelFilterbank;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest.MelScale;
import io.emostream.inference.OrtModel;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.PredictionStatus;
import io.emostream.testkit.TinyOnnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a feature-input model end to end through the worker's predictor: a tiny generated ONNX model
 * takes log-mel features [batch, 1, frames, 3] (layout NCTF) and returns as logits the mean over
 * time of each of its 3 mel bands (HTK, 0-8 kHz: triangles peaking at about 615 Hz, 1770 Hz and
 * 3938 Hz), in dB. A tone at a band's peak frequency lies on the zero edge of the neighbouring
 * bands, so that band's mean dB is tens of dB above the others and its softmax is about 1: the
 * winning band can be checked by hand.
 */
class FeatureModelPredictorTest {

  private static final int RATE = 16000;

  @TempDir Path dir;

  private OrtModel tinyMelModel(Object timeDim) throws Exception {
    TinyOnnx.graph()
        .input("features", "batch", 1, timeDim, 3)
        .output("logits", "batch", 3)
        .node(
            "ReduceMean",
            List.of("features"),
            List.of("m"),
            Map.of("axes", new long[] {1, 2}, "keepdims", 0L))
        .node("Identity", List.of("m"), List.of("logits"), Map.of())
        .write(dir.resolve("model.onnx"));
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"name": "tiny-logmel", "version": "1", "modality": "AUDIO", "file": "model.onnx",
         "input": {"name": "features"}, "output": {"name": "logits", "kind": "LOGITS"},
         "labels": ["low", "mid", "high"],
         "audio": {"sampleRate": 16000, "normalize": "NONE", "windowSeconds": 1.0, "minSeconds": 0.5,
                   "features": {"type": "LOG_MEL", "nFft": 512, "hop": 160, "nMels": 3, "fMin": 0, "fMax": 8000,
                                "power": 2, "melScale": "HTK", "log": "POWER_DB", "layout": "NCTF"}}}
        """);
    return OrtModel.load(dir.resolve("manifest.json"), Device.CPU, 1);
  }

  /** Peak frequency of HTK mel band {@code band} of 3 over 0-8 kHz. */
  private static double peak(int band) {
    double top = MelFilterbank.hzToMel(8000, MelScale.HTK);
    return MelFilterbank.melToHz(top * (band + 1) / 4, MelScale.HTK);
  }

  /** One second of a tone at each frequency in turn, PCM16 at a quarter of full scale. */
  private static byte[] tones(double... hz) {
    ByteBuffer pcm = ByteBuffer.allocate(hz.length * RATE * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (double f : hz) {
      for (int i = 0; i < RATE; i++) {
        pcm.putShort((short) Math.round(8192 * Math.sin(2 * Math.PI * f * i / RATE)));
      }
    }
    return new AvroSerde<>(AudioSegment.class)
        .encode(new AudioSegment("c1", RATE, 1, ByteBuffer.wrap(pcm.array()), 0L));
  }

  @Test
  void theBandHoldingTheToneWins() throws Exception {
    try (OrtModel model = tinyMelModel("frames")) {
      AudioPredictor predictor = new AudioPredictor(model);
      for (int band = 0; band < 3; band++) {
        ClipPredictor.Outcome outcome = predictor.predict("c1", tones(peak(band)));
        assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
        assertThat(outcome.probabilities()[band]).as("band %d", band).isGreaterThan(0.99f);
      }
    }
  }

  @Test
  void windowsOfALongSegmentAreAllAnalysedAndAveraged() throws Exception {
    try (OrtModel model = tinyMelModel("frames")) {
      // 2 s: a low tone in the first 1-s window, a high tone in the second → about (0.5, 0, 0.5)
      ClipPredictor.Outcome outcome =
          new AudioPredictor(model).predict("c1", tones(peak(0), peak(2)));
      assertThat(outcome.itemsAnalysed()).isEqualTo(2);
      assertThat(outcome.probabilities()[0]).isCloseTo(0.5f, within(0.01f));
      assertThat(outcome.probabilities()[1]).isLessThan(0.01f);
      assertThat(outcome.probabilities()[2]).isCloseTo(0.5f, within(0.01f));
    }
  }

  @Test
  void aModelWithAFixedFrameCountIsRejectedAtStart() throws Exception {
    try (OrtModel model = tinyMelModel(101)) {
      assertThatThrownBy(() -> new AudioPredictor(model))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("layout NCTF")
          .hasMessageContaining("frame axis must be dynamic");
    }
  }
}
