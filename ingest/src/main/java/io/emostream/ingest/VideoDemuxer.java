package io.emostream.ingest;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Demuxes a media file with FFmpeg (through JavaCV) into clips, streaming: each clip is handed to
 * the consumer as soon as both its audio and its video are complete, so memory stays bounded by one
 * clip. Audio is resampled by FFmpeg to 16 kHz s16, downmixed to mono unless a {@link
 * ChannelSelection} asks for one or both channels of a stereo source: then FFmpeg keeps the
 * channels and they are split here, each selected channel becoming its own clip stream labelled
 * with its speaker role. Of several audio streams, the one named by the user is taken, else the
 * default one ({@link #audioStreamIndex}). Frames are sampled at the centres of {@code
 * framesPerSegment} equal slots of the clip, downscaled to fit {@code maxFrameSide}, turned upright
 * when the stream has a display matrix ({@link FrameRotation}: a phone's portrait video), and
 * JPEG-encoded.
 *
 * <p>Over 300 lines: one streaming pass over FFmpeg's packets (audio resampling and channel split,
 * frame sampling, rotation, JPEG), whose state is shared by both streams; not split yet.
 */
public final class VideoDemuxer {

  public static final int SAMPLE_RATE = 16_000;

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
  }

  private final IngestConfig config;

  public VideoDemuxer(IngestConfig config) {
    this.config = config;
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
    return demux(fileSource(file), channels, audioStream, sink);
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
    return demux(streamSource(stream, name), channels, audioStream, sink);
  }

  private int demux(
      Source source, ChannelSelection channels, Integer audioStream, Consumer<DemuxedClip> sink) {
    FFmpegFrameGrabber grabber = open(source, channels, audioStream);
    try (Java2DFrameConverter converter = new Java2DFrameConverter()) {
      boolean hasAudio = hasAudio(grabber);
      int sourceChannels = hasAudio ? grabber.getAudioChannels() : 1;
      boolean hasVideo = hasPicture(grabber) && channels.publishesFrames(sourceChannels);
      long durationMs = grabber.getLengthInTime() / 1000;
      SegmentPlan plan = new SegmentPlan(durationMs, config.segmentMs(), config.minSegmentMs());
      return new Run(
              plan,
              hasAudio,
              hasVideo,
              channels.tracks(sourceChannels),
              converter,
              sink,
              FrameRotation.of(grabber.getDisplayRotation()))
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
    IngestConfig.LiveLimits limits = config.live();
    String shown = SourceEvents.redact(url);
    Run run = null;
    Duration backoff = IngestConfig.LiveLimits.FIRST_BACKOFF;
    long lostAt = -1;
    long lostAtMediaMs = -1;
    String lossError = null;
    boolean lossStalled = false;
    String lastError = null;
    try (Java2DFrameConverter converter = new Java2DFrameConverter()) {
      while (true) {
        String reason = control.stopReason();
        if (reason != null) {
          return finish(run, reason);
        }
        listener.connecting(run != null || lastError != null, lastError);
        FFmpegFrameGrabber grabber = null;
        boolean stalled = false;
        try {
          grabber = startLive(url, channels, shown);
          if (run == null) {
            run = liveRun(grabber, channels, converter, sink);
          }
          listener.live();
          backoff = IngestConfig.LiveLimits.FIRST_BACKOFF;
          lostAt = -1;
          reason = run.drainLive(grabber, control, shown);
          if (reason != null) {
            return finish(run, reason);
          }
          long silentNanos = System.nanoTime() - run.lastFrameNanos;
          stalled = silentNanos >= silenceLimit(url, limits).toNanos() * 9 / 10;
          lastError =
              stalled
                  ? "no data for " + silentNanos / 1_000_000 + " ms (EMOSTREAM_LIVE_READ_TIMEOUT)"
                  : lostError(grabber);
          if (lastError == null) {
            // A clean end of stream (RTSP's BYE, an HLS playlist's end): nothing to reconnect to.
            return finish(run, SourceEvents.COMPLETED);
          }
        } catch (FrameGrabber.Exception e) {
          lastError = e.getMessage();
        } finally {
          if (grabber != null) {
            closeQuietlyAfterFailure(grabber);
          }
        }
        long now = System.nanoTime();
        if (lostAt < 0) {
          lostAt = now;
          lossStalled = stalled;
          lossError = lastError;
          lostAtMediaMs = run == null ? -1 : run.mediaMs();
        }
        if (Duration.ofNanos(now - lostAt).compareTo(limits.reconnectFor()) >= 0) {
          return finish(run, endReason(lossStalled, lossError, lostAtMediaMs, lastError));
        }
        if (control.awaitStop(backoff)) {
          continue;
        }
        backoff = backoff.multipliedBy(2);
        if (backoff.compareTo(IngestConfig.LiveLimits.MAX_BACKOFF) > 0) {
          backoff = IngestConfig.LiveLimits.MAX_BACKOFF;
        }
      }
    }
  }

  /**
   * Why a source not back within EMOSTREAM_LIVE_RECONNECT_FOR ended: {@code timeout} when it was
   * never reached or went silent (its last connection ended after EMOSTREAM_LIVE_READ_TIMEOUT
   * without a frame), else {@code completed}: the server ended the stream. RTMP and SRT servers
   * close the connection at the end, which FFmpeg reports as an I/O error, and RTMP turns a read
   * timeout into the same error, so silence is told apart by the time since the last frame.
   */
  static String endReason(
      boolean lossStalled, String lossError, long lostAtMediaMs, String lastError) {
    if (lostAtMediaMs < 0) {
      return SourceEvents.TIMEOUT + ": could not connect (" + lastError + ")";
    }
    if (lossStalled) {
      return SourceEvents.TIMEOUT
          + ": lost at "
          + lostAtMediaMs
          + " ms of media ("
          + lossError
          + "), not back since ("
          + lastError
          + ")";
    }
    return SourceEvents.COMPLETED;
  }

  private static String finish(Run run, String reason) {
    if (run != null) {
      run.finishLive();
    }
    return reason;
  }

  /**
   * Why a connection's frames stopped, or null when the source ended its stream: the error its I/O
   * context recorded (an I/O error, or EMOSTREAM_LIVE_READ_TIMEOUT of silence). JavaCV answers null
   * for an end and for an error alike, so this asks FFmpeg; RTSP has no I/O context to ask, so an
   * RTSP source that stops without going silent is taken as ended (a camera's server plays on until
   * it is stopped; a file served over RTSP would start again on a new connection).
   */
  private static String lostError(FFmpegFrameGrabber grabber) {
    AVFormatContext format = grabber.getFormatContext();
    if (format != null && format.pb() != null && format.pb().error() != 0) {
      int code = format.pb().error();
      return avError(code);
    }
    return null;
  }

  static String avError(int code) {
    byte[] text = new byte[256];
    avutil.av_strerror(code, text, text.length);
    int n = 0;
    while (n < text.length && text[n] != 0) {
      n++;
    }
    return new String(text, 0, n, StandardCharsets.UTF_8) + " (" + code + ")";
  }

  /**
   * FFmpeg's options for a live URL: timeouts in microseconds. {@code rw_timeout} bounds every read
   * of every protocol; {@code timeout} means an I/O timeout for RTSP, HTTP and SRT, but for RTMP it
   * would make FFmpeg <em>listen</em>, so RTMP gets none (its TCP connect has FFmpeg's own bound,
   * and a server that accepts and stays silent meets {@code rw_timeout}). RTSP is pulled over TCP
   * (no lost UDP packets, passes NAT).
   */
  static Map<String, String> liveOptions(String url, IngestConfig.LiveLimits limits) {
    String scheme = scheme(url);
    String connect = Long.toString(limits.connectTimeout().toNanos() / 1000);
    String read = Long.toString(limits.readTimeout().toNanos() / 1000);
    Map<String, String> options = new TreeMap<>();
    options.put("rw_timeout", read);
    switch (scheme) {
      case "rtsp", "rtsps" -> {
        options.put("timeout", connect);
        options.put("rtsp_transport", "tcp");
      }
      case "http", "https" -> options.put("timeout", connect);
      case "srt" -> {
        options.put("timeout", read);
        options.put("connect_timeout", Long.toString(limits.connectTimeout().toMillis()));
      }
      default -> {
        // rtmp, rtmps: rw_timeout only (see above)
      }
    }
    return options;
  }

  /**
   * How long a source must be silent for a read to fail: {@code rw_timeout}, or FFmpeg's socket
   * {@code timeout} (the connect timeout, {@link #liveOptions}) for RTSP and HTTP when shorter.
   */
  static Duration silenceLimit(String url, IngestConfig.LiveLimits limits) {
    return switch (scheme(url)) {
      case "rtsp", "rtsps", "http", "https" ->
          limits.readTimeout().compareTo(limits.connectTimeout()) < 0
              ? limits.readTimeout()
              : limits.connectTimeout();
      default -> limits.readTimeout();
    };
  }

  /**
   * The URL's scheme in lower case, checked against {@link #LIVE_SCHEMES}.
   *
   * @throws IllegalArgumentException naming the URL's scheme and those accepted
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
    return scheme;
  }

  /** A started grabber on a live URL, options set; the caller closes it. */
  private FFmpegFrameGrabber startLive(String url, ChannelSelection channels, String shown)
      throws FrameGrabber.Exception {
    FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(url);
    grabber.setSampleRate(SAMPLE_RATE);
    grabber.setAudioChannels(channels.splitsChannels() ? 0 : 1);
    grabber.setSampleFormat(avutil.AV_SAMPLE_FMT_S16);
    liveOptions(url, config.live()).forEach(grabber::setOption);
    try {
      grabber.start();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      closeQuietlyAfterFailure(grabber);
      throw new FrameGrabber.Exception("could not open " + shown + ": " + e.getMessage(), e);
    }
    long pixels = (long) grabber.getImageWidth() * grabber.getImageHeight();
    if (!hasAudio(grabber) && !hasPicture(grabber)) {
      closeQuietlyAfterFailure(grabber);
      throw new IngestException(shown + " has neither an audio nor a video stream");
    }
    if (grabber.hasVideo() && pixels > config.maxFramePixels()) {
      closeQuietlyAfterFailure(grabber);
      throw new IngestException(
          shown
              + " has frames of "
              + pixels
              + " pixels, more than the limit of "
              + config.maxFramePixels()
              + " (EMOSTREAM_MAX_FRAME_PIXELS)");
    }
    return grabber;
  }

  private Run liveRun(
      FFmpegFrameGrabber grabber,
      ChannelSelection channels,
      Java2DFrameConverter converter,
      Consumer<DemuxedClip> sink) {
    boolean hasAudio = hasAudio(grabber);
    int sourceChannels = hasAudio ? grabber.getAudioChannels() : 1;
    return new Run(
        new SegmentPlan(0, config.segmentMs(), config.minSegmentMs()),
        hasAudio,
        hasPicture(grabber) && channels.publishesFrames(sourceChannels),
        channels.tracks(sourceChannels),
        converter,
        sink,
        FrameRotation.of(grabber.getDisplayRotation()));
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
            fileSource(file),
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

  /** What a demux reads: a file, or a stream read while it arrives. */
  private interface Source {
    /** How messages name it: the file's name, or the stream's. */
    String label();

    /** A new grabber on it, not started. */
    FFmpegFrameGrabber grabber();

    /** Before a second grabber is started on it (another audio stream): back to its start. */
    default void rewind() {}

    /** The grabber in use is started: there will be no second one. */
    default void opened() {}

    /**
     * Not null when the input was cut off or failed before its end, after {@code published} clips
     * were published.
     */
    default IngestException cutOff(int published) {
      return null;
    }
  }

  private static Source fileSource(Path file) {
    return new Source() {
      @Override
      public String label() {
        return file.getFileName().toString();
      }

      @Override
      public FFmpegFrameGrabber grabber() {
        return new FFmpegFrameGrabber(file.toFile());
      }
    };
  }

  /**
   * No seek callback ({@code maximumSize} 0), so FFmpeg reads the stream straight through and
   * JavaCV keeps no copy of it to seek back in; the stream is not closed with the grabber.
   */
  private static Source streamSource(MediaStream stream, String name) {
    return new Source() {
      @Override
      public String label() {
        return name;
      }

      @Override
      public FFmpegFrameGrabber grabber() {
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(stream, 0);
        grabber.setCloseInputStream(false);
        return grabber;
      }

      @Override
      public void rewind() {
        stream.rewind();
      }

      @Override
      public void opened() {
        stream.forgetHead();
      }

      @Override
      public IngestException cutOff(int published) {
        IOException failure = stream.failure();
        if (failure == null) {
          return null;
        }
        return new IngestException(
            "'"
                + name
                + "' was cut off after "
                + stream.bytesRead()
                + " bytes: "
                + failure.getMessage()
                + " ("
                + published
                + " clip(s) before it were published)",
            failure);
      }
    };
  }

  /** A started grabber on the chosen audio stream, the header checked; the caller closes it. */
  private FFmpegFrameGrabber open(Source source, ChannelSelection channels, Integer audioStream) {
    Integer requested = audioStream != null ? audioStream : config.audioStream();
    FFmpegFrameGrabber grabber = start(configure(source.grabber(), channels, -1), source);
    try {
      int wanted = audioStreamIndex(grabber.getFormatContext(), requested, source.label());
      if (wanted >= 0 && wanted != grabber.getAudioStream()) {
        grabber.close();
        source.rewind();
        grabber = start(configure(source.grabber(), channels, wanted), source);
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

  private static boolean hasAudio(FFmpegFrameGrabber grabber) {
    return grabber.hasAudio() && grabber.getAudioChannels() > 0;
  }

  private static boolean hasPicture(FFmpegFrameGrabber grabber) {
    return grabber.hasVideo() && grabber.getImageWidth() > 0;
  }

  private static FFmpegFrameGrabber configure(
      FFmpegFrameGrabber grabber, ChannelSelection channels, int audioStream) {
    grabber.setSampleRate(SAMPLE_RATE);
    // 0 keeps the source's channels (interleaved), so a selected channel is never mixed with the
    // other.
    grabber.setAudioChannels(channels.splitsChannels() ? 0 : 1);
    grabber.setSampleFormat(avutil.AV_SAMPLE_FMT_S16);
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

  private static FFmpegFrameGrabber start(FFmpegFrameGrabber grabber, Source source) {
    try {
      grabber.start();
      return grabber;
    } catch (FrameGrabber.Exception | RuntimeException e) {
      closeQuietlyAfterFailure(grabber);
      IngestException cut = source.cutOff(0);
      if (cut != null) {
        throw cut;
      }
      throw new IngestException(
          "'"
              + source.label()
              + "' is not a media file FFmpeg can read"
              + " (expected a video such as MP4, MKV, WebM or MOV, or an audio file)",
          e);
    }
  }

  private static void closeQuietlyAfterFailure(FFmpegFrameGrabber grabber) {
    try {
      grabber.close();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      // the start failure is what the user needs to hear about
    }
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
      this.targets = plan.frameTargets(index, config.framesPerSegment());
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

  /** State of one demux pass: the clips being filled and how far each stream has got. */
  private final class Run {
    private final SegmentPlan plan;
    private final boolean hasAudio;
    private final boolean hasVideo;
    private final List<ChannelSelection.Track> tracks;
    private final Java2DFrameConverter converter;
    private final Consumer<DemuxedClip> sink;
    private final FrameRotation rotation;
    private final TreeMap<Integer, ClipBuffer> open = new TreeMap<>();
    private int nextToEmit;
    private long audioSamples;
    private long videoMs;
    private int emitted;
    // Live sources only (-1 for a file): the current connection's first video timestamp, and the
    // media time it starts at.
    private long connectionBase = -1;
    private long connectionOffset = -1;
    private long lastFrameNanos;

    Run(
        SegmentPlan plan,
        boolean hasAudio,
        boolean hasVideo,
        List<ChannelSelection.Track> tracks,
        Java2DFrameConverter converter,
        Consumer<DemuxedClip> sink,
        FrameRotation rotation) {
      this.plan = plan;
      this.hasAudio = hasAudio;
      this.hasVideo = hasVideo;
      this.tracks = tracks;
      this.converter = converter;
      this.sink = sink;
      this.rotation = rotation;
    }

    int drain(FFmpegFrameGrabber grabber, Source source) throws FrameGrabber.Exception {
      Frame frame;
      while ((frame = grab(grabber, source)) != null) {
        onFrame(frame, grabber, "'" + source.label() + "'");
      }
      IngestException cut = source.cutOff(emitted);
      if (cut != null) {
        throw cut; // the clips still open were cut short
      }
      for (ClipBuffer clip : open.values()) {
        if (!clip.isEmpty()) {
          emit(clip);
        }
      }
      if (emitted == 0) {
        throw new IngestException("no decodable audio or video frames were found");
      }
      return emitted;
    }

    /**
     * Decodes one connection of a live source until it ends or is lost (null) or {@code control}
     * asks to stop (its reason). Video timestamps are rebased: each connection's first one is the
     * media time reached so far, so segments follow media time across reconnects.
     */
    String drainLive(FFmpegFrameGrabber grabber, LiveControl control, String what)
        throws FrameGrabber.Exception {
      connectionBase = -1;
      connectionOffset = mediaMs();
      lastFrameNanos = System.nanoTime();
      Frame frame;
      while ((frame = grab(grabber, null)) != null) {
        lastFrameNanos = System.nanoTime();
        onFrame(frame, grabber, what);
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
        if (!clip.isEmpty() && mediaMs() - plan.start(clip.index) >= config.minSegmentMs()) {
          emit(clip);
        }
      }
      open.clear();
    }

    long mediaMs() {
      return Math.max(videoMs, audioSamples * 1000 / SAMPLE_RATE);
    }

    int emitted() {
      return emitted;
    }

    private void onFrame(Frame frame, FFmpegFrameGrabber grabber, String what) {
      if (hasVideo && frame.image != null) {
        onImage(frame, videoTime(grabber.getTimestamp() / 1000));
      } else if (hasAudio && frame.samples != null) {
        onSamples((ShortBuffer) frame.samples[0], Math.max(1, frame.audioChannels));
      }
      emitCompleted();
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

    /** A file's timestamps as they are; a live connection's rebased ({@link #drainLive}). */
    private long videoTime(long timestampMs) {
      if (connectionOffset < 0) {
        return timestampMs;
      }
      if (connectionBase < 0) {
        connectionBase = timestampMs;
      }
      return connectionOffset + Math.max(0, timestampMs - connectionBase);
    }

    /**
     * JavaCV can throw unchecked exceptions on damaged streams (seen in VideoDemuxerFuzzTest: a
     * NullPointerException in FFmpegFrameGrabber.processSamples on a corrupted AAC frame); they are
     * the input's fault, so an IngestException that says how many clips were already published
     * before the damage. {@code source} is null for a live URL (nothing of its own to cut it off).
     */
    private Frame grab(FFmpegFrameGrabber grabber, Source source) throws FrameGrabber.Exception {
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
                + Math.max(videoMs, audioSamples * 1000 / SAMPLE_RATE)
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
      int index = plan.indexOf(timestampMs);
      if (index < nextToEmit) {
        return; // a straggler of a clip already published
      }
      ClipBuffer clip = buffer(index);
      if (clip.nextSlot < clip.targets.length && timestampMs >= clip.targets[clip.nextSlot]) {
        clip.frames.add(encode(converter.convert(frame), rotation, timestampMs));
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
      for (int t = 0; t < tracks.size(); t++) {
        short[] mono =
            channels == 1
                ? interleaved
                : ChannelSelection.channel(
                    interleaved, channels, Math.min(tracks.get(t).channel(), channels - 1));
        trackBytes[t] = new byte[mono.length * 2];
        ByteBuffer.wrap(trackBytes[t]).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(mono);
      }
      int count = interleaved.length / channels;
      int offset = 0;
      while (offset < count) {
        long sample = audioSamples + offset;
        int index = plan.indexOf(sample * 1000 / SAMPLE_RATE);
        long boundary = isLast(index) ? Long.MAX_VALUE : plan.end(index) * SAMPLE_RATE / 1000;
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
    }

    private boolean isLast(int index) {
      return plan.durationKnown() && index == plan.count() - 1;
    }

    /**
     * Publishes, in order, every clip whose end both streams have passed; the last clip waits for
     * the end.
     */
    private void emitCompleted() {
      while (!isLast(nextToEmit)) {
        long end = plan.end(nextToEmit);
        boolean audioDone = !hasAudio || audioSamples * 1000 / SAMPLE_RATE >= end;
        boolean videoDone = !hasVideo || videoMs >= end;
        if (!(audioDone && videoDone)) {
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
      long start = plan.start(clip.index);
      long end =
          plan.durationKnown()
              ? plan.end(clip.index)
              : Math.max(
                  start + 1,
                  Math.min(
                      plan.end(clip.index), Math.max(videoMs, audioSamples * 1000 / SAMPLE_RATE)));
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
  }

  /**
   * Scaled to fit {@code maxFrameSide} (the longer side, so before or after turning is the same),
   * turned upright.
   */
  private DemuxedClip.SampledFrame encode(
      BufferedImage image, FrameRotation rotation, long timestampMs) {
    BufferedImage scaled = rotation.apply(fit(image, config.maxFrameSide()));
    return new DemuxedClip.SampledFrame(
        timestampMs, scaled.getWidth(), scaled.getHeight(), jpeg(scaled, config.jpegQuality()));
  }

  static BufferedImage fit(BufferedImage image, int maxSide) {
    int w = image.getWidth();
    int h = image.getHeight();
    double scale = Math.min(1.0, (double) maxSide / Math.max(w, h));
    int tw = Math.max(1, (int) Math.round(w * scale));
    int th = Math.max(1, (int) Math.round(h * scale));
    BufferedImage out = new BufferedImage(tw, th, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(image, 0, 0, tw, th, null);
    g.dispose();
    return out;
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
  }
}
