package io.emostream.ingest;

import ai.onnxruntime.OrtException;
import io.emostream.inference.DcBlocker;
import io.emostream.inference.SpeechDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * The clips of one source under EMOSTREAM_SEGMENTATION=vad, as they are decided: the 16 kHz audio
 * goes through Silero VAD as it is demuxed (one {@link SpeechDetector.Stream} for the whole source,
 * its state carried from frame to frame) and {@link SpeechCuts} turns the frame probabilities into
 * clip ends. Clip {@code i} starts at the {@code i}-th cut (0 for the first); the last clip is
 * open: its end is not known until the next cut or the end of the source. With several tracks (both
 * channels of a call) the VAD hears their mix, so a cut falls where neither speaker talks and every
 * track is cut at the same times.
 */
final class SpeechSegments {

  private final SpeechDetector.Stream vad;
  private final SpeechCuts cuts;
  private final List<Long> startsMs = new ArrayList<>(List.of(0L));
  private final long maxMs;
  private final DcBlocker dc = new DcBlocker(SpeechDetector.SAMPLE_RATE);

  SpeechSegments(SpeechDetector.Stream vad, SpeechCuts cuts, long maxMs) {
    this.vad = vad;
    this.cuts = cuts;
    this.maxMs = maxMs;
  }

  /**
   * Takes the next samples of every track (16 kHz, equally long); returns the times (ms) of the
   * cuts they decided, in order.
   */
  List<Long> accept(short[][] tracks) {
    int n = tracks[0].length;
    float[] mix = new float[n];
    for (short[] track : tracks) {
      for (int i = 0; i < n; i++) {
        mix[i] += track[i] / (32768f * tracks.length);
      }
    }
    dc.filter(mix, 0, n); // as the audio worker does: a DC offset or its drift moved the cuts
    float[] probabilities;
    try {
      probabilities = vad.accept(mix, 0, n);
    } catch (OrtException e) {
      throw new IngestException("voice activity detection failed: " + e.getMessage(), e);
    }
    List<Long> decided = new ArrayList<>();
    for (float p : probabilities) {
      long cut = cuts.next(p);
      if (cut >= 0) {
        long ms = cut / SpeechCuts.SAMPLES_PER_MS;
        startsMs.add(ms);
        decided.add(ms);
      }
    }
    return decided;
  }

  /**
   * The time (ms) at which the open clip ends because video has gone on without audio for longer
   * than the maximum length (an audio track shorter than the video: the VAD hears nothing, yet a
   * clip must not grow without bound), or -1. A returned cut is taken.
   */
  long cutWithoutAudio(long videoMs, long audioMs) {
    long start = startsMs.get(startsMs.size() - 1);
    if (videoMs - audioMs <= maxMs || videoMs - start <= maxMs) {
      return -1;
    }
    long cut = start + maxMs;
    cuts.cutAt(cut * SpeechCuts.SAMPLES_PER_MS);
    startsMs.add(cut);
    return cut;
  }

  /** The clip a time falls in: the open one for a time past the last cut. */
  int indexOf(long timeMs) {
    int i = startsMs.size() - 1;
    while (i > 0 && startsMs.get(i) > timeMs) {
      i--;
    }
    return i;
  }

  long start(int index) {
    return startsMs.get(index);
  }

  /** The clip's end, or {@link Long#MAX_VALUE} for the open clip. */
  long end(int index) {
    return index + 1 < startsMs.size() ? startsMs.get(index + 1) : Long.MAX_VALUE;
  }
}
