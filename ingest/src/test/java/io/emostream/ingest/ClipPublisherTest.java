package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicsEnv;
import io.emostream.schemas.AudioSegment;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.topics.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The records of one clip, built without a broker: the per-clip rule override lands in the
 * manifest.
 */
class ClipPublisherTest {

  private final Topics topics = TopicsEnv.fromEnv(new Env(Map.of()));

  private static final DemuxedClip CLIP =
      new DemuxedClip(
          3,
          12_000,
          16_000,
          new byte[] {1, 0, 2, 0},
          List.of(
              new DemuxedClip.SampledFrame(12_000, 2, 2, new byte[] {(byte) 0xFF, (byte) 0xD8})),
          true,
          true,
          null);

  private ClipManifest manifest(FusionRule rule) {
    List<ProducerRecord<String, byte[]>> records =
        ClipPublisher.records(
            topics, "src-00003", "src", "call.mp4", CLIP, rule, Instant.ofEpochMilli(1_000));
    // manifest, audio, frames: all keyed by the clip id
    assertThat(records)
        .extracting(ProducerRecord::topic)
        .containsExactly(topics.manifests().name(), topics.audio().name(), topics.frames().name());
    assertThat(records).extracting(ProducerRecord::key).containsOnly("src-00003");
    return topics
        .manifests()
        .valueSerde()
        .deserializer()
        .deserialize(topics.manifests().name(), records.get(0).value());
  }

  @Test
  void theRuleAskedForAtUploadIsTheManifestsRule() {
    ClipManifest m = manifest(FusionRule.RULE_BASED);
    assertThat(m.getFusionRule()).isEqualTo(FusionRule.RULE_BASED);
    assertThat(m.getClipId()).isEqualTo("src-00003");
    assertThat(m.getSegmentIndex()).isEqualTo(3);
    assertThat(m.getModalities()).containsExactly(Modality.AUDIO, Modality.VIDEO);
  }

  /**
   * A clip with frames but no audio (a video without an audio track, or past its end) still expects
   * an audio prediction: an empty audio segment goes out, which the audio worker answers NO_AUDIO,
   * so the fused record says why there is no audio instead of leaving it out (a hostile-user pass).
   * A clip with audio only expects no video.
   */
  @Test
  void aClipWithFramesButNoAudioSendsAnEmptyAudioSegment() {
    DemuxedClip videoOnly =
        new DemuxedClip(0, 0, 4_000, new byte[0], CLIP.frames(), false, true, null);
    List<ProducerRecord<String, byte[]>> records =
        ClipPublisher.records(topics, "v-0", "v", "v.mp4", videoOnly, null, Instant.EPOCH);

    assertThat(records)
        .extracting(ProducerRecord::topic)
        .containsExactly(topics.manifests().name(), topics.audio().name(), topics.frames().name());
    ClipManifest manifest =
        topics.manifests().valueSerde().deserializer().deserialize("t", records.get(0).value());
    assertThat(manifest.getModalities()).containsExactly(Modality.AUDIO, Modality.VIDEO);
    AudioSegment audio =
        topics.audio().valueSerde().deserializer().deserialize("t", records.get(1).value());
    assertThat(audio.getPcm().remaining()).isZero();

    DemuxedClip audioOnly =
        new DemuxedClip(0, 0, 4_000, CLIP.pcm16le(), List.of(), true, false, null);
    assertThat(audioOnly.modalities()).containsExactly(Modality.AUDIO);
    assertThat(ClipPublisher.records(topics, "a-0", "a", "a.wav", audioOnly, null, Instant.EPOCH))
        .extracting(ProducerRecord::topic)
        .containsExactly(topics.manifests().name(), topics.audio().name());
  }

  @Test
  void noRuleLeavesTheManifestsRuleEmptyForFusionsDefault() {
    assertThat(manifest(null).getFusionRule()).isNull();
  }
}
