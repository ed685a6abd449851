package io.emostream.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a live URL for {@link VideoDemuxer#demuxLive}: FFmpeg's options and timeouts per protocol,
 * reconnects with backoff while media time goes on, and why a source ended.
 */
final class LiveDemuxer {

  private static final Logger LOG = LoggerFactory.getLogger(LiveDemuxer.class);

  private final IngestConfig config;
  private final BiFunction<Boolean, Long, SpeechSegments> speech;

  /**
   * @param speech a new source's VAD cuts from whether it has audio and its duration (null: fixed
   *     windows)
   */
  LiveDemuxer(IngestConfig config, BiFunction<Boolean, Long, SpeechSegments> speech) {
    this.config = config;
    this.speech = speech;
  }

  /** See {@link VideoDemuxer#demuxLive}. */
  String demuxLive(
      String url,
      ChannelSelection channels,
      LiveControl control,
      VideoDemuxer.LiveListener listener,
      Consumer<DemuxedClip> sink) {
    IngestConfig.LiveLimits limits = config.live();
    String shown = SourceEvents.redact(url);
    DemuxRun run = null;
    Duration backoff = IngestConfig.LiveLimits.FIRST_BACKOFF;
    long lostAt = -1;
    long lostAtMediaMs = -1;
    String lossError = null;
    boolean lossStalled = false;
    String lastError = null;
    int firstChannels = 0;
    try (FrameEncoder encoder = VideoDemuxer.encoder(config)) {
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
          int channelsNow = audioChannels(grabber);
          if (run == null) {
            run = liveRun(grabber, channels, encoder, sink);
            firstChannels = channelsNow;
          } else {
            String changed = channelsChanged(channels, firstChannels, channelsNow);
            if (changed != null) {
              return finish(run, SourceEvents.error(changed));
            }
            if (!run.hasVideo()
                && VideoDemuxer.hasPicture(grabber)
                && channels.publishesFrames(Math.max(1, channelsNow))) {
              LOG.info(
                  "{}: video since this reconnect; its frames are analysed from now on", shown);
              run.videoAppeared();
            }
          }
          listener.live();
          long grabbedBefore = run.framesGrabbed();
          reason = run.drainLive(grabber, control, shown);
          if (reason != null) {
            return finish(run, reason);
          }
          if (run.framesGrabbed() > grabbedBefore) {
            // back only once media came: a server that opens and then fails at once (an MP4 whose
            // index is at its end, served without ranges) was retried without end, several times
            // a second, since every open reset the reconnect window and the backoff
            backoff = IngestConfig.LiveLimits.FIRST_BACKOFF;
            lostAt = -1;
          }
          long silentNanos = System.nanoTime() - run.lastFrameNanos();
          stalled = silentNanos >= silenceLimit(url, limits).toNanos() * 9 / 10;
          lastError =
              stalled
                  ? "no data for " + silentNanos / 1_000_000 + " ms (EMOSTREAM_LIVE_READ_TIMEOUT)"
                  : lostError(grabber);
          if (lastError == null && run.framesGrabbed() == 0) {
            // an end before any media is no stream that completed (an MP4 whose index is at its
            // end, served without ranges, opens and ends at once): tried again, then timeout
            lastError = "the stream ended before any media arrived";
          }
          if (lastError == null) {
            // A clean end of stream (RTSP's BYE, an HLS playlist's end): nothing to reconnect to.
            return finish(run, SourceEvents.COMPLETED);
          }
        } catch (FrameGrabber.Exception e) {
          lastError = SourceEvents.scrub(e.getMessage(), url);
        } finally {
          if (grabber != null) {
            VideoDemuxer.closeQuietlyAfterFailure(grabber);
          }
        }
        String stopAsked = control.stopReason();
        if (stopAsked != null) {
          // a stop asked for during a failed attempt wins over the reconnect window's end
          return finish(run, stopAsked);
        }
        long now = System.nanoTime();
        if (lostAt < 0) {
          lostAt = now;
          lossStalled = stalled;
          lossError = lastError;
          lostAtMediaMs = run == null || run.framesGrabbed() == 0 ? -1 : run.mediaMs();
        }
        if (Duration.ofNanos(now - lostAt).compareTo(limits.reconnectFor()) >= 0) {
          return finish(run, endReason(lossStalled, lossError, lostAtMediaMs, lastError));
        }
        if (control.awaitStop(backoff)) {
          continue;
        }
        backoff = IngestConfig.LiveLimits.doubled(backoff, IngestConfig.LiveLimits.MAX_BACKOFF);
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
  /** FFmpeg's AVERROR_INVALIDDATA as JavaCV's errors print it ("Invalid data found ..."). */
  static final String INVALID_DATA = "error -1094995529";

  static String endReason(
      boolean lossStalled, String lossError, long lostAtMediaMs, String lastError) {
    if (lostAtMediaMs < 0) {
      if (lastError != null && lastError.contains(INVALID_DATA)) {
        // a server that answered with something else than media is no timeout (helper-49)
        return "error: the server's answer is not a media stream FFmpeg can read ("
            + lastError
            + ")";
      }
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

  private static String finish(DemuxRun run, String reason) {
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
    String scheme = VideoDemuxer.scheme(url);
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
    return switch (VideoDemuxer.scheme(url)) {
      case "rtsp", "rtsps", "http", "https" ->
          limits.readTimeout().compareTo(limits.connectTimeout()) < 0
              ? limits.readTimeout()
              : limits.connectTimeout();
      default -> limits.readTimeout();
    };
  }

  /** A started grabber on a live URL, options set; the caller closes it. */
  private FFmpegFrameGrabber startLive(String url, ChannelSelection channels, String shown)
      throws FrameGrabber.Exception {
    // FFmpeg's protocol names are lower case; a URL's scheme is case-insensitive (RFC 3986)
    String scheme = VideoDemuxer.scheme(url);
    FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(scheme + url.substring(scheme.length()));
    VideoDemuxer.decodeOptions(grabber, config.decodesReferenceFramesOnly());
    liveOptions(url, config.live()).forEach(grabber::setOption);
    try {
      VideoDemuxer.startWithoutGlobalLock(grabber);
      VideoDemuxer.audioOutput(grabber, channels);
    } catch (FrameGrabber.Exception | RuntimeException e) {
      VideoDemuxer.closeQuietlyAfterFailure(grabber);
      // FFmpeg's message quotes the URL as given, secrets and all: only its redacted form goes on
      throw new FrameGrabber.Exception(
          "could not open " + shown + ": " + SourceEvents.scrub(e.getMessage(), url));
    }
    long pixels = (long) grabber.getImageWidth() * grabber.getImageHeight();
    if (!VideoDemuxer.hasAudio(grabber) && !VideoDemuxer.hasPicture(grabber)) {
      VideoDemuxer.closeQuietlyAfterFailure(grabber);
      throw new IngestException(shown + " has neither an audio nor a video stream");
    }
    if (grabber.hasVideo() && pixels > config.maxFramePixels()) {
      VideoDemuxer.closeQuietlyAfterFailure(grabber);
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

  private static int audioChannels(FFmpegFrameGrabber grabber) {
    return VideoDemuxer.hasAudio(grabber) ? grabber.getAudioChannels() : 0;
  }

  /**
   * Why a source whose channels are picked ({@code left}, {@code right}, {@code both}, or the
   * roles' customer) cannot go on after a reconnect that brought another channel count, or null. A
   * stereo call republished as mono gave its one mixed voice to both sides, the agent's role
   * included (found by helper-49); a picked side must be the same side of the same call.
   */
  static String channelsChanged(ChannelSelection channels, int before, int now) {
    if (!channels.splitsChannels() || before == now || before == 0 || now == 0) {
      return null;
    }
    return "the stream came back with "
        + now
        + " audio channel(s) instead of "
        + before
        + ", so the side of the call it picks (channel "
        + channels.mode().name().toLowerCase(Locale.ROOT)
        + ") is not known any more; start it again (with channel=mix to analyse the mix)";
  }

  private DemuxRun liveRun(
      FFmpegFrameGrabber grabber,
      ChannelSelection channels,
      FrameEncoder encoder,
      Consumer<DemuxedClip> sink) {
    boolean hasAudio = VideoDemuxer.hasAudio(grabber);
    int sourceChannels = hasAudio ? grabber.getAudioChannels() : 1;
    if (hasAudio && channels.mixesInOtherRoles()) {
      LOG.warn(channels.mixWarning("a live source"));
    }
    return new DemuxRun(
        config,
        new SegmentPlan(0, config.segmentMs(), config.minSegmentMs()),
        hasAudio,
        VideoDemuxer.hasPicture(grabber) && channels.publishesFrames(sourceChannels),
        channels.tracks(sourceChannels),
        encoder,
        sink,
        FrameRotation.of(grabber.getDisplayRotation()),
        speech.apply(hasAudio, 0L));
  }
}
