package io.emostream.inference;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.ops.HealthCheck;
import io.emostream.ops.ServiceRunner;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * A running worker: its exactly-once loop on its own thread, publishing the predictor's results,
 * and the model sessions it closes when stopped. The audio and video workers differ only in the
 * modality (which names the topics) and the {@link ClipPredictor} they pass here. It is a {@link
 * ServiceRunner.Service}: the workers' mains run it with {@link ServiceRunner#run}. A started
 * service is registered with {@link OrderlyStop}, so a signal stops it before ONNX Runtime is
 * freed.
 */
public final class WorkerService
    implements AutoCloseable, OrderlyStop.Stoppable, ServiceRunner.Service {

  private final TransactionalWorkerLoop loop;
  private final Thread thread;
  private final List<AutoCloseable> resources;
  private final AtomicBoolean resourcesClosed = new AtomicBoolean();

  private WorkerService(TransactionalWorkerLoop loop, String name, List<AutoCloseable> resources) {
    this.loop = loop;
    this.thread = NativeStack.thread(loop, name); // it runs ONNX Runtime inference

    this.resources = resources;
  }

  /**
   * Starts the worker of {@code modality} ({@code audio-worker}: clips.audio to predictions.audio;
   * {@code video-worker}: clips.frames to predictions.video) on its own thread.
   *
   * @param resources what the worker closes when stopped (the model sessions); closed here too if
   *     it cannot start
   */
  public static WorkerService start(
      WorkerConfig config,
      MeterRegistry meters,
      Modality modality,
      ModelManifest model,
      ClipPredictor predictor,
      AutoCloseable... resources) {
    String name = modality.name().toLowerCase(Locale.ROOT) + "-worker";
    Topics topics = config.topics();
    boolean audio = modality == Modality.AUDIO;
    Topics.Topic<ModalityPrediction> output =
        audio ? topics.audioPredictions() : topics.videoPredictions();
    String input = (audio ? topics.audio() : topics.frames()).name();
    TransactionalWorkerLoop loop;
    try {
      PredictionWorker processor =
          new PredictionWorker(modality, output, model, predictor, Clock.systemUTC(), meters);
      loop =
          new TransactionalWorkerLoop(config.kafka(), config.loop(name, input), processor, meters);
    } catch (RuntimeException | Error e) {
      closeAll(List.of(resources));
      throw e;
    }
    WorkerService service = new WorkerService(loop, name, List.of(resources));
    OrderlyStop.register(service);
    service.thread.start();
    return service;
  }

  public TransactionalWorkerLoop loop() {
    return loop;
  }

  /** Liveness and readiness of the worker's loop. */
  public HealthCheck health() {
    return loop;
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(loop);
  }

  @Override
  public void shutdown() {
    loop.shutdown();
  }

  /**
   * Lets the transaction in progress finish, then stops and closes the model sessions (once); waits
   * up to {@code timeout} for the loop.
   *
   * @return true when the loop stopped and the sessions are closed; false when the loop was still
   *     running at the timeout (the sessions are then left open: it may still be using them)
   */
  @Override
  public boolean close(Duration timeout) {
    boolean stopped = loop.close(timeout);
    if (stopped && resourcesClosed.compareAndSet(false, true)) {
      OrderlyStop.deregister(this);
      closeAll(resources);
    }
    return stopped;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        LoggerFactory.getLogger(WorkerService.class).warn("closing {} failed", resource, e);
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  @Override
  public void join() throws InterruptedException {
    thread.join();
  }
}
