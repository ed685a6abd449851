package io.emostream.ingest;

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
}
