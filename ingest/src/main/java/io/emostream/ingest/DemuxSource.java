package io.emostream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameGrabber;

/** What a demux reads: a file, or a stream read while it arrives ({@link VideoDemuxer}). */
interface DemuxSource {
  /** How messages name it: the file's name, or the stream's. */
  String label();

  /** A new grabber on it, not started. */
  FFmpegFrameGrabber grabber();

  /** Before a second grabber is started on it (another audio stream): back to its start. */
  default void rewind() {}

  /** The grabber in use is started: there will be no second one. */
  default void opened() {}

  /** Read straight through as it arrives (no seeking back): a pipe, an upload's body. */
  default boolean sequential() {
    return false;
  }

  /**
   * The milliseconds its header declares when FFmpeg does not report them (-1: nothing more than
   * FFmpeg's duration): a WAV file's data chunk, which FFmpeg trims to the bytes in the file.
   */
  default long headerDurationMs() {
    return -1;
  }

  /**
   * Not null when the input was cut off or failed before its end, after {@code published} clips
   * were published.
   */
  default IngestException cutOff(int published) {
    return null;
  }

  /**
   * Why FFmpeg could not open it, when its first bytes say more than "not a media file": null when
   * they do not.
   */
  default String unopenable() {
    return null;
  }

  /**
   * An ISO media file (MP4, MOV, M4A: an {@code ftyp} box first) that FFmpeg cannot open has lost
   * its index, the {@code moov} box a recorder writes last: the file was copied or uploaded before
   * its recording finished, or cut. Null for other heads.
   */
  static String unopenableIsoMedia(String label, byte[] head) {
    if (head.length >= 8 && head[4] == 'f' && head[5] == 't' && head[6] == 'y' && head[7] == 'p') {
      return "'"
          + label
          + "' is an MP4/MOV file without its index (the moov box a recorder writes at the end):"
          + " truncated or damaged, e.g. copied before its recording had finished";
    }
    return null;
  }

  /** A media file. */
  static DemuxSource file(Path file) {
    return new DemuxSource() {
      @Override
      public String label() {
        return file.getFileName().toString();
      }

      @Override
      public String unopenable() {
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(file)) {
          return unopenableIsoMedia(
              label(), head.length == in.readNBytes(head, 0, 8) ? head : new byte[0]);
        } catch (IOException e) {
          return null;
        }
      }

      @Override
      public FFmpegFrameGrabber grabber() {
        return new FFmpegFrameGrabber(file.toFile());
      }

      @Override
      public long headerDurationMs() {
        return WavHeader.declaredMs(file);
      }
    };
  }

  /**
   * No seek callback ({@code maximumSize} 0), so FFmpeg reads the stream straight through and
   * JavaCV keeps no copy of it to seek back in; the stream is not closed with the grabber.
   */
  static DemuxSource stream(MediaStream stream, String name) {
    return new DemuxSource() {
      @Override
      public String label() {
        return name;
      }

      @Override
      public boolean sequential() {
        return true;
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
                + MediaStream.inWords(failure)
                + " ("
                + published
                + " clip(s) before it were published)",
            failure);
      }
    };
  }
}
