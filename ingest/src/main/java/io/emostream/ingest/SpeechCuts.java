package io.emostream.ingest;

import io.emostream.inference.SpeechDetector;

/**
 * Where EMOSTREAM_SEGMENTATION=vad ends clips, decided from the speech probabilities of the VAD's
 * 32 ms frames ({@link SpeechDetector#FRAME} samples of 16 kHz audio) as they arrive. Pure, so the
 * rules are tested on made-up probabilities:
 *
 * <ul>
 *   <li>A frame is voiced when its probability is {@code >= threshold}; a pause is {@code pauseMs}
 *       of consecutive unvoiced frames (rounded up to whole frames).
 *   <li>A clip that holds speech ends at the first pause after that speech once it is {@code >=
 *       minMs}: at the pause's first {@code pauseMs} midpoint, so the decision needs {@code pauseMs
 *       / 2} of look-ahead. In a longer pause the midpoint moves on with it, so a pause that spans
 *       the minimum ends the clip at the minimum.
 *   <li>A clip that holds no speech (silence, noise, a tone) ends, once it is {@code >= minMs},
 *       where speech starts again: a whole pause before its first voiced frame, since Silero hears
 *       an onset some 100-200 ms late; so an utterance after a silence starts a clip of its own.
 *   <li>A clip that reaches {@code maxMs} without a cut ends there (decided {@code pauseMs / 2}
 *       later, once no pause can end it earlier).
 *   <li>With a known duration, no cut leaves less than {@code tailMs}
 *       (EMOSTREAM_MIN_SEGMENT_SECONDS) after it: the last clip runs to the end instead, as the
 *       fixed plan's last clip does.
 * </ul>
 */
final class SpeechCuts {

  static final int FRAME = SpeechDetector.FRAME;
  static final int SAMPLES_PER_MS = SpeechDetector.SAMPLE_RATE / 1000;

  private final double threshold;
  private final long minSamples;
  private final long maxSamples;
  private final int pauseFrames;
  private final long halfPause;
  private final long tailSamples;
  private final long durationSamples;
  private long frames;
  private long start;
  private int unvoiced;
  private long lastVoicedEnd = -1;

  /**
   * @param durationMs the source's duration, or {@code <= 0} when unknown (a stream)
   * @param tailMs with a known duration, the least a cut may leave after it
   */
  SpeechCuts(Segmentation segmentation, long durationMs, long tailMs) {
    this.threshold = segmentation.threshold();
    this.minSamples = segmentation.minMs() * SAMPLES_PER_MS;
    this.maxSamples = segmentation.maxMs() * SAMPLES_PER_MS;
    this.pauseFrames =
        (int) Math.max(1, (segmentation.pauseMs() * SAMPLES_PER_MS + FRAME - 1) / FRAME);
    this.halfPause = (long) pauseFrames * FRAME / 2;
    this.tailSamples = tailMs * SAMPLES_PER_MS;
    this.durationSamples = durationMs > 0 ? durationMs * SAMPLES_PER_MS : -1;
  }

  /**
   * Takes the next frame's speech probability; returns the sample at which the open clip ends (a
   * new one starts), or -1 for no cut. Cuts come in order and each lies before the end of the
   * frames seen.
   */
  long next(float probability) {
    long frameStart = frames * FRAME;
    long frameEnd = frameStart + FRAME;
    frames++;
    long cut = -1;
    if (probability >= threshold) {
      if (lastVoicedEnd <= start && unvoiced >= pauseFrames) {
        cut = allowed(frameStart - 2 * halfPause);
      }
      unvoiced = 0;
      lastVoicedEnd = frameEnd;
    } else {
      unvoiced++;
      if (unvoiced >= pauseFrames && lastVoicedEnd > start) {
        cut = allowed(frameEnd - halfPause);
      }
    }
    if (cut < 0 && frameEnd - start >= maxSamples + halfPause) {
      cut = allowed(start + maxSamples);
    }
    if (cut >= 0) {
      start = cut;
    }
    return cut;
  }

  /** {@code at} when the open clip may end there, else -1. */
  private long allowed(long at) {
    long length = at - start;
    if (length < minSamples || length > maxSamples) {
      return -1;
    }
    if (durationSamples > 0 && durationSamples - at < tailSamples) {
      return -1;
    }
    return at;
  }

  /**
   * Ends the open clip at {@code sample}, which may lie past the audio heard so far (the video of a
   * source whose audio has stopped).
   */
  void cutAt(long sample) {
    start = sample;
  }

  /** The first sample of the open clip. */
  long start() {
    return start;
  }
}
