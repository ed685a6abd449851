package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.emostream.kafka.Env;
import io.emostream.testkit.TestMedia;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoDemuxerTest {

  static final Path SAMPLE = Path.of("../samples/happy-speech.mp4");
  static final Path RAVDESS_NEUTRAL =
      Path.of("../../shared/data/av-clips/01-01-01-01-01-01-01.mp4");

  @TempDir Path dir;

  private static IngestConfig config(double segmentSeconds) {
    return IngestConfig.fromEnv(
        new Env(
            Map.of(
                "EMOSTREAM_SEGMENT_SECONDS",
                Double.toString(segmentSeconds),
                "EMOSTREAM_FRAMES_PER_SEGMENT",
                "32")));
  }

  private static List<DemuxedClip> demux(Path file, double segmentSeconds) {
    List<DemuxedClip> clips = new ArrayList<>();
    new VideoDemuxer(config(segmentSeconds)).demux(file, clips::add);
    return clips;
  }

  @Test
  void cutsTheSampleVideoIntoClipsOfAudioAndEvenlySpacedFrames() throws Exception {
    List<DemuxedClip> clips = demux(SAMPLE, 2.0);

    // 4.52 s with 2 s windows: [0, 2000) and [2000, 4520) (the 0.52 s tail joins the second clip).
    assertThat(clips).extracting(DemuxedClip::index).containsExactly(0, 1);
    assertThat(clips.get(0).startMs()).isZero();
    assertThat(clips.get(0).endMs()).isEqualTo(2_000);
    assertThat(clips.get(1).endMs()).isBetween(4_480L, 4_560L);
    // 16 kHz mono s16: 2 s = 32 000 samples = 64 000 bytes (allow one codec frame of slack).
    assertThat(clips.get(0).pcm16le().length).isBetween(64_000 - 4_096, 64_000);
    assertThat(clips.get(1).pcm16le().length / 2).isBetween(38_000, 40_500);
    for (DemuxedClip clip : clips) {
      assertThat(clip.hasAudio()).isTrue();
      assertThat(clip.hasVideo()).isTrue();
      assertThat(clip.frames()).hasSizeBetween(30, 32);
      assertThat(clip.frames())
          .allSatisfy(
              f -> {
                assertThat(f.timestampMs()).isBetween(clip.startMs(), clip.endMs());
                assertThat(f.width()).isEqualTo(320);
              });
    }
    BufferedImage first =
        ImageIO.read(new ByteArrayInputStream(clips.get(0).frames().get(0).jpeg()));
    assertThat(first.getWidth()).isEqualTo(320);
    assertThat(first.getHeight()).isEqualTo(240);
  }

  @Test
  void downscalesLargeFramesAndResamplesStereo48kAudio() {
    assumeTrue(
        Files.exists(RAVDESS_NEUTRAL),
        "../shared/data/av-clips is absent: skipping the RAVDESS clip check");
    List<DemuxedClip> clips = demux(RAVDESS_NEUTRAL, 4.0);

    assertThat(clips).hasSize(1);
    DemuxedClip clip = clips.get(0);
    assertThat(clip.frames()).hasSizeBetween(30, 32);
    assertThat(clip.frames().get(0).width()).isEqualTo(640);
    assertThat(clip.frames().get(0).height()).isEqualTo(360);
    long expectedSamples = clip.endMs() * 16;
    assertThat((long) clip.pcm16le().length / 2)
        .isBetween(expectedSamples - 2_048, expectedSamples + 2_048);
  }

  @Test
  void anEmptyFileIsRejectedWithAClearMessage() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.mp4"));
    assertThatThrownBy(() -> demux(empty, 4.0))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("is empty");
  }

  @Test
  void randomBytesAreRejectedAsNotMedia() throws Exception {
    byte[] junk = new byte[10_000];
    new Random(7).nextBytes(junk);
    Path file = Files.write(dir.resolve("junk.mp4"), junk);
    assertThatThrownBy(() -> demux(file, 4.0))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("not a media file FFmpeg can read");
  }

  @Test
  void anAudioOnlyFileGivesAudioOnlyClips() throws Exception {
    Path wav = dir.resolve("tone.wav");
    TestMedia.writeToneWav(wav, 44_100, 1.5);
    List<DemuxedClip> clips = demux(wav, 4.0);
    assertThat(clips).hasSize(1);
    assertThat(clips.get(0).hasAudio()).isTrue();
    assertThat(clips.get(0).hasVideo()).isFalse();
    assertThat(clips.get(0).pcm16le().length / 2).isBetween(24_000 - 1_024, 24_000 + 1_024);
  }

  // A stereo call: 440 Hz loud on the left (agent), 1500 Hz quiet on the right (customer).
  private Path stereoCall() throws Exception {
    return TestMedia.writeStereoToneWav(
        dir.resolve("call.wav"), 44_100, 2.5, 440, 12_000, 1_500, 3_000);
  }

  private static List<DemuxedClip> demux(Path file, ChannelSelection channels) {
    List<DemuxedClip> clips = new ArrayList<>();
    new VideoDemuxer(config(1.0)).demux(file, channels, clips::add);
    return clips;
  }

  private static double rms(byte[] pcm) {
    ShortBuffer s = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    double sum = 0;
    int n = s.remaining();
    for (int i = 0; i < n; i++) {
      sum += (double) s.get(i) * s.get(i);
    }
    return Math.sqrt(sum / n);
  }

  /** Sign changes per second at 16 kHz: twice the frequency of a pure tone. */
  private static double crossingsPerSecond(byte[] pcm) {
    ShortBuffer s = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    int crossings = 0;
    for (int i = 1; i < s.remaining(); i++) {
      if ((s.get(i - 1) < 0) != (s.get(i) < 0)) {
        crossings++;
      }
    }
    return crossings * (double) VideoDemuxer.SAMPLE_RATE / s.remaining();
  }

  /**
   * A channel is not picked from more than two: 5.1's left and right are front speakers, and the
   * voice in its centre was left out without a word. Its mix is analysed as before.
   */
  @Test
  void aChannelIsNotPickedFromMoreThanTwo() throws Exception {
    double[][] sixTones = new double[6][];
    for (int c = 0; c < 6; c++) {
      sixTones[c] = new double[] {300 + 100 * c, 3_000};
    }
    Path surround = TestMedia.writeWav(dir.resolve("5.1.wav"), 44_100, 1.5, sixTones);

    for (String mode : new String[] {"left", "right", "both"}) {
      assertThatThrownBy(() -> demux(surround, ChannelSelection.parse(mode, null)))
          .isInstanceOf(IngestException.class)
          .hasMessageContaining("channel " + mode + " takes the sides of a stereo call")
          .hasMessageContaining("the source has 6 audio channels");
    }
    assertThatThrownBy(
            () -> demux(surround, ChannelSelection.parse(null, "left:agent,right:customer")))
        .hasMessageContaining("channel right takes the sides");
    assertThat(demux(surround, ChannelSelection.MIXED))
        .singleElement()
        .matches(DemuxedClip::hasAudio);
  }

  @Test
  void withRolesOnlyTheCustomersChannelIsAnalysedByDefault() throws Exception {
    List<DemuxedClip> clips =
        demux(stereoCall(), ChannelSelection.parse(null, "left:agent,right:customer"));

    assertThat(clips).extracting(DemuxedClip::index).containsExactly(0, 1);
    assertThat(clips).extracting(DemuxedClip::speakerRole).containsOnly("customer");
    for (DemuxedClip clip : clips) {
      assertThat(rms(clip.pcm16le()))
          .isBetween(3_000 / Math.sqrt(2) * 0.9, 3_000 / Math.sqrt(2) * 1.1);
      assertThat(crossingsPerSecond(clip.pcm16le())).isBetween(2_900.0, 3_100.0);
    }
    assertThat(clips.get(0).pcm16le().length / 2).isBetween(16_000 - 1_024, 16_000);
  }

  @Test
  void theLeftChannelAloneWhenAskedFor() throws Exception {
    List<DemuxedClip> clips =
        demux(stereoCall(), ChannelSelection.parse("left", "left:agent,right:customer"));

    assertThat(clips).extracting(DemuxedClip::speakerRole).containsOnly("agent");
    assertThat(rms(clips.get(0).pcm16le()))
        .isBetween(12_000 / Math.sqrt(2) * 0.9, 12_000 / Math.sqrt(2) * 1.1);
    assertThat(crossingsPerSecond(clips.get(0).pcm16le())).isBetween(850.0, 910.0);
  }

  @Test
  void bothChannelsBecomeOneClipEachPerSegmentLabelledByRole() throws Exception {
    List<DemuxedClip> clips =
        demux(stereoCall(), ChannelSelection.parse("both", "left:agent,right:customer"));

    assertThat(clips).extracting(DemuxedClip::index).containsExactly(0, 0, 1, 1);
    assertThat(clips)
        .extracting(DemuxedClip::speakerRole)
        .containsExactly("agent", "customer", "agent", "customer");
    assertThat(crossingsPerSecond(clips.get(2).pcm16le())).isBetween(850.0, 910.0);
    assertThat(crossingsPerSecond(clips.get(3).pcm16le())).isBetween(2_900.0, 3_100.0);
    assertThat(clips.get(2).pcm16le().length).isEqualTo(clips.get(3).pcm16le().length);
  }

  @Test
  void withoutASelectionFfmpegMixesBothChannelsAndNoRoleIsSet() throws Exception {
    List<DemuxedClip> clips = demux(stereoCall(), ChannelSelection.MIXED);

    assertThat(clips).extracting(DemuxedClip::speakerRole).containsOnlyNulls();
    double rms = rms(clips.get(0).pcm16le());
    assertThat(rms)
        .isGreaterThan(3_000 / Math.sqrt(2) * 1.1)
        .isLessThan(12_000 / Math.sqrt(2) * 0.9);
  }

  @Test
  void aMonoSourceHasNoChannelToChooseAndGetsNoRole() throws Exception {
    Path wav = TestMedia.writeToneWav(dir.resolve("mono.wav"), 44_100, 1.5);
    List<DemuxedClip> clips =
        demux(wav, ChannelSelection.parse("right", "left:agent,right:customer"));

    assertThat(clips).hasSize(1);
    assertThat(clips.get(0).speakerRole()).isNull();
    assertThat(crossingsPerSecond(clips.get(0).pcm16le())).isBetween(850.0, 910.0);
  }

  /**
   * The probe reads the header only: the source's own channel count, whether there are pictures,
   * the duration.
   */
  @Test
  void theProbeTellsChannelsPicturesAndDurationWithoutDecoding() throws Exception {
    VideoDemuxer demuxer = new VideoDemuxer(config(4.0));

    VideoDemuxer.Probe sample = demuxer.probe(SAMPLE, null);
    assertThat(sample.audioChannels()).isEqualTo(1);
    assertThat(sample.hasVideo()).isTrue();
    assertThat(sample.durationMs()).isBetween(4_480L, 4_560L);

    VideoDemuxer.Probe call = demuxer.probe(stereoCall(), null);
    assertThat(call.audioChannels()).isEqualTo(2);
    assertThat(call.hasVideo()).isFalse();
    assertThat(call.durationMs()).isBetween(2_450L, 2_550L);
  }

  @Test
  void theProbeRefusesWhatDemuxRefusesWithTheSameMessage() throws Exception {
    VideoDemuxer demuxer = new VideoDemuxer(config(4.0));
    Path empty = Files.createFile(dir.resolve("empty.mp4"));
    byte[] junk = new byte[10_000];
    new Random(7).nextBytes(junk);
    Path file = Files.write(dir.resolve("junk.mp4"), junk);

    assertThatThrownBy(() -> demuxer.probe(empty, null))
        .isInstanceOf(IngestException.class)
        .hasMessage("'empty.mp4' is empty");
    assertThatThrownBy(() -> demuxer.probe(file, null))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("'junk.mp4' is not a media file FFmpeg can read");
    assertThatThrownBy(() -> demuxer.probe(SAMPLE, 1))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("has 1 audio stream(s); audio stream 1");
  }
}
