package io.emostream.cli;

import io.emostream.audio.AudioPredictor;
import io.emostream.audio.AudioWorkerMain;
import io.emostream.inference.OrtModel;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.kafka.Env;
import io.emostream.schemas.Modality;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only main run in a child JVM: the real audio worker (real loop, real model), except that it
 * halts the JVM (no shutdown hooks, no close, no commit: like {@code kill -9}) while predicting
 * record number {@code args[0]}, i.e. in the middle of a poll batch whose earlier outputs are sent
 * but not committed.
 */
public final class CrashingAudioWorker {

  private CrashingAudioWorker() {}

  public static void main(String[] args) throws Exception {
    int crashAt = Integer.parseInt(args[0]);
    WorkerConfig config =
        WorkerConfig.fromEnv(Env.system(), "AUDIO", AudioWorkerMain.DEFAULT_MODEL);
    OrtModel model = OrtModel.load(config.model(), config.device(), config.threads());
    AudioPredictor real = new AudioPredictor(model);
    AtomicInteger seen = new AtomicInteger();
    WorkerService worker =
        WorkerService.start(
            config,
            new SimpleMeterRegistry(),
            Modality.AUDIO,
            model.manifest(),
            (clipId, value) -> {
              if (seen.incrementAndGet() == crashAt) {
                System.err.println(
                    "CrashingAudioWorker: halting while predicting record "
                        + crashAt
                        + " (clip "
                        + clipId
                        + ")");
                Runtime.getRuntime().halt(137);
              }
              return real.predict(clipId, value);
            });
    worker.join();
  }
}
