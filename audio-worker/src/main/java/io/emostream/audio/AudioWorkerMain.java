package io.emostream.audio;

import io.emostream.inference.OrderlyStop;
import io.emostream.inference.OrtModel;
import io.emostream.inference.SpeechDetector;
import io.emostream.inference.VadConfig;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.kafka.Env;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.ServiceRunner;
import io.emostream.schemas.Modality;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;

/**
 * The audio worker: consumes {@code clips.audio}, finds the voiced audio of each clip (Silero VAD;
 * {@link VadConfig}), runs the speech-emotion model on it, publishes to {@code predictions.audio}
 * (NO_SPEECH when a clip has too little speech). Scale by running more instances with the same
 * group id.
 */
public final class AudioWorkerMain {

  public static final Path DEFAULT_MODEL = Path.of("models/speech-emotion-v7/manifest.json");

  private AudioWorkerMain() {}

  /** Loads the models (one session each per process) and starts the worker loop. */
  public static WorkerService start(WorkerConfig config, VadConfig vad, MeterRegistry meters) {
    OrtModel model = OrtModel.load(config.model(), config.device(), config.threads());
    SpeechDetector detector;
    try {
      detector =
          vad.enabled()
              ? SpeechDetector.load(
                  vad.model(),
                  config.device(),
                  config.threads(),
                  vad.threshold(),
                  vad.minSpeechSeconds())
              : null;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    AutoCloseable[] resources =
        detector == null ? new AutoCloseable[] {model} : new AutoCloseable[] {model, detector};
    return WorkerService.start(
        config,
        meters,
        Modality.AUDIO,
        model.manifest(),
        new AudioPredictor(model, detector, config.topics().audio()),
        resources);
  }

  public static void main(String[] args) throws Exception {
    OrderlyStop
        .installSignalHandlers(); // the worker stops before ONNX Runtime frees its environment
    Env env = Env.system();
    WorkerConfig config = WorkerConfig.fromEnv(env, "AUDIO", DEFAULT_MODEL);
    VadConfig vad = VadConfig.fromEnv(env);
    OrderlyStop.runMain(
        () ->
            ServiceRunner.run(
                "audio-worker",
                env,
                config.kafka(),
                config.topics(),
                OpsConfig.AUDIO_WORKER_PORT,
                meters -> start(config, vad, meters)));
  }
}
