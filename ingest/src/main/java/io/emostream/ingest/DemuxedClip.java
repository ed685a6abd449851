package io.emostream.ingest;

import io.emostream.schemas.Modality;
import java.util.ArrayList;
import java.util.List;

/**
 * One clip cut from a source, ready to publish: 16 kHz mono PCM (s16le, empty when the source has
 * no audio) and the sampled JPEG frames (empty when it has no video). {@code speakerRole} names
 * whose channel of a stereo call the audio is (null for a mixed or mono source); see {@link
 * ChannelSelection}.
 */
public record DemuxedClip(
    int index,
    long startMs,
    long endMs,
    byte[] pcm16le,
    List<SampledFrame> frames,
    boolean sourceHasAudio,
    boolean sourceHasVideo,
    String speakerRole) {

  public record SampledFrame(long timestampMs, int width, int height, byte[] jpeg) {}

  public boolean hasAudio() {
    return sourceHasAudio && pcm16le.length > 0;
  }

  public boolean hasVideo() {
    return sourceHasVideo && !frames.isEmpty();
  }

  /**
   * The modalities a prediction is expected for (the manifest's list): video when the clip has
   * frames; audio when it has samples, and also when it has frames but no samples (a video without
   * an audio track, or past the end of its track): ingest then sends an empty audio segment, which
   * the audio worker answers NO_AUDIO, so the fused record says why the audio is missing instead of
   * leaving it out as if its worker had been silent. A clip with neither has none.
   */
  public List<Modality> modalities() {
    List<Modality> modalities = new ArrayList<>(2);
    if (hasAudio() || hasVideo()) {
      modalities.add(Modality.AUDIO);
    }
    if (hasVideo()) {
      modalities.add(Modality.VIDEO);
    }
    return modalities;
  }
}
