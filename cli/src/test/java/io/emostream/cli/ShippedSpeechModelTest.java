package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.emostream.audio.AudioPredictor;
import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.AvroSerde;

/**
 * The shipped speech model, loaded from its manifest, fed through the production path (FFmpeg demux to
 * 16 kHz mono PCM → AudioSegment → AudioPredictor on ONNX Runtime) reproduces the posteriors the training
 * script computed with torch for three RAVDESS clips ({@code reference.json}), within 1e-3.
 */
class ShippedSpeechModelTest {

  static final Path MODEL = Path.of("../models/speech-emotion-ravdess");
  static final Path RAVDESS = Path.of("../../shared/data/ravdess-speech-16k");

  @Test
  void reproducesTheTrainingReferenceOutputs() throws Exception {
    assumeTrue(Files.isDirectory(RAVDESS), "../shared/data/ravdess-speech-16k is absent: skipping the reference check");
    JsonNode reference = new ObjectMapper().readTree(MODEL.resolve("reference.json").toFile());
    VideoDemuxer demuxer = new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "60"))));

    try (OrtModel model = OrtModel.load(MODEL.resolve("manifest.json"), Device.CPU, 0)) {
      AudioPredictor predictor = new AudioPredictor(model);
      for (JsonNode clip : reference.get("clips")) {
        List<DemuxedClip> clips = new ArrayList<>();
        demuxer.demux(RAVDESS.resolve(clip.get("path").asText()), clips::add);
        assertThat(clips).hasSize(1);
        assertThat(clips.get(0).pcm16le().length / 2).isEqualTo(clip.get("num_samples").asInt());
        byte[] segment = new AvroSerde<>(AudioSegment.class).encode(
            new AudioSegment("ref", 16_000, 1, ByteBuffer.wrap(clips.get(0).pcm16le()), 0L));

        ClipPredictor.Outcome outcome = predictor.predict("ref", segment);

        JsonNode expected = clip.get("softmax");
        for (int i = 0; i < expected.size(); i++) {
          assertThat(outcome.probabilities()[i]).as("%s class %d", clip.get("file").asText(), i)
              .isCloseTo((float) expected.get(i).asDouble(), within(1e-3f));
        }
      }
    }
  }
}
