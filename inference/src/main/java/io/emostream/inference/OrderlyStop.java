package io.emostream.inference;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * How a process that runs models stops on SIGTERM, SIGINT (Ctrl-C) or SIGHUP: its running workers
 * first, then ONNX Runtime, then the JVM.
 *
 * <p>Why not a shutdown hook alone: ONNX Runtime 1.29 registers a JVM shutdown hook of its own
 * ({@code OrtEnvironment$OrtEnvCloser}, in {@code OrtEnvironment}'s constructor; the {@code Thread}
 * is kept nowhere, so its public API cannot remove it, and {@code OrtEnvironment.close()} does
 * nothing) that frees the native environment. The JVM starts all hooks at once, in no order, so
 * that hook freed the environment while the worker's hook was still letting the transaction in
 * progress finish: the model run under way crashed the JVM (SIGSEGV in {@code libonnxruntime.so},
 * exit 134, issue #12).
 *
 * <p>With {@link #installSignalHandlers} the signal does not start the JVM's shutdown; this class's
 * handler does, in order: (1) every {@link #register registered} worker is asked to stop and given
 * up to {@link #WORKER_WAIT} in all to finish its transaction (outputs and offsets commit together)
 * and close its sessions; (2) the process's {@link OrtGuard} is closed, waiting for any native call
 * still in flight, so none can start afterwards; (3) {@code System.exit(128 + signal)} (143 for
 * SIGTERM, as the JVM's own handler exits) runs the shutdown hooks, ONNX Runtime's among them, with
 * no native call left to meet. If a worker is still inside a model run when its time is up, the JVM
 * halts with the same code instead, without hooks: ONNX Runtime's environment is then never freed,
 * and the uncommitted transaction is aborted by the broker and re-read by the next instance. A
 * second signal while the {@link #beforeWorkers} tasks run cuts their waits short; one after that
 * is ignored. Where the JVM reserves the signals ({@code -Xrs}) or another exit path runs ({@code
 * System.exit}), the hooks run as before, unordered.
 */
public final class OrderlyStop {

  private static final Logger LOG = LoggerFactory.getLogger(OrderlyStop.class);

  /** Longest a worker gets to finish its transaction (the README's 30 s; containers get 45 s). */
  public static final Duration WORKER_WAIT = Duration.ofSeconds(30);

  /**
   * Longest the process's ONNX Runtime waits for a native call in flight once the workers stopped.
   */
  public static final Duration NATIVE_WAIT = Duration.ofSeconds(10);

  private static final List<String> SIGNALS = List.of("TERM", "INT", "HUP");
  private static final Set<Stoppable> RUNNING = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();
  private static final AtomicBoolean STOPPING = new AtomicBoolean();
  private static final AtomicReference<Runnable> FIRST_SIGNAL = new AtomicReference<>();
  private static final List<Runnable> BEFORE_WORKERS = new CopyOnWriteArrayList<>();
  private static volatile Thread runningBeforeWorkers;

  private OrderlyStop() {}

  /**
   * While the returned handle is open, the first of those signals runs {@code onFirst} instead of
   * the stop (on the JVM's signal thread: it should only note the request), and a second one stops
   * the process as usual. A command that can end its work early and keep its results uses it:
   * {@code analyze URL} ends the live source on Ctrl-C and prints the segments still in flight.
   */
  public static AutoCloseable interceptFirstSignal(Runnable onFirst) {
    FIRST_SIGNAL.set(onFirst);
    return () -> FIRST_SIGNAL.compareAndSet(onFirst, null);
  }

  /** A service's {@code main} body. */
  @FunctionalInterface
  public interface MainBody {
    void run() throws Exception;
  }

  /**
   * Runs a worker's {@code main} body. A failure after a signal started the stop (SIGTERM during
   * start-up closes ONNX Runtime under the model's load: {@link OrtGuard.Closed}) is the stop's
   * doing: it ends the body with a line instead of an "Exception in thread main" trace, and the
   * stop exits the process with its code.
   */
  public static void runMain(MainBody body) throws Exception {
    try {
      body.run();
    } catch (Exception e) {
      if (!stopping()) {
        throw e;
      }
      LOG.info("stopped while starting ({})", e.toString());
    }
  }

  /** Something that runs model sessions and must stop before ONNX Runtime does. */
  public interface Stoppable {
    /** Asks it to stop after its work in flight; returns at once. */
    void shutdown();

    /** Stops it, waiting up to {@code timeout}; true when it stopped and closed its sessions. */
    boolean close(Duration timeout);
  }

  /**
   * Runs {@code task} when a signal starts the stop, before the workers are asked to stop (the task
   * bounds its own time): what must still reach them first. The one-JVM platform of {@code up}
   * closes its intake there and lets what was published be fused. A second signal meanwhile
   * interrupts the task's thread: it should stop waiting and return, and the stop goes on to the
   * workers. Closing the handle removes it.
   */
  public static AutoCloseable beforeWorkers(Runnable task) {
    BEFORE_WORKERS.add(task);
    return () -> BEFORE_WORKERS.remove(task);
  }

  /** The {@link #beforeWorkers} tasks, in order; one that fails is logged and the stop goes on. */
  static void runBeforeWorkers() {
    for (Runnable task : BEFORE_WORKERS) {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.warn("a task before the workers' stop failed; stopping them anyway", e);
      }
    }
  }

  /** Adds a started worker; {@link #deregister} when it is closed. */
  public static void register(Stoppable stoppable) {
    RUNNING.add(stoppable);
  }

  public static void deregister(Stoppable stoppable) {
    RUNNING.remove(stoppable);
  }

  /**
   * Whether a signal has started the stop: a command's failure from then on (a producer closed
   * under it) is the stop's doing, not the user's.
   */
  public static boolean stopping() {
    return STOPPING.get();
  }

  /**
   * Takes SIGTERM, SIGINT and SIGHUP over from the JVM (once per process; later calls do nothing).
   * A signal the JVM does not let go ({@code -Xrs}, or one the OS reserves) keeps its default, with
   * a WARN line.
   */
  public static void installSignalHandlers() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    for (String name : SIGNALS) {
      try {
        Signal.handle(new Signal(name), OrderlyStop::onSignal);
      } catch (IllegalArgumentException e) {
        LOG.warn(
            "SIG{} keeps the JVM's default handling ({}); a stop on it is not ordered before ONNX Runtime's",
            name,
            e.getMessage());
      }
    }
  }

  /**
   * The JVM runs a handler on a daemon thread: the stop gets a thread of its own that is not, so a
   * {@code main} that returns once its worker thread ended (the workers' mains join it) cannot
   * start the JVM's shutdown, and ONNX Runtime's hook with it, while the sessions are still being
   * closed.
   */
  static void onSignal(Signal signal) {
    Runnable first = FIRST_SIGNAL.getAndSet(null);
    if (first != null && !STOPPING.get()) {
      LOG.info("SIG{}: passed to the command; a second signal stops the process", signal.getName());
      first.run();
      return;
    }
    if (!STOPPING.compareAndSet(false, true)) {
      Thread waiting = runningBeforeWorkers;
      if (waiting != null) {
        LOG.info("SIG{} while waiting for the work in flight: waiting no more", signal.getName());
        waiting.interrupt();
      } else {
        LOG.info("SIG{} while stopping: ignored", signal.getName());
      }
      return;
    }
    Thread stop = new Thread(() -> stop(signal), "orderly-stop");
    stop.setDaemon(false);
    stop.start();
  }

  private static void stop(Signal signal) {
    int code = 128 + signal.getNumber();
    boolean clean;
    try {
      runningBeforeWorkers = Thread.currentThread();
      try {
        runBeforeWorkers();
      } finally {
        runningBeforeWorkers = null;
        Thread
            .interrupted(); // a second signal's, handled by the tasks: the workers still get theirs
      }
      LOG.info("SIG{}: stopping {} worker(s), then ONNX Runtime", signal.getName(), RUNNING.size());
      clean = stopAll(WORKER_WAIT, NATIVE_WAIT);
    } catch (RuntimeException | Error e) {
      LOG.error("stopping after SIG{} failed", signal.getName(), e);
      clean = false;
    }
    if (!clean) {
      System.err.println(
          "emostream: a model run did not end in time; halting (exit "
              + code
              + ") without freeing ONNX Runtime, the transaction in progress is aborted");
      Runtime.getRuntime().halt(code);
    }
    System.exit(code);
  }

  /**
   * Steps (1) and (2) of the stop: the registered workers, then the process's ONNX Runtime gate.
   *
   * @return true when every worker stopped and no native call is left in flight or can start
   */
  static boolean stopAll(Duration workerWait, Duration nativeWait) {
    List<Stoppable> workers = List.copyOf(RUNNING);
    workers.forEach(Stoppable::shutdown);
    long deadline = System.nanoTime() + workerWait.toNanos();
    boolean stopped = true;
    for (Stoppable worker : workers) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      stopped &= worker.close(left);
    }
    if (!stopped) {
      return false;
    }
    return OrtGuard.process().close(nativeWait);
  }
}
