package io.emostream.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * State of one demux pass: the clips being filled and how far each stream has got, and each clip
 * handed on once both streams have passed its end. Over 300 lines: one state machine over FFmpeg's
 * frames (audio split per track, frame sampling, live reconnects' rebased time).
 */
final class DemuxRun {
  private final IngestConfig config;
  private final SegmentPlan plan;

  /** Video pictures and audio buffers decoded, kept or not. */
  private int framesDecoded;

  // EMOSTREAM_SEGMENTATION=vad: the cuts found so far (null: the plan's fixed windows), and the
  // next
  // frame time on the sampling grid shared by all clips.
  private final SpeechSegments speech;
  private double nextFrameMs;
  private final boolean hasAudio;
  private boolean hasVideo; // a live source's video may appear at a reconnect
  private final List<ChannelSelection.Track> tracks;
  private final FrameEncoder encoder;
  private final Consumer<DemuxedClip> sink;
  private final FrameRotation rotation;
  private final TreeMap<Integer, ClipBuffer> open = new TreeMap<>();
  private int nextToEmit;
  private long audioSamples;
  private long videoMs;
  private int emitted;
  // Live sources only (-1 for a file): the current connection's first timestamp (microseconds, of
  // either stream), and the media time (ms) it starts at.
  private long connectionBase = -1;
  private long connectionOffset = -1;
  // A file only: the container's start time (microseconds; its first frame's when it declares
  // none), media time 0 of both streams.
  private long fileStartUs = Long.MIN_VALUE;
  private long lastFrameNanos;
  private long framesGrabbed; // over every connection of a live source
  // A file that ends well short of its declared duration: where its media ended (else no bound).
  private long mediaEndMs = Long.MAX_VALUE;

  DemuxRun(
      IngestConfig config,
      SegmentPlan plan,
      boolean hasAudio,
      boolean hasVideo,
      List<ChannelSelection.Track> tracks,
      FrameEncoder encoder,
      Consumer<DemuxedClip> sink,
      FrameRotation rotation,
      SpeechSegments speech) {
    this.config = config;
    this.plan = plan;
    this.speech = speech;
    this.nextFrameMs = frameSpacingMs() / 2;
    this.hasAudio = hasAudio;
    this.hasVideo = hasVideo;
    this.tracks = tracks;
    this.encoder = encoder;
    this.sink = sink;
    this.rotation = rotation;
  }

  int drain(FFmpegFrameGrabber grabber, DemuxSource source) throws FrameGrabber.Exception {
    long declared =
        grabber.getFormatContext() == null
            ? AV_NOPTS_VALUE
            : grabber.getFormatContext().start_time();
    fileStartUs = declared == AV_NOPTS_VALUE ? Long.MIN_VALUE : declared;
    Frame frame;
    while ((frame = grab(grabber, source)) != null) {
      onFrame(frame, "'" + source.label() + "'");
    }
    IngestException cut = source.cutOff(emitted);
    if (cut != null) {
      throw cut; // the clips still open were cut short
    }
    if (plan.durationKnown() && plan.durationMs() - mediaMs() > TRUNCATION_SLACK_MS) {
      // the media ends well before its declared duration: the last clips end where it does, not
      // where the plan meant them to
      mediaEndMs = mediaMs();
    }
    for (ClipBuffer clip : open.values()) {
      if (!clip.isEmpty()) {
        emit(clip);
      }
    }
    if (emitted == 0 && framesDecoded > 0) {
      throw new IngestException(
          String.format(
              Locale.ROOT,
              "'%s' holds only %d decoded frame(s), %.2f s of media: too short to sample a frame or"
                  + " a segment from (a single picture is not a video)",
              source.label(),
              framesDecoded,
              mediaMs() / 1000.0));
    }
    if (emitted == 0) {
      String format = grabber.getFormat();
      throw new IngestException(
          "no decodable audio or video frames were found"
              + (source.sequential() && format != null && format.contains("mp4")
                  ? ": an MP4 whose index (moov) is at its end cannot be read as it arrives;"
                      + " remux it with 'ffmpeg -i IN -c copy -movflags +faststart OUT.mp4' (or to"
                      + " fragmented MP4 or Matroska), or give the file's path"
                  : ""));
    }
    long declaredMs =
        Math.max(plan.durationKnown() ? plan.durationMs() : -1, source.headerDurationMs());
    IngestException shortfall =
        shortOfDeclaredDuration(declaredMs, mediaMs(), emitted, source.label());
    if (shortfall != null) {
      throw shortfall; // its clips stay published: a PartlyIngestedException names them
    }
    return emitted;
  }

  /**
   * Not null when the media decoded ends well before the duration the container declares (more than
   * {@link #TRUNCATION_SLACK_MS} and a tenth of it short): a file cut off mid-way (a half-copied
   * upload, a recording whose writer died) reads like a shorter file, since FFmpeg ends at the
   * missing data with no more than a log line. {@code declared} is -1 when unknown.
   */
  static IngestException shortOfDeclaredDuration(
      long declared, long decodedMs, int published, String label) {
    if (declared < 0) {
      return null;
    }
    if (declared - decodedMs <= Math.max(TRUNCATION_SLACK_MS, declared / 10)) {
      return null;
    }
    return new IngestException(
        String.format(
            Locale.ROOT,
            "'%s' ends at %.1f s of the %.1f s its container declares: the file is truncated or damaged"
                + " (%d clip(s) before it were published)",
            label,
            decodedMs / 1000.0,
            declared / 1000.0,
            published));
  }

  /**
   * How far a file's audio timestamps may run ahead of the samples decoded before the gap is filled
   * with silence (100 ms: a resampler's delay and a container's rounding stay well under it).
   */
  static final long AUDIO_GAP_SAMPLES = VideoDemuxer.SAMPLE_RATE / 10;

  /** How far short of its declared duration a file may end without being called truncated. */
  static final long TRUNCATION_SLACK_MS = 2_000;

  /**
   * A live stream this far behind the other has stopped (a camera turned off, a track that sends
   * nothing while muted, timestamps that stopped advancing): the clips it has not reached are
   * published without the rest of it once the other stream is this far past their end. They were
   * held until the source ended, buffered in memory the while (found by helper-49). Live
   * interleaving keeps the streams within about a second; a file's may be anything, so a file waits
   * for both streams.
   */
  static final long LIVE_STREAM_LAG_MS = 5_000;

  /**
   * Decodes one connection of a live source until it ends or is lost (null) or {@code control} asks
   * to stop (its reason). Timestamps are rebased: each connection's first one (of either stream) is
   * the media time reached so far, so segments follow media time across reconnects; within a
   * connection audio keeps its place by its timestamps as a file's does (a track that starts late,
   * a gap: silence).
   */
  String drainLive(FFmpegFrameGrabber grabber, LiveControl control, String what)
      throws FrameGrabber.Exception {
    connectionBase = -1;
    connectionOffset = mediaMs();
    lastFrameNanos = System.nanoTime();
    Frame frame;
    while ((frame = grab(grabber, null)) != null) {
      lastFrameNanos = System.nanoTime();
      framesGrabbed++;
      onFrame(frame, what);
      String reason = control.stopReason();
      if (reason != null) {
        return reason;
      }
    }
    return control.stopReason();
  }

  /**
   * Publishes what is left of a live source when it ends: the open clips at least {@code
   * minSegmentMs} long (EMOSTREAM_MIN_SEGMENT_SECONDS).
   */
  void finishLive() {
    for (ClipBuffer clip : open.values()) {
      if (!clip.isEmpty() && mediaMs() - start(clip.index) >= config.minSegmentMs()) {
        emit(clip);
      }
    }
    open.clear();
  }

  long mediaMs() {
    return Math.max(videoMs, audioSamples * 1000 / VideoDemuxer.SAMPLE_RATE);
  }

  boolean hasVideo() {
    return hasVideo;
  }

  /**
   * A live source that had no video (its first connection was audio-only) has video since a
   * reconnect: frames are kept from now on, in the clips still open and those after. It was ignored
   * for the rest of the call (found by helper-49).
   */
  void videoAppeared() {
    hasVideo = true;
    videoMs = Math.max(videoMs, mediaMs()); // no clip before now waits for frames
  }

  /** When the current connection last gave a frame ({@link System#nanoTime}). */
  long lastFrameNanos() {
    return lastFrameNanos;
  }

  /** Frames a live source's connections have given so far. */
  long framesGrabbed() {
    return framesGrabbed;
  }

  int emitted() {
    return emitted;
  }

  private void onFrame(Frame frame, String what) {
    if (hasVideo && frame.image != null) {
      framesDecoded++;
      onImage(frame, mediaTimeUs(frame.timestamp) / 1000);
    } else if (hasAudio && frame.samples != null) {
      framesDecoded++;
      fillAudioTo(mediaTimeUs(frame.timestamp) * VideoDemuxer.SAMPLE_RATE / 1_000_000, what);
      onSamples((ShortBuffer) frame.samples[0], Math.max(1, frame.audioChannels));
    }
    emitCompleted();
    checkDuration(what);
  }

  private void checkDuration(String what) {
    if (mediaMs() > config.maxDurationMs()) {
      // Only reachable when the container gave no duration (else checkLimits refused it before
      // decoding): a live source, or a file without a duration in its header.
      throw new IngestException(
          what
              + " is longer than the limit of "
              + config.maxDurationMs() / 1000
              + " s (EMOSTREAM_MAX_DURATION_SECONDS); decoding stopped there ("
              + emitted
              + " clip(s) before it were published)");
    }
  }

  /**
   * A file's timestamp (microseconds) on its media timeline: from the container's start time, so
   * that both streams share one clock whatever the container's origin (an MPEG-TS file starts at
   * 1.4 s or an hour in, a Matroska file may start below 0).
   */
  private long fileTimeUs(long timestampUs) {
    if (fileStartUs == Long.MIN_VALUE) {
      fileStartUs = timestampUs;
    }
    return Math.max(0, timestampUs - fileStartUs);
  }

  /**
   * Silence up to sample {@code sample} of the media timeline when the audio's timestamps are
   * further on than the samples decoded so far by more than {@link #AUDIO_GAP_SAMPLES}: a track
   * that starts after the video, or a gap in it (a hold, silence suppression, lost packets), keeps
   * its place in time instead of sliding everything after it earlier.
   */
  private void fillAudioTo(long sample, String what) {
    long missing = sample - audioSamples;
    if (missing <= AUDIO_GAP_SAMPLES) {
      return;
    }
    short[] zeros = new short[(int) Math.min(missing, VideoDemuxer.SAMPLE_RATE)];
    while (audioSamples < sample) {
      int n = (int) Math.min(zeros.length, sample - audioSamples);
      onSamples(ShortBuffer.wrap(zeros, 0, n), 1);
      emitCompleted();
      checkDuration(what);
    }
  }

  /**
   * A frame's place on the media timeline (microseconds): a file's from its start ({@link
   * #fileTimeUs}), a live connection's rebased ({@link #drainLive}).
   */
  private long mediaTimeUs(long timestampUs) {
    if (connectionOffset < 0) {
      return fileTimeUs(timestampUs);
    }
    if (connectionBase < 0) {
      connectionBase = timestampUs;
    }
    return connectionOffset * 1000 + Math.max(0, timestampUs - connectionBase);
  }

  /**
   * JavaCV can throw unchecked exceptions on damaged streams (seen in VideoDemuxerFuzzTest: a
   * NullPointerException in FFmpegFrameGrabber.processSamples on a corrupted AAC frame); they are
   * the input's fault, so an IngestException that says how many clips were already published before
   * the damage. {@code source} is null for a live URL (nothing of its own to cut it off).
   */
  private Frame grab(FFmpegFrameGrabber grabber, DemuxSource source) throws FrameGrabber.Exception {
    try {
      return grabber.grab();
    } catch (FrameGrabber.Exception e) {
      IngestException cut = source == null ? null : source.cutOff(emitted);
      if (cut != null) {
        throw cut;
      }
      throw e;
    } catch (RuntimeException e) {
      IngestException cut = source == null ? null : source.cutOff(emitted);
      if (cut != null) {
        throw cut;
      }
      throw new IngestException(
          "the media is damaged after "
              + Math.max(videoMs, audioSamples * 1000 / VideoDemuxer.SAMPLE_RATE)
              + " ms and could not be decoded further ("
              + emitted
              + " clip(s) before it were published)",
          e);
    }
  }

  private ClipBuffer buffer(int index) {
    return open.computeIfAbsent(index, i -> new ClipBuffer(plan, i, tracks.size()));
  }

  private void onImage(Frame frame, long timestampMs) {
    videoMs = Math.max(videoMs, timestampMs);
    int index = indexOf(timestampMs);
    if (index < nextToEmit) {
      return; // a straggler of a clip already published
    }
    if (speech != null) {
      long cut;
      while ((cut =
              speech.cutWithoutAudio(timestampMs, audioSamples * 1000 / VideoDemuxer.SAMPLE_RATE))
          >= 0) {
        split(cut);
      }
      onGrid(buffer(indexOf(timestampMs)), frame, timestampMs);
      return;
    }
    ClipBuffer clip = buffer(index);
    if (clip.nextSlot < clip.targets.length && timestampMs >= clip.targets[clip.nextSlot]) {
      // The grabber runs in RAW image mode: frame.opaque is the decoder's own picture, converted
      // here only because this frame is kept.
      clip.frames.add(encoder.encode((AVFrame) frame.opaque, rotation, timestampMs));
      while (clip.nextSlot < clip.targets.length && timestampMs >= clip.targets[clip.nextSlot]) {
        clip.nextSlot++;
      }
    }
  }

  /**
   * Splits decoded (interleaved) samples into the selected tracks, and at clip boundaries into
   * clips.
   */
  private void onSamples(ShortBuffer samples, int channels) {
    ShortBuffer s = samples.duplicate();
    short[] interleaved = new short[s.remaining()];
    s.get(interleaved);
    byte[][] trackBytes = new byte[tracks.size()][];
    short[][] trackSamples = new short[tracks.size()][];
    for (int t = 0; t < tracks.size(); t++) {
      short[] mono =
          channels == 1
              ? interleaved
              : ChannelSelection.channel(
                  interleaved, channels, Math.min(tracks.get(t).channel(), channels - 1));
      trackSamples[t] = mono;
      trackBytes[t] = new byte[mono.length * 2];
      ByteBuffer.wrap(trackBytes[t]).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(mono);
    }
    int count = interleaved.length / channels;
    int offset = 0;
    while (offset < count) {
      long sample = audioSamples + offset;
      int index = indexOf(sample * 1000 / VideoDemuxer.SAMPLE_RATE);
      long end = end(index);
      long boundary =
          isLast(index) || end == Long.MAX_VALUE
              ? Long.MAX_VALUE
              : end * VideoDemuxer.SAMPLE_RATE / 1000;
      int take = (int) Math.min(count - offset, Math.max(1, boundary - sample));
      if (index >= nextToEmit) {
        ClipBuffer clip = buffer(index);
        for (int t = 0; t < tracks.size(); t++) {
          clip.pcm[t].write(trackBytes[t], offset * 2, take * 2);
        }
      }
      offset += take;
    }
    audioSamples += count;
    if (speech != null && count > 0) {
      for (long cutMs : speech.accept(trackSamples)) {
        split(cutMs);
      }
    }
  }

  private boolean isLast(int index) {
    return speech == null && plan.durationKnown() && index == plan.count() - 1;
  }

  private int indexOf(long timeMs) {
    return speech == null ? plan.indexOf(timeMs) : speech.indexOf(timeMs);
  }

  private long start(int index) {
    return speech == null ? plan.start(index) : speech.start(index);
  }

  /** The clip's end; {@link Long#MAX_VALUE} while a VAD clip's end is not decided. */
  private long end(int index) {
    return speech == null ? plan.end(index) : speech.end(index);
  }

  /**
   * A VAD cut at {@code cutMs} ends the open clip there: its audio from the cut on and its frames
   * at or after it (video may run ahead of audio) move to the new open clip.
   */
  private void split(long cutMs) {
    int next = speech.indexOf(cutMs);
    ClipBuffer ended = buffer(next - 1);
    ClipBuffer opened = buffer(next);
    int keep = (int) ((cutMs - start(next - 1)) * VideoDemuxer.SAMPLE_RATE / 1000 * 2);
    for (int t = 0; t < tracks.size(); t++) {
      byte[] bytes = ended.pcm[t].toByteArray();
      if (bytes.length > keep) {
        ended.pcm[t].reset();
        ended.pcm[t].write(bytes, 0, keep);
        opened.pcm[t].write(bytes, keep, bytes.length - keep);
      }
    }
    List<DemuxedClip.SampledFrame> later =
        ended.frames.stream().filter(frame -> frame.timestampMs() >= cutMs).toList();
    ended.frames.removeAll(later);
    opened.frames.addAll(0, later);
  }

  /**
   * VAD clips have no length known in advance, so their frames come from one grid over the whole
   * source with the fixed windows' spacing (EMOSTREAM_SEGMENT_SECONDS /
   * EMOSTREAM_FRAMES_PER_SEGMENT, 500 ms by default): the first frame at or after each grid time,
   * in the clip it falls in.
   */
  private void onGrid(ClipBuffer clip, Frame frame, long timestampMs) {
    if (timestampMs >= nextFrameMs) {
      clip.frames.add(encoder.encode((AVFrame) frame.opaque, rotation, timestampMs));
      double spacing = frameSpacingMs();
      nextFrameMs = (Math.floor(timestampMs / spacing - 0.5) + 1.5) * spacing;
    }
  }

  private double frameSpacingMs() {
    return (double) config.segmentMs() / config.framesPerSegment();
  }

  /**
   * Publishes, in order, every clip whose end both streams have passed; the last clip waits for the
   * end.
   */
  private void emitCompleted() {
    while (!isLast(nextToEmit)) {
      long end = end(nextToEmit);
      long audioMs = audioSamples * 1000 / VideoDemuxer.SAMPLE_RATE;
      boolean audioDone = !hasAudio || audioMs >= end;
      boolean videoDone = !hasVideo || videoMs >= end;
      boolean otherStreamStopped =
          connectionOffset >= 0
              && end != Long.MAX_VALUE
              && Math.max(audioMs, videoMs) >= end + LIVE_STREAM_LAG_MS;
      if (!(audioDone && videoDone) && !otherStreamStopped) {
        return;
      }
      ClipBuffer clip = open.remove(nextToEmit);
      if (clip != null && !clip.isEmpty()) {
        emit(clip);
      }
      nextToEmit++;
    }
  }

  private void emit(ClipBuffer clip) {
    long start = start(clip.index);
    long end =
        plan.durationKnown() && speech == null
            ? Math.max(start + 1, Math.min(plan.end(clip.index), mediaEndMs))
            : Math.max(
                start + 1,
                Math.min(
                    end(clip.index),
                    Math.max(videoMs, audioSamples * 1000 / VideoDemuxer.SAMPLE_RATE)));
    for (int t = 0; t < tracks.size(); t++) {
      sink.accept(
          new DemuxedClip(
              clip.index,
              start,
              end,
              clip.pcm[t].toByteArray(),
              List.copyOf(clip.frames),
              hasAudio,
              hasVideo,
              tracks.get(t).role()));
    }
    emitted++;
  }

  /** What has been gathered for one clip so far. */
  private final class ClipBuffer {
    final int index;
    final ByteArrayOutputStream[] pcm;
    final List<DemuxedClip.SampledFrame> frames = new ArrayList<>();
    final long[] targets;
    int nextSlot;

    ClipBuffer(SegmentPlan plan, int index, int tracks) {
      this.index = index;
      this.targets = speech == null ? plan.frameTargets(index, config.framesPerSegment()) : null;
      this.pcm = new ByteArrayOutputStream[tracks];
      for (int t = 0; t < tracks; t++) {
        pcm[t] = new ByteArrayOutputStream();
      }
    }

    boolean isEmpty() {
      for (ByteArrayOutputStream track : pcm) {
        if (track.size() > 0) {
          return false;
        }
      }
      return frames.isEmpty();
    }
  }
}
