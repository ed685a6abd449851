package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One {@code ./emostream} at a time on an EMOSTREAM_KAFKA_DATA_DIR: an exclusive lock on {@value
 * #NAME} in it, taken before the broker starts and held until the platform stops. Kafka's own lock
 * is checked only after its Raft layer has written the folder's quorum state, so a second instance
 * on a folder in use was refused by Kafka but left the first one's controller spinning and unable
 * to stop on SIGTERM.
 */
final class DataDirLock implements AutoCloseable {

  static final String NAME = ".emostream.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dir} for this process, writing its pid in the lock file.
   *
   * @throws InputException when another process (or this one) holds it
   */
  static DataDirLock acquire(Path dir, String variable) throws IOException {
    Path file = dir.resolve(NAME);
    FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = holder(file);
      channel.close();
      throw new InputException(
          variable
              + "="
              + dir
              + " is in use by another ./emostream"
              + holder
              + ": stop it first, or give each instance its own folder");
    }
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
        0);
    return new DataDirLock(channel, lock);
  }

  private static String holder(Path file) {
    try {
      String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
      return pid.matches("\\d{1,10}") ? " (pid " + pid + ")" : "";
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
