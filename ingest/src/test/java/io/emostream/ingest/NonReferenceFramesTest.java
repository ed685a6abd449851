package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * EMOSTREAM_DECODE_SKIP_NONREF (issue #17): with the decoder skipping frames no other frame refers
 * to, ingest publishes the same clips with the same audio, byte for byte, and as many frames per
 * clip, each the next decoded frame: at most a few source frames after the one a full decode keeps.
 * The samples are H.264 with B-frames, as a camera or a screen recorder writes them, each with kept
 * frames that fall on skipped ones (samples/happy-speech.mp4's all fall on reference frames).
 */
class NonReferenceFramesTest {

  /** Frames of the source a kept frame may move by: two B-frames in a row, and one to spare. */
  private static final int MAX_SHIFT_FRAMES = 3;

  @ParameterizedTest
  @CsvSource({
    "../samples/labelled/demo-angry-actor02.mp4, 25",
    "../samples/labelled/01-01-01-01-01-01-01.mp4, 29.97",
    "../samples/labelled/demo-sad-actor03.mp4, 25"
  })
  void sameClipsAndAudioAndAsManyFramesEachAFewSourceFramesLaterAtMost(Path file, double fps) {
    List<DemuxedClip> full = demux(file, "false");
    List<DemuxedClip> skipped = demux(file, "true");

    assertThat(skipped).hasSameSizeAs(full).isNotEmpty();
    long shifted = 0;
    for (int i = 0; i < full.size(); i++) {
      DemuxedClip a = full.get(i);
      DemuxedClip b = skipped.get(i);
      assertThat(b.startMs()).isEqualTo(a.startMs());
      assertThat(b.endMs()).isEqualTo(a.endMs());
      assertThat(b.pcm16le()).as("clip %d's audio", i).isEqualTo(a.pcm16le());
      assertThat(b.frames()).as("clip %d's frames", i).hasSameSizeAs(a.frames()).isNotEmpty();
      for (int f = 0; f < a.frames().size(); f++) {
        DemuxedClip.SampledFrame fa = a.frames().get(f);
        DemuxedClip.SampledFrame fb = b.frames().get(f);
        long shift = fb.timestampMs() - fa.timestampMs();
        assertThat(shift)
            .as("clip %d frame %d moved by", i, f)
            .isBetween(0L, Math.round(MAX_SHIFT_FRAMES * 1000 / fps));
        assertThat(fb.width()).isEqualTo(fa.width());
        assertThat(fb.height()).isEqualTo(fa.height());
        shifted += shift > 0 ? 1 : 0;
      }
    }
    assertThat(shifted).as("frames that moved: the decoder did skip some").isPositive();
  }

  @Test
  void onlyWhileFramesAreKeptAtLeast200MsApartAndNotWhenTurnedOff() {
    assertThat(config(Map.of()).decodesReferenceFramesOnly()).isTrue(); // 8 per 4 s: 500 ms
    assertThat(config(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "20")).decodesReferenceFramesOnly())
        .isTrue(); // 200 ms
    assertThat(config(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "32")).decodesReferenceFramesOnly())
        .isFalse(); // 125 ms: every frame decoded
    assertThat(config(Map.of(IngestConfig.SKIP_NONREF_ENV, "false")).decodesReferenceFramesOnly())
        .isFalse();
  }

  private static IngestConfig config(Map<String, String> env) {
    return IngestConfig.fromEnv(new Env(env));
  }

  private static List<DemuxedClip> demux(Path file, String skip) {
    Map<String, String> env = new HashMap<>();
    env.put(IngestConfig.SKIP_NONREF_ENV, skip);
    List<DemuxedClip> clips = new ArrayList<>();
    try (VideoDemuxer demuxer = new VideoDemuxer(config(env))) {
      demuxer.demux(file, clips::add);
    }
    return clips;
  }
}
