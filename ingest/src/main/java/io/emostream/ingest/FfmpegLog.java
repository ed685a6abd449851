package io.emostream.ingest;

import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FFmpeg's own log lines (errors only: {@code av_log_set_level(AV_LOG_ERROR)}) through SLF4J's
 * logger {@code ffmpeg} at WARN instead of straight to the process's stderr, with every URL in them
 * redacted ({@link SourceEvents#scrub}): FFmpeg names the URL it was given, password and token
 * included, in lines such as {@code Connection to srt://host:9?passphrase=... failed}.
 */
final class FfmpegLog extends LogCallback {

  private static final Logger LOG = LoggerFactory.getLogger("ffmpeg");

  /** Held here: FFmpeg keeps only the native pointer, so the callback must never be collected. */
  private static final FfmpegLog INSTANCE = new FfmpegLog();

  private FfmpegLog() {}

  /** Routes FFmpeg's log through this class; idempotent. */
  static synchronized void install() {
    avutil.setLogCallback(INSTANCE);
  }

  @Override
  public void call(int level, BytePointer message) {
    if (level > avutil.av_log_get_level() || message == null || message.isNull()) {
      return;
    }
    String line = line(message.getString());
    if (line != null) {
      LOG.warn("{}", line);
    }
  }

  /** What is logged of one FFmpeg message: trimmed, URLs redacted; {@code null} when blank. */
  static String line(String message) {
    String trimmed = message == null ? "" : message.strip();
    return trimmed.isEmpty() ? null : SourceEvents.scrub(trimmed);
  }
}
