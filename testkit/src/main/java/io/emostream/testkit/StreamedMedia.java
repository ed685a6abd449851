package io.emostream.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;

/**
 * A media file remuxed (packets copied, nothing re-encoded) into a container written to a pipe, as
 * a recorder or {@code ffmpeg ... -f matroska -} writes a call in progress: no seeking back, so no
 * duration in the header. For tests of streamed uploads and {@code analyze -}.
 */
public final class StreamedMedia {

  /** The containers FFmpeg demuxes without seeking, with the options that make them so. */
  public enum Container {
    MATROSKA("matroska", Map.of()),
    MPEGTS("mpegts", Map.of()),
    FRAGMENTED_MP4("mp4", Map.of("movflags", "frag_keyframe+empty_moov+default_base_moof")),
    FLV("flv", Map.of());

    private final String format;
    private final Map<String, String> options;

    Container(String format, Map<String, String> options) {
      this.format = format;
      this.options = options;
    }
  }

  private StreamedMedia() {}

  /** The bytes of {@code source} remuxed into {@code container}. */
  public static byte[] remux(Path source, Container container) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source.toFile())) {
      grabber.start();
      AVFormatContext input = grabber.getFormatContext();
      for (int i = 0; i < input.nb_streams(); i++) {
        // MP4's codec tags (avc1, mp4a) are not Matroska's or FLV's: let the muxer choose, as
        // ffmpeg -c copy does.
        input.streams(i).codecpar().codec_tag(0);
      }
      try (FFmpegFrameRecorder recorder =
          new FFmpegFrameRecorder(
              out, grabber.getImageWidth(), grabber.getImageHeight(), grabber.getAudioChannels())) {
        recorder.setFormat(container.format);
        container.options.forEach(recorder::setOption);
        recorder.start(input);
        AVPacket packet;
        while ((packet = grabber.grabPacket()) != null) {
          recorder.recordPacket(packet);
        }
        recorder.stop();
      }
    }
    return out.toByteArray();
  }
}
