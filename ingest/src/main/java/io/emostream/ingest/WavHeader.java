package io.emostream.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a WAV file's header says its audio lasts. FFmpeg's WAV demuxer trims a {@code data} chunk
 * that runs past the end of the file to the bytes there, so a recording cut off mid-copy reads as a
 * shorter, complete file; the header still holds the length the writer meant.
 */
final class WavHeader {

  /**
   * Sizes a writer puts in the header while it does not yet know the length (FFmpeg and sox write
   * 0xFFFFFFFF to a pipe, some recorders 0 or 0x7FFFFFFF until they close the file).
   */
  private static final long UNKNOWN_32 = 0xFFFF_FFFFL;

  private static final long UNKNOWN_31 = 0x7FFF_FFFFL;

  /** Chunks walked before the {@code data} chunk at most (LIST, fact, bext, junk, ...). */
  private static final int MAX_CHUNKS = 64;

  private WavHeader() {}

  /**
   * The milliseconds of audio the {@code data} chunk declares, or -1 when the file is not a RIFF
   * WAVE file (RF64 included: its sizes live elsewhere), the size is a placeholder, or the header
   * cannot be read.
   */
  static long declaredMs(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return declaredMs(channel);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static long declaredMs(FileChannel channel) throws IOException {
    ByteBuffer head = read(channel, 0, 12);
    if (head == null || head.getInt(0) != fourCc("RIFF") || head.getInt(8) != fourCc("WAVE")) {
      return -1;
    }
    long bytesPerSecond = -1;
    long position = 12;
    for (int chunk = 0; chunk < MAX_CHUNKS; chunk++) {
      ByteBuffer header = read(channel, position, 8);
      if (header == null) {
        return -1;
      }
      int id = header.getInt(0);
      long size = Integer.toUnsignedLong(header.getInt(4));
      if (id == fourCc("fmt ")) {
        ByteBuffer fmt = read(channel, position + 8, 12);
        if (fmt == null) {
          return -1;
        }
        bytesPerSecond = Integer.toUnsignedLong(fmt.getInt(8)); // nAvgBytesPerSec
      } else if (id == fourCc("data")) {
        if (bytesPerSecond <= 0 || size == 0 || size == UNKNOWN_32 || size == UNKNOWN_31) {
          return -1;
        }
        return size * 1000 / bytesPerSecond;
      }
      position += 8 + size + (size & 1); // chunks are padded to an even length
    }
    return -1;
  }

  /** {@code n} bytes at {@code position}, little-endian; null when the file ends before them. */
  private static ByteBuffer read(FileChannel channel, long position, int n) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        return null;
      }
    }
    return buffer.flip();
  }

  /** A chunk id as a little-endian int, the way {@link #read} reads it. */
  private static int fourCc(String id) {
    return id.charAt(0) | id.charAt(1) << 8 | id.charAt(2) << 16 | id.charAt(3) << 24;
  }
}
