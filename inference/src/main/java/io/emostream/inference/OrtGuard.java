package io.emostream.inference;

import ai.onnxruntime.OrtException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A gate in front of native ONNX Runtime calls: calls pass it concurrently (a read lock each) until
 * it is closed; {@link #close} waits for the calls in flight to return and refuses every later one
 * with {@link Closed}, so no native call can start after what it guards is freed.
 *
 * <p>Two kinds are used. Each {@link OrtModel} has one for its session ({@link OrtModel#close}
 * shuts it before the session is freed). {@link #process()} guards the process-wide ONNX Runtime
 * environment, which ONNX Runtime 1.29 frees in a JVM shutdown hook of its own ({@code
 * OrtEnvironment$OrtEnvCloser}, registered by {@code OrtEnvironment}'s constructor, not removable
 * through its API) that runs concurrently with every other hook: {@link OrderlyStop} closes this
 * gate before the JVM's shutdown begins, so that hook never meets a call in flight.
 */
public final class OrtGuard {

  private static final OrtGuard PROCESS = new OrtGuard("the ONNX Runtime environment");

  private final String what;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  /**
   * @param what what the gate guards, for the message of {@link Closed}
   */
  public OrtGuard(String what) {
    this.what = what;
  }

  /** The gate of the process-wide environment; every {@link OrtModel} call passes it too. */
  public static OrtGuard process() {
    return PROCESS;
  }

  /** A native call: ONNX Runtime code that must not run once the gate is closed. */
  @FunctionalInterface
  public interface NativeCall<T> {
    T call() throws OrtException;
  }

  /** A call refused because the gate was closed: what it would have used is (being) freed. */
  public static final class Closed extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Closed(String what) {
      super(what + " is closed (the process is stopping); no ONNX Runtime call may start");
    }
  }

  /** Runs {@code call} unless the gate is closed; {@link #close} waits for it to return. */
  public <T> T call(NativeCall<T> call) throws OrtException {
    ReentrantReadWriteLock.ReadLock read = lock.readLock();
    read.lock();
    try {
      if (closed) {
        throw new Closed(what);
      }
      return call.call();
    } finally {
      read.unlock();
    }
  }

  /**
   * Closes the gate: waits up to {@code timeout} for the calls in flight, then refuses every later
   * call.
   *
   * @return true when it is closed (now or before); false when a call was still running at the
   *     timeout, in which case the gate stays open and what it guards must not be freed
   */
  public boolean close(Duration timeout) {
    if (closed) {
      return true;
    }
    ReentrantReadWriteLock.WriteLock write = lock.writeLock();
    try {
      if (!write.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    try {
      closed = true;
      return true;
    } finally {
      write.unlock();
    }
  }

  public boolean isClosed() {
    return closed;
  }
}
