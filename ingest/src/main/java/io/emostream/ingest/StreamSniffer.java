package io.emostream.ingest;

import java.nio.charset.StandardCharsets;

/**
 * Decides from the first bytes of an upload whether FFmpeg can demux it while it arrives, without
 * seeking: Matroska / WebM (EBML magic), MPEG-TS (sync byte every 188 bytes), FLV ({@code FLV}) and
 * fragmented MP4 (an ISO BMFF {@code moov} that holds {@code mvex}, before any {@code mdat}) are
 * streamed; everything else, a plain MP4 or MOV among them (FFmpeg seeks to its index, which may
 * sit at the end), is spooled whole first. The Content-Type is not consulted: clients send {@code
 * application/octet-stream} for anything. Pure, so each verdict is tested on bytes.
 */
public final class StreamSniffer {

  /** What to do with the upload; {@link #MORE}: not decided until more bytes arrive. */
  public enum Verdict {
    STREAM,
    SPOOL,
    MORE
  }

  /** The verdict and the container it saw ("unknown" when spooled for not being recognised). */
  public record Sniff(Verdict verdict, String container) {}

  /** The most bytes looked at; past it an undecided upload is spooled. */
  public static final int WINDOW = 64 * 1024;

  private static final int TS_PACKET = 188;

  private StreamSniffer() {}

  /**
   * @param head the first {@code length} bytes of the body
   * @param ended whether the body ends there (then the verdict is never {@link Verdict#MORE})
   */
  public static Sniff sniff(byte[] head, int length, boolean ended) {
    Sniff sniff = look(head, Math.min(length, head.length));
    if (sniff.verdict() == Verdict.MORE && (ended || length >= WINDOW)) {
      return new Sniff(Verdict.SPOOL, sniff.container());
    }
    return sniff;
  }

  private static Sniff look(byte[] b, int n) {
    if (n < 4) {
      return new Sniff(Verdict.MORE, "unknown");
    }
    if ((b[0] & 0xff) == 0x1a
        && (b[1] & 0xff) == 0x45
        && (b[2] & 0xff) == 0xdf
        && (b[3] & 0xff) == 0xa3) {
      return new Sniff(Verdict.STREAM, "matroska");
    }
    if (b[0] == 'F' && b[1] == 'L' && b[2] == 'V') {
      return new Sniff(Verdict.STREAM, "flv");
    }
    if (b[0] == 0x47) {
      if (n < 2 * TS_PACKET + 1) {
        return new Sniff(Verdict.MORE, "mpegts");
      }
      return b[TS_PACKET] == 0x47 && b[2 * TS_PACKET] == 0x47
          ? new Sniff(Verdict.STREAM, "mpegts")
          : new Sniff(Verdict.SPOOL, "unknown");
    }
    if (n >= 8 && box(b, 0).equals("ftyp")) {
      return isoBmff(b, n);
    }
    return n >= 8 ? new Sniff(Verdict.SPOOL, "unknown") : new Sniff(Verdict.MORE, "unknown");
  }

  /**
   * Walks the top-level boxes: a {@code moov} with an {@code mvex} child (fragmented) before any
   * {@code mdat} streams; a {@code mdat} first or a {@code moov} without {@code mvex} spools.
   */
  private static Sniff isoBmff(byte[] b, int n) {
    long at = 0;
    while (at + 8 <= n) {
      long size = size(b, (int) at, n);
      if (size < 0) {
        return new Sniff(Verdict.MORE, "mp4");
      }
      String type = box(b, (int) at);
      if (type.equals("mdat")) {
        return new Sniff(Verdict.SPOOL, "mp4");
      }
      if (type.equals("moof")) {
        return new Sniff(Verdict.STREAM, "fragmented mp4");
      }
      if (type.equals("moov")) {
        return moov(b, n, at, size);
      }
      if (size < 8) {
        return new Sniff(Verdict.SPOOL, "mp4"); // 0 (to the end) or malformed
      }
      at += size;
    }
    return new Sniff(Verdict.MORE, "mp4");
  }

  private static Sniff moov(byte[] b, int n, long start, long size) {
    long end = start + size;
    long at = start + 8;
    while (at + 8 <= Math.min(n, end)) {
      long child = size(b, (int) at, n);
      if (child < 0) {
        return new Sniff(Verdict.MORE, "mp4");
      }
      if (box(b, (int) at).equals("mvex")) {
        return new Sniff(Verdict.STREAM, "fragmented mp4");
      }
      if (child < 8) {
        return new Sniff(Verdict.SPOOL, "mp4");
      }
      at += child;
    }
    return at >= end ? new Sniff(Verdict.SPOOL, "mp4") : new Sniff(Verdict.MORE, "mp4");
  }

  /** The box's size (64-bit sizes read too), or -1 when its header is not all there yet. */
  private static long size(byte[] b, int at, int n) {
    long size = u32(b, at);
    if (size == 1) {
      if (at + 16 > n) {
        return -1;
      }
      return (u32(b, at + 8) << 32) | u32(b, at + 12);
    }
    return size;
  }

  private static long u32(byte[] b, int at) {
    return ((b[at] & 0xffL) << 24)
        | ((b[at + 1] & 0xffL) << 16)
        | ((b[at + 2] & 0xffL) << 8)
        | (b[at + 3] & 0xffL);
  }

  private static String box(byte[] b, int at) {
    return new String(b, at + 4, 4, StandardCharsets.ISO_8859_1);
  }
}
