package io.emostream.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Bytes read as a slow sender would send them: the first {@code gateAt} bytes at once, then the
 * reader blocks until {@link #open()} (a latch, not a timer), then the rest, or the failure given
 * to {@link #fail(IOException)}. A test holds the rest of a body back until it has seen what it
 * waits for, so "before the body ended" is a fact, not a timing.
 */
public final class GatedStream extends InputStream {

  private final byte[] bytes;
  private final int gateAt;
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch reachedGate = new CountDownLatch(1);
  private final int chunk;
  private volatile IOException failure;
  private int position;

  /**
   * @param chunk the most bytes one read returns (a sender's chunk size)
   */
  public GatedStream(byte[] bytes, int gateAt, int chunk) {
    this.bytes = bytes;
    this.gateAt = gateAt;
    this.chunk = chunk;
  }

  /** Lets the rest through. */
  public void open() {
    gate.countDown();
  }

  /** Lets the reader through to {@code failure} instead of the rest. */
  public void fail(IOException failure) {
    this.failure = failure;
    gate.countDown();
  }

  /** Whether a reader has read every byte before the gate and is waiting at it. */
  public boolean waitingAtGate() {
    return reachedGate.getCount() == 0 && gate.getCount() == 1;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (position == gateAt && gateAt < bytes.length) {
      reachedGate.countDown();
      try {
        if (!gate.await(5, TimeUnit.MINUTES)) {
          throw new IOException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted at the gate", e);
      }
      if (failure != null) {
        throw failure;
      }
    }
    if (position >= bytes.length) {
      return -1;
    }
    int limit = position < gateAt ? gateAt : bytes.length;
    int n = Math.min(Math.min(len, chunk), limit - position);
    System.arraycopy(bytes, position, b, off, n);
    position += n;
    return n;
  }
}
