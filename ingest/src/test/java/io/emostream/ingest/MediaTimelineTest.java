package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Both streams of a file on one clock, the container's: its audio is placed by its timestamps, not
 * by counting samples from 0, and its video from the container's start, not from the codec's
 * origin. The files (src/test/resources/timeline, made by the ffmpeg CLI: see its README) hold 8 s
 * of 96x64 test pattern at 8 fps and a 440 Hz tone.
 */
class MediaTimelineTest {

  private static final Path DIR = Path.of("src/test/resources/timeline");

  private final VideoDemuxer demuxer =
      new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "4"))));

  /**
   * The tone starts 4 s after the video. Counting samples from 0 put it in the first clip, beside
   * frames 4 s earlier, and left the second clip without audio.
   */
  @Test
  void audioThatStartsAfterTheVideoKeepsItsPlaceInTime() {
    List<DemuxedClip> clips = demux("audio-starts-at-4s.mkv");

    assertThat(clips).extracting(DemuxedClip::startMs).containsExactly(0L, 4_000L);
    assertThat(peak(clips.get(0), 0, 3_800)).as("0-3.8 s: before the tone").isLessThan(50);
    assertThat(peak(clips.get(1), 200, 3_800)).as("4-8 s: the tone").isGreaterThan(3_000);
    assertThat(clips).allSatisfy(clip -> assertThat(clip.frames()).hasSize(8));
  }

  /**
   * An MPEG-TS file whose clock starts an hour in (a recorder's, or ffmpeg's -output_ts_offset):
   * its frames were timed an hour after its audio, so the clips of the audio got no frames.
   */
  @Test
  void aFileWhoseClockStartsAnHourInIsTimedFromItsStart() {
    List<DemuxedClip> clips = demux("starts-at-3600s.ts");

    assertThat(clips).extracting(DemuxedClip::startMs).containsExactly(0L, 4_000L);
    for (DemuxedClip clip : clips) {
      assertThat(clip.frames()).as("clip %d", clip.index()).hasSize(8);
      assertThat(clip.frames())
          .allSatisfy(f -> assertThat(f.timestampMs()).isBetween(clip.startMs(), clip.endMs() - 1));
      assertThat(peak(clip, 200, 3_800)).as("clip %d: the tone", clip.index()).isGreaterThan(3_000);
    }
  }

  /**
   * Raw GSM 06.10 at 8 kHz (Asterisk records calls in it). JavaCV handed the output's 16 kHz to the
   * demuxer as the file's rate, so 8 s were read as 4: half the samples, at twice the speed.
   */
  @Test
  void rawGsmAudioIsReadAtItsOwnRate() {
    List<DemuxedClip> clips = demux("tone-8khz.gsm");

    assertThat(clips).extracting(DemuxedClip::startMs).containsExactly(0L, 4_000L);
    for (DemuxedClip clip : clips) {
      // the resampler keeps its last 2 ms
      assertThat(clip.pcm16le().length)
          .as("clip %d: 4 s at 16 kHz", clip.index())
          .isBetween(4 * 16_000 * 2 - 128, 4 * 16_000 * 2);
      assertThat(peak(clip, 200, 3_800)).as("clip %d: the tone", clip.index()).isGreaterThan(3_000);
    }
  }

  private List<DemuxedClip> demux(String name) {
    List<DemuxedClip> clips = new ArrayList<>();
    demuxer.demux(DIR.resolve(name), clips::add);
    return clips;
  }

  /** The largest sample magnitude in {@code [fromMs, toMs)} of the clip's audio. */
  private static int peak(DemuxedClip clip, long fromMs, long toMs) {
    ShortBuffer pcm =
        ByteBuffer.wrap(clip.pcm16le()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    int from = (int) (fromMs * 16);
    int to = (int) Math.min(pcm.limit(), toMs * 16);
    int peak = 0;
    for (int i = from; i < to; i++) {
      peak = Math.max(peak, Math.abs(pcm.get(i)));
    }
    return peak;
  }
}
