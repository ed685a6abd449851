package io.emostream.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A media source read while it arrives (an upload's body, standard input), as FFmpeg reads it: it
 * counts the bytes against EMOSTREAM_MAX_UPLOAD_BYTES and asks a {@link Guard} after each read. It
 * never throws at FFmpeg (JavaCV prints such exceptions and ends the read); a failure or a limit
 * ends the stream early and is kept ({@link #failure()}), so the demuxer can tell an input cut off
 * from one that ended, and publish no clip that was not complete.
 *
 * <p>The head (up to {@link #MAX_HEAD} bytes) is kept until {@link #rewind()} or {@link
 * #forgetHead()}: choosing an audio stream opens the source twice, the second time from the start.
 * Not thread-safe: one reader at a time; {@link #cutOff} may come from another thread.
 */
public final class MediaStream extends InputStream {

  /** The most of the head kept for {@link #rewind()}; FFmpeg probes far less. */
  static final int MAX_HEAD = 32 << 20;

  /** Checks the stream after each read; throws to cut it off. */
  @FunctionalInterface
  public interface Guard {
    void check(long bytesRead) throws UploadCutOff;
  }

  private final InputStream source;
  private final long maxBytes;
  private final Guard guard;
  private ByteArrayOutputStream head = new ByteArrayOutputStream();
  private byte[] replay;
  private int replayed;
  private long count;
  private long waitedNanos;
  private volatile boolean inRead;
  private volatile boolean ended;
  private volatile IOException failure;

  /**
   * @param maxBytes the most bytes read before it is cut off with {@code 413}
   */
  public MediaStream(InputStream source, long maxBytes, Guard guard) {
    this.source = source;
    this.maxBytes = maxBytes;
    this.guard = guard;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (replay != null) {
      if (replayed < replay.length) {
        int n = Math.min(len, replay.length - replayed);
        System.arraycopy(replay, replayed, b, off, n);
        replayed += n;
        return n;
      }
      replay = null;
    }
    if (failure != null || ended) {
      return -1;
    }
    int n;
    long start = System.nanoTime();
    inRead = true;
    try {
      n = source.read(b, off, len);
    } catch (IOException e) {
      failure = e;
      return -1;
    } finally {
      inRead = false;
      waitedNanos += System.nanoTime() - start;
    }
    if (n < 0) {
      ended = true;
      return -1;
    }
    count += n;
    try {
      if (count > maxBytes) {
        throw new UploadCutOff(
            413,
            "larger than the limit of "
                + maxBytes
                + " bytes ("
                + IngestConfig.MAX_UPLOAD_BYTES_ENV
                + ")",
            null);
      }
      guard.check(count);
    } catch (UploadCutOff e) {
      failure = e;
      return -1;
    }
    if (head != null) {
      if (head.size() + n <= MAX_HEAD) {
        head.write(b, off, n);
      } else {
        head = null;
      }
    }
    return n;
  }

  /**
   * Whether a read is waiting for the source now: a silence then is the sender's; one while the
   * reader is busy elsewhere (decoding, publishing) is not.
   */
  public boolean inRead() {
    return inRead;
  }

  /**
   * How long reads of the source have waited so far: the time the sender is answerable for, not the
   * time the reader spent elsewhere (decoding, publishing, or queued before its first read).
   */
  public long waitedNanos() {
    return waitedNanos;
  }

  /**
   * Reads again from the first byte (what was read so far is replayed, then the source goes on);
   * once only.
   *
   * @throws IngestException when the head was longer than {@link #MAX_HEAD} or already forgotten
   */
  void rewind() {
    if (head == null) {
      throw new IngestException(
          "the stream cannot be opened a second time to choose its audio stream (its head is over "
              + MAX_HEAD
              + " bytes); send it without choosing an audio stream");
    }
    replay = head.toByteArray();
    replayed = 0;
    head = null;
  }

  /** No second opening: the head is dropped. */
  void forgetHead() {
    head = null;
  }

  /** Cuts the stream off from another thread: the next read ends it. */
  public void cutOff(IOException why) {
    if (failure == null && !ended) {
      failure = why;
    }
  }

  /**
   * A failure of the stream in words for a person (an ENDED event's reason, an answer): no
   * exception class names, no bare "null".
   */
  static String inWords(IOException failure) {
    if (UploadHandler.causedByTimeout(failure)) {
      return "nothing arrived within the idle timeout";
    }
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      return "the connection ended";
    }
    return message.replaceAll("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error): ", "");
  }

  /**
   * Ends the stream from another thread as if its source had ended there: the next read returns the
   * end (a read already waiting on the source first returns what it gets), and what was read is a
   * complete input, not a cut-off one. {@code analyze -} on the user's first Ctrl-C.
   */
  public void endHere() {
    ended = true;
  }

  /** Why the stream was cut off or failed, null while it is fine or once it ended normally. */
  public IOException failure() {
    return failure;
  }

  /** Whether the source was read to its end. */
  public boolean ended() {
    return ended;
  }

  /** Bytes read from the source. */
  public long bytesRead() {
    return count;
  }

  /** Does not close the source: whoever opened it does. */
  @Override
  public void close() {
    head = null;
    replay = null;
  }
}
