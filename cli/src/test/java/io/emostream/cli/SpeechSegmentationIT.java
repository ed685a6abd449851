package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.testkit.TestMedia;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EMOSTREAM_SEGMENTATION=vad through the platform (in-JVM broker, the four services, the shipped
 * models): a conversation of three RAVDESS utterances (the committed demo clips' audio) with 1.5 s
 * pauses comes out as one fused segment per utterance, cut in the pauses, each with the speech
 * model's prediction.
 */
class SpeechSegmentationIT {

  @Test
  void aConversationIsFusedInSegmentsCutAtItsPauses(@TempDir Path dir) throws Exception {
    List<short[]> speech = new ArrayList<>();
    for (String name :
        List.of("demo-angry-actor02.mp4", "demo-sad-actor03.mp4", "demo-happy-actor04.mp4")) {
      speech.add(wholeAudio(Path.of("../samples/labelled", name)));
    }
    short[] conversation = TestMedia.conversation(speech, VideoDemuxer.SAMPLE_RATE * 3 / 2);
    Path wav =
        TestMedia.writeMonoWav(
            dir.resolve("conversation.wav"), VideoDemuxer.SAMPLE_RATE, conversation);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code =
        new Main(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new Env(Map.of("EMOSTREAM_SEGMENTATION", "vad")),
                Path.of(".."))
            .run(new String[] {"analyze", "--json", wav.toString()});

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    List<JsonNode> segments = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
      segments.add(new ObjectMapper().readTree(line));
    }
    segments.sort(Comparator.comparingInt(s -> s.get("segmentIndex").asInt()));
    assertThat(segments).hasSizeBetween(3, 6);
    long durationMs = conversation.length * 1000L / VideoDemuxer.SAMPLE_RATE;
    long start = 0;
    for (JsonNode segment : segments) {
      assertThat(segment.get("startMs").asLong()).isEqualTo(start);
      start = segment.get("endMs").asLong();
      assertThat(segment.get("predictions").get(0).get("modality").asText()).isEqualTo("AUDIO");
    }
    assertThat(start).isBetween(durationMs - 40, durationMs + 40);
    List<Long> cuts =
        segments.subList(0, segments.size() - 1).stream()
            .map(s -> s.get("endMs").asLong())
            .toList();
    assertThat(cuts).noneMatch(cut -> cut % 4_000 == 0); // not the fixed windows
    // the speech model heard every utterance: at least one segment per utterance is usable
    assertThat(segments.stream().filter(s -> s.get("status").asText().equals("AUDIO_ONLY")))
        .hasSizeGreaterThanOrEqualTo(3);
  }

  private static short[] wholeAudio(Path file) {
    List<DemuxedClip> whole = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "600"))))
        .demux(file, whole::add);
    byte[] pcm = whole.get(0).pcm16le();
    short[] out = new short[pcm.length / 2];
    ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
    return out;
  }
}
