package io.emostream.inference;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs native-heavy work (ONNX Runtime session creation and inference) on a thread with a large
 * stack.
 *
 * <p>Why: ONNX Runtime works on the calling thread, and overflowing a JVM thread's default 1 MiB
 * stack in native code kills the whole JVM with a bare SIGSEGV and no error report. Seen here: ONNX
 * Runtime 1.29's environment creation recurses ~12 000 frames deep when the JVM's command line is
 * long (see {@code OrtModel#environment()}). A large stack for every thread that calls into it
 * removes that failure mode.
 */
public final class NativeStack {

  /** Stack size of threads that call into ONNX Runtime. */
  public static final long STACK_BYTES = 64L * 1024 * 1024;

  private NativeStack() {}

  /** A thread with {@link #STACK_BYTES} of stack. */
  public static Thread thread(Runnable task, String name) {
    return new Thread(null, task, name, STACK_BYTES);
  }

  /**
   * Calls {@code task} on a large-stack thread and returns its result (its exception is rethrown as
   * is).
   */
  public static <T> T call(Callable<T> task, String name) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicReference<Error> error = new AtomicReference<>();
    Thread thread =
        thread(
            () -> {
              try {
                result.set(task.call());
              } catch (Exception e) {
                failure.set(e);
              } catch (Error e) {
                error.set(e);
              }
            },
            name);
    thread.start();
    thread.join();
    if (error.get() != null) {
      throw error.get();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return result.get();
  }
}
