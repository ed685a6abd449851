package io.emostream.inference;

import java.time.Clock;
import java.time.Duration;

import io.emostream.kafka.TransactionalWorkerLoop;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.topics.Topics;

/**
 * A running worker: its exactly-once loop on its own thread, publishing the predictor's results. The
 * audio and video workers differ only in the input topic and the {@link ClipPredictor} they pass here.
 */
public final class WorkerService implements AutoCloseable {

  private final TransactionalWorkerLoop loop;
  private final Thread thread;

  private WorkerService(TransactionalWorkerLoop loop, String name) {
    this.loop = loop;
    this.thread = new Thread(loop, name);
  }

  public static WorkerService start(String name, WorkerConfig config, Modality modality, String inputTopic,
      Topics.Topic<ModalityPrediction> output, ModelManifest model, ClipPredictor predictor) {
    PredictionWorker processor = new PredictionWorker(modality, output, model, predictor, Clock.systemUTC());
    TransactionalWorkerLoop loop = new TransactionalWorkerLoop(config.kafka(), name, config.groupId(),
        config.transactionalId(), inputTopic, config.topics().deadLetters().name(), config.maxPollRecords(), processor);
    WorkerService service = new WorkerService(loop, name);
    service.thread.start();
    return service;
  }

  public TransactionalWorkerLoop loop() {
    return loop;
  }

  /** Lets the transaction in progress finish, then stops; waits up to {@code timeout}. */
  public void close(Duration timeout) {
    loop.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  public void join() throws InterruptedException {
    thread.join();
  }
}
