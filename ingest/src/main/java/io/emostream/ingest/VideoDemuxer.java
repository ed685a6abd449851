package io.emostream.ingest;

import io.emostream.inference.Device;
import io.emostream.inference.SpeechDetector;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demuxes a media file with FFmpeg (through JavaCV) into clips, streaming: each clip is handed to
 * the consumer as soon as both its audio and its video are complete, so memory stays bounded by one
 * clip. Audio is resampled by FFmpeg to 16 kHz s16, downmixed to mono unless a {@link
 * ChannelSelection} asks for one or both channels of a stereo source: then FFmpeg keeps the
 * channels and they are split here, each selected channel becoming its own clip stream labelled
 * with its speaker role. Of several audio streams, the one named by the user is taken, else the
 * default one ({@link #audioStreamIndex}). Frames are sampled at the centres of {@code
 * framesPerSegment} equal slots of the clip; only those are converted, by FFmpeg's swscale straight
 * to their published size (fitted to {@code maxFrameSide}), turned upright when the stream has a
 * display matrix ({@link FrameRotation}: a phone's portrait video), and JPEG-encoded ({@link
 * FrameEncoder}).
 *
 * <p>This class opens a source ({@link DemuxSource}: a file or a stream) and checks its header
 * (streams, limits); the pass over its frames is {@link DemuxRun}'s, a live URL's connection and
 * reconnects {@link LiveDemuxer}'s. Over 300 lines: the public entry points, and the header checks
 * every source passes before a frame is decoded (streams, limits, the audio stream chosen).
 *
 * <p>Under EMOSTREAM_SEGMENTATION=vad clips end at pauses in the speech instead ({@link
 * SpeechSegments}); the Silero VAD session is this demuxer's, shared by its sources, and closed
 * with it.
 */
public final class VideoDemuxer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(VideoDemuxer.class);

  public static final int SAMPLE_RATE = 16_000;

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    FfmpegLog.install();
  }

  private final IngestConfig config;
  private final LiveDemuxer live;
  private SpeechDetector vad;

  public VideoDemuxer(IngestConfig config) {
    this.config = config;
    this.live = new LiveDemuxer(config, this::speechSegments);
  }

  /**
   * Loads what the segmentation needs before the first source: under EMOSTREAM_SEGMENTATION=vad the
   * VAD model, so a missing or wrong one fails at start.
   *
   * @throws IllegalStateException naming the model and what is wrong with it
   */
  public void prepare() {
    vad();
  }

  private synchronized SpeechDetector vad() {
    Segmentation segmentation = config.segmentation();
    if (vad == null && segmentation.vad()) {
      try {
        vad =
            SpeechDetector.load(
                segmentation.vadModel(), Device.CPU, 1, segmentation.threshold(), 0);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            Segmentation.MODE_ENV
                + "=vad needs the Silero VAD model (EMOSTREAM_VAD_MODEL, "
                + segmentation.vadModel()
                + "): "
                + e.getMessage(),
            e);
      }
    }
    return vad;
  }

  /**
   * The VAD cuts of a new source; null for fixed windows (EMOSTREAM_SEGMENTATION=fixed, or a source
   * without audio, which has no pauses to hear).
   */
  SpeechSegments speechSegments(boolean hasAudio, long durationMs) {
    if (!config.segmentation().vad() || !hasAudio) {
      return null;
    }
    return new SpeechSegments(
        vad().stream(),
        new SpeechCuts(config.segmentation(), durationMs, config.minSegmentMs()),
        config.segmentation().maxMs());
  }

  @Override
  public synchronized void close() {
    if (vad != null) {
      vad.close();
      vad = null;
    }
  }

  /**
   * Demuxes {@code file} with the configured channel selection; returns the number of clips
   * produced.
   */
  public int demux(Path file, Consumer<DemuxedClip> sink) {
    return demux(file, config.channels(), sink);
  }

  /**
   * Demuxes {@code file}; returns the number of clips produced. With a selection that keeps both
   * channels, each segment yields one clip per channel, in channel order. Audio comes from
   * EMOSTREAM_AUDIO_STREAM's stream when set, else from the one {@link #audioStreamIndex chosen} by
   * its disposition.
   */
  public int demux(Path file, ChannelSelection channels, Consumer<DemuxedClip> sink) {
    return demux(file, channels, null, sink);
  }

  /**
   * As {@link #demux(Path, ChannelSelection, Consumer)} with the audio stream {@code audioStream}
   * (counted among the source's audio streams from 0; null: EMOSTREAM_AUDIO_STREAM's, else the
   * default one).
   */
  public int demux(
      Path file, ChannelSelection channels, Integer audioStream, Consumer<DemuxedClip> sink) {
    checkReadable(file);
    return demux(DemuxSource.file(file), channels, audioStream, sink);
  }

  /**
   * Demuxes {@code stream} while it arrives, as {@link #demux(Path, ChannelSelection, Integer,
   * Consumer)} does a file: each clip goes to {@code sink} once both its streams have passed its
   * end, before the stream has ended. FFmpeg reads it without seeking, so the container must allow
   * that ({@link StreamSniffer}). A stream cut off early ({@link MediaStream#failure()}: a limit, a
   * read timeout, the client gone) is an {@link IngestException} saying how many clips were
   * published before it; the clip it cut short is not published. {@code name} names the stream in
   * messages.
   */
  public int demux(
      MediaStream stream,
      String name,
      ChannelSelection channels,
      Integer audioStream,
      Consumer<DemuxedClip> sink) {
    return demux(DemuxSource.stream(stream, name), channels, audioStream, sink);
  }

  private int demux(
      DemuxSource source,
      ChannelSelection channels,
      Integer audioStream,
      Consumer<DemuxedClip> sink) {
    FFmpegFrameGrabber grabber = open(source, channels, audioStream);
    try (FrameEncoder encoder = encoder(config)) {
      boolean hasAudio = hasAudio(grabber);
      if (hasAudio && channels.mixesInOtherRoles()) {
        LOG.warn(channels.mixWarning("'" + source.label() + "'"));
      }
      int sourceChannels = hasAudio ? grabber.getAudioChannels() : 1;
      boolean hasVideo = hasPicture(grabber) && channels.publishesFrames(sourceChannels);
      long durationMs = grabber.getLengthInTime() / 1000;
      SegmentPlan plan = new SegmentPlan(durationMs, config.segmentMs(), config.minSegmentMs());
      return new DemuxRun(
              config,
              plan,
              hasAudio,
              hasVideo,
              channels.tracks(sourceChannels),
              encoder,
              sink,
              FrameRotation.of(grabber.getDisplayRotation()),
              speechSegments(hasAudio, durationMs))
          .drain(grabber, source);
    } catch (FrameGrabber.Exception e) {
      IngestException cut = source.cutOff(0);
      if (cut != null) {
        throw cut;
      }
      throw new IngestException(
          "'" + source.label() + "' could not be decoded: " + e.getMessage(), e);
    } finally {
      closeQuietly(grabber);
    }
  }

  /** Hears how a live source's connection goes, from its pulling thread. */
  public interface LiveListener {
    /** Connecting (first time) or reconnecting after {@code lastError}. */
    void connecting(boolean reconnect, String lastError);

    /** Connected, media arriving. */
    void live();
  }

  /** Live sources (URLs) this build of FFmpeg pulls. */
  public static final Set<String> LIVE_SCHEMES =
      Set.of("rtsp", "rtsps", "rtmp", "rtmps", "srt", "http", "https");

  /**
   * The URL's scheme in lower case, checked against {@link #LIVE_SCHEMES}; the URL must also be a
   * valid URI with an authority (RFC 3986: no raw spaces, IPv6 hosts in brackets; {@code
   * srt://:9000} for a listener is one), since a string that is not one cannot be redacted reliably
   * in the errors FFmpeg quotes it in ({@link SourceEvents#scrub}), and FFmpeg would read it its
   * own way.
   *
   * @throws IllegalArgumentException naming the URL's scheme and those accepted, or what is wrong
   *     with it (redacted)
   */
  public static String scheme(String url) {
    int colon = url == null ? -1 : url.indexOf("://");
    String scheme = colon <= 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!LIVE_SCHEMES.contains(scheme)) {
      throw new IllegalArgumentException(
          "'"
              + (url == null ? "" : SourceEvents.redact(url))
              + "' is not a live source URL; use rtsp://, rtmp://, srt://, http:// or https://"
              + " (HLS or a progressive stream)");
    }
    String authority;
    try {
      authority = new URI(url).getRawAuthority();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "'"
              + SourceEvents.redact(url)
              + "' is not a valid URL: spaces and other reserved characters must be percent-encoded"
              + " (a space as %20, a double quote as %22, an @ in a password as %40, an IPv6 host in"
              + " brackets)");
    }
    // the server after the user info (after its last @): "rtmp://u:p@/live/a" has none, and was
    // taken (found by helper-50)
    if (authority == null || authority.substring(authority.lastIndexOf('@') + 1).isEmpty()) {
      throw new IllegalArgumentException(
          "'" + SourceEvents.redact(url) + "' is not a valid URL: it needs a host or a port");
    }
    return scheme;
  }

  /**
   * Pulls the live source at {@code url} until it ends, is lost for longer than
   * EMOSTREAM_LIVE_RECONNECT_FOR, or {@code control} asks it to stop; each clip goes to {@code
   * sink} as soon as both its audio and video are complete. A lost connection (an I/O error, no
   * data for EMOSTREAM_LIVE_READ_TIMEOUT) is reconnected with backoff; the media time goes on where
   * it stopped. At the end, the open clip is published if at least EMOSTREAM_MIN_SEGMENT_SECONDS
   * long.
   *
   * @return why it ended: {@code completed} (the source ended its stream), the reason given to
   *     {@code control} (stopped, shutdown), or {@code timeout: ...} (lost, or never reached, for
   *     EMOSTREAM_LIVE_RECONNECT_FOR)
   * @throws IngestException when the stream cannot be analysed (no audio or video, over a limit)
   */
  public String demuxLive(
      String url,
      ChannelSelection channels,
      LiveControl control,
      LiveListener listener,
      Consumer<DemuxedClip> sink) {
    return live.demuxLive(url, channels, control, listener, sink);
  }

  /**
   * What a source's header says, read without decoding a frame. {@code audioChannels} is 0 without
   * audio.
   */
  public record Probe(int audioChannels, boolean hasVideo, long durationMs) {}

  /**
   * Opens {@code file} as {@link #demux(Path, ChannelSelection, Integer, Consumer)} does and
   * refuses, with the same {@link IngestException}, everything demux would refuse from the header
   * alone (not a file, empty, not media FFmpeg reads, a still image, over the limits, no audio and
   * no video, a missing audio stream), without decoding a frame or publishing anything. The channel
   * count is the source's own (nothing is downmixed).
   */
  public Probe probe(Path file, Integer audioStream) {
    checkReadable(file);
    FFmpegFrameGrabber grabber =
        open(
            DemuxSource.file(file),
            new ChannelSelection(ChannelSelection.Mode.BOTH, Map.of()),
            audioStream);
    try {
      return new Probe(
          hasAudio(grabber) ? grabber.getAudioChannels() : 0,
          hasPicture(grabber),
          grabber.getLengthInTime() / 1000);
    } finally {
      closeQuietly(grabber);
    }
  }

  /** A started grabber on the chosen audio stream, the header checked; the caller closes it. */
  private FFmpegFrameGrabber open(
      DemuxSource source, ChannelSelection channels, Integer audioStream) {
    Integer requested = audioStream != null ? audioStream : config.audioStream();
    FFmpegFrameGrabber grabber = start(configure(source.grabber(), -1), channels, source);
    try {
      int wanted = audioStreamIndex(grabber.getFormatContext(), requested, source.label());
      if (wanted >= 0 && wanted != grabber.getAudioStream()) {
        grabber.close();
        source.rewind();
        grabber = start(configure(source.grabber(), wanted), channels, source);
      }
      source.opened();
      checkLimits(grabber, source.label());
      if (!hasAudio(grabber) && !hasPicture(grabber)) {
        throw new IngestException(
            "'" + source.label() + "' has neither an audio nor a video stream");
      }
      return grabber;
    } catch (FrameGrabber.Exception e) {
      closeQuietlyAfterFailure(grabber);
      throw new IngestException(
          "'" + source.label() + "' could not be decoded: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietlyAfterFailure(grabber);
      throw e;
    }
  }

  static boolean hasAudio(FFmpegFrameGrabber grabber) {
    return grabber.hasAudio() && grabber.getAudioChannels() > 0;
  }

  static boolean hasPicture(FFmpegFrameGrabber grabber) {
    return grabber.hasVideo() && grabber.getImageWidth() > 0;
  }

  /** The encoder of the frames a pass keeps, at EMOSTREAM_MAX_FRAME_SIDE and _JPEG_QUALITY. */
  static FrameEncoder encoder(IngestConfig config) {
    return new FrameEncoder(config.maxFrameSide(), config.jpegQuality());
  }

  /**
   * What every grabber is asked for before it starts: pictures left in the decoder's pixel format
   * (JavaCV's RAW image mode; {@link FrameEncoder} converts only the kept ones) and (when
   * EMOSTREAM_DECODE_SKIP_NONREF) no decoding of frames no other frame refers to. The audio's
   * output is set once it has started ({@link #audioOutput}).
   */
  static void decodeOptions(FFmpegFrameGrabber grabber, boolean skipNonReferenceFrames) {
    grabber.setImageMode(FrameGrabber.ImageMode.RAW);
    if (skipNonReferenceFrames) {
      grabber.setVideoOption("skip_frame", "noref"); // EMOSTREAM_DECODE_SKIP_NONREF
    }
  }

  /**
   * The audio every started grabber gives: 16 kHz s16, mono or (for a selected channel) the
   * source's channels interleaved, so that a selected channel is never mixed with the other. Set
   * after {@code start()}: before it, JavaCV also hands the rate and channels to the demuxer as its
   * options, and a raw demuxer takes them as the file's own (a raw GSM file at 8 kHz was read as 16
   * kHz: half its samples, at twice the speed).
   */
  static void audioOutput(FFmpegFrameGrabber grabber, ChannelSelection channels) {
    grabber.setSampleRate(SAMPLE_RATE);
    grabber.setAudioChannels(channels.splitsChannels() ? 0 : 1);
    grabber.setSampleFormat(avutil.AV_SAMPLE_FMT_S16);
  }

  private FFmpegFrameGrabber configure(FFmpegFrameGrabber grabber, int audioStream) {
    decodeOptions(grabber, config.decodesReferenceFramesOnly());
    if (audioStream >= 0) {
      grabber.setAudioStream(audioStream);
    }
    return grabber;
  }

  private static void closeQuietly(FFmpegFrameGrabber grabber) {
    try {
      grabber.close();
    } catch (FrameGrabber.Exception e) {
      throw new IngestException("closing the decoder failed: " + e.getMessage(), e);
    }
  }

  /**
   * The absolute index of the audio stream to analyse, or -1 to keep FFmpeg's (JavaCV's) pick, the
   * first audio stream. {@code requested} (the Nth audio stream) wins; else, among several audio
   * streams, the one whose disposition is {@code default} (when not all of them are), else FFmpeg's
   * best stream ({@code av_find_best_stream}). A silent commentary track first and the speech
   * marked default is the case this is for.
   */
  static int audioStreamIndex(AVFormatContext format, Integer requested, String label) {
    List<Integer> audio = new ArrayList<>();
    List<Integer> defaults = new ArrayList<>();
    for (int i = 0; i < format.nb_streams(); i++) {
      AVStream stream = format.streams(i);
      if (stream.codecpar().codec_type() == avutil.AVMEDIA_TYPE_AUDIO
          && stream.codecpar().codec_id() != avcodec.AV_CODEC_ID_NONE) {
        audio.add(i);
        if ((stream.disposition() & avformat.AV_DISPOSITION_DEFAULT) != 0) {
          defaults.add(i);
        }
      }
    }
    if (requested != null) {
      if (requested < 0 || requested >= audio.size()) {
        throw new IngestException(
            "'"
                + label
                + "' has "
                + audio.size()
                + " audio stream(s); audio stream "
                + requested
                + " (counted from 0: audioStream, EMOSTREAM_AUDIO_STREAM) does not exist");
      }
      return audio.get(requested);
    }
    if (audio.size() < 2) {
      return -1;
    }
    if (!defaults.isEmpty() && defaults.size() < audio.size()) {
      return defaults.get(0);
    }
    int best =
        avformat.av_find_best_stream(
            format, avutil.AVMEDIA_TYPE_AUDIO, -1, -1, (PointerPointer<?>) null, 0);
    return best >= 0 ? best : -1;
  }

  private static void checkReadable(Path file) {
    try {
      if (!Files.isRegularFile(file)) {
        throw new IngestException("'" + file + "' is not a file");
      }
      if (Files.size(file) == 0) {
        throw new IngestException("'" + file.getFileName() + "' is empty");
      }
    } catch (IOException e) {
      throw new IngestException("'" + file + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * What can be refused from the container's header alone, before a frame is decoded (so nothing is
   * published): a still image, frames over EMOSTREAM_MAX_FRAME_PIXELS, a duration over
   * EMOSTREAM_MAX_DURATION_SECONDS.
   */
  private void checkLimits(FFmpegFrameGrabber grabber, String label) {
    String format = String.valueOf(grabber.getFormat());
    if (isStillImageFormat(format)) {
      throw new IngestException(
          "'"
              + label
              + "' is a still image ("
              + format.replace("_pipe", "")
              + "), not a video; send a video or an audio file");
    }
    long pixels = (long) grabber.getImageWidth() * grabber.getImageHeight();
    if (grabber.hasVideo() && pixels > config.maxFramePixels()) {
      throw new IngestException(
          "'"
              + label
              + "' has "
              + grabber.getImageWidth()
              + "x"
              + grabber.getImageHeight()
              + " frames, more than the limit of "
              + config.maxFramePixels()
              + " pixels (EMOSTREAM_MAX_FRAME_PIXELS)");
    }
    long durationMs = grabber.getLengthInTime() / 1000;
    if (durationMs > config.maxDurationMs()) {
      throw new IngestException(
          "'"
              + label
              + "' lasts "
              + durationMs / 1000
              + " s, longer than the limit of "
              + config.maxDurationMs() / 1000
              + " s (EMOSTREAM_MAX_DURATION_SECONDS)");
    }
  }

  /**
   * FFmpeg's demuxers for single pictures: {@code image2}, {@code png_pipe}, {@code jpeg_pipe},
   * {@code webp_pipe}, …
   */
  static boolean isStillImageFormat(String format) {
    return format.equals("image2") || format.endsWith("_pipe");
  }

  /**
   * Opens {@code grabber} without JavaCV's process-wide lock: {@code FFmpegFrameGrabber.start()}
   * holds the {@code avcodec} class's monitor for the whole open, network connect included, so one
   * live source stuck connecting (a dead SRT or RTMP server, up to twice its connect timeout:
   * JavaCV opens again once after a failure) held up every other source's and every upload's open.
   * The lock dates from FFmpeg's lock manager, gone since FFmpeg 4.0, whose opens are thread-safe;
   * each grabber is still used by one thread.
   */
  static void startWithoutGlobalLock(FFmpegFrameGrabber grabber) throws FrameGrabber.Exception {
    grabber.startUnsafe();
  }

  private static FFmpegFrameGrabber start(
      FFmpegFrameGrabber grabber, ChannelSelection channels, DemuxSource source) {
    try {
      startWithoutGlobalLock(grabber);
      audioOutput(grabber, channels);
      return grabber;
    } catch (FrameGrabber.Exception | RuntimeException e) {
      closeQuietlyAfterFailure(grabber);
      IngestException cut = source.cutOff(0);
      if (cut != null) {
        throw cut;
      }
      String why = source.unopenable();
      throw new IngestException(
          why != null
              ? why
              : "'"
                  + source.label()
                  + "' is not a media file FFmpeg can read"
                  + " (expected a video such as MP4, MKV, WebM or MOV, or an audio file)",
          e);
    }
  }

  static void closeQuietlyAfterFailure(FFmpegFrameGrabber grabber) {
    try {
      grabber.close();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      // the start failure is what the user needs to hear about
    }
  }
}
