package io.emostream.video;

import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrderlyStop;
import io.emostream.inference.OrtModel;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.kafka.Env;
import io.emostream.ops.OpsConfig;
import io.emostream.ops.ServiceRunner;
import io.emostream.schemas.Modality;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;

/**
 * The video worker: consumes {@code clips.frames}, runs the video model its manifest names (face
 * expression by default; per-frame or clip-level models such as ViViT too), publishes to {@code
 * predictions.video}. Scale by running more instances with the same group id.
 */
public final class VideoWorkerMain {

  /**
   * mini-XCEPTION, not MobileFaceNet: on the RAVDESS neutral clip MobileFaceNet answers happy (as
   * OpenCV Zoo's own pipeline does, see training/video), mini-XCEPTION neutral; docs/models.md
   * "Which face model is the default".
   */
  public static final Path DEFAULT_MODEL = Path.of("models/fer-mini-xception/manifest.json");

  private VideoWorkerMain() {}

  /**
   * Loads the model(s) (one session per model per process) and starts the worker loop, with the
   * face path's settings from the process environment.
   */
  public static WorkerService start(WorkerConfig config, MeterRegistry meters) throws Exception {
    return start(config, FaceConfig.fromEnv(Env.system()), meters);
  }

  /** Loads the model(s) (one session per model per process) and starts the worker loop. */
  public static WorkerService start(WorkerConfig config, FaceConfig face, MeterRegistry meters)
      throws Exception {
    OrtModel model = OrtModel.load(config.model(), config.device(), config.threads());
    if (model.manifest().video().mode() == ModelManifest.VideoMode.FACE_EXPRESSION) {
      FacePredictor faces;
      try {
        faces =
            new FacePredictor(
                model,
                config.model().toAbsolutePath().getParent(),
                config.device(),
                config.threads(),
                config.aggregation(),
                config.maxBatch(),
                config.topics().frames(),
                face);
      } catch (Exception | Error e) {
        model.close(); // the face detector did not load: the expression model's session is not left
        // open
        throw e;
      }
      return WorkerService.start(
          config, meters, Modality.VIDEO, model.manifest(), faces, faces, model);
    }
    return WorkerService.start(
        config,
        meters,
        Modality.VIDEO,
        model.manifest(),
        new VideoPredictor(model, config.maxBatch(), config.topics().frames()),
        model);
  }

  public static void main(String[] args) throws Exception {
    OrderlyStop
        .installSignalHandlers(); // the worker stops before ONNX Runtime frees its environment
    Env env = Env.system();
    WorkerConfig config = WorkerConfig.fromEnv(env, "VIDEO", DEFAULT_MODEL);
    FaceConfig face = FaceConfig.fromEnv(env);
    OrderlyStop.runMain(
        () ->
            ServiceRunner.run(
                "video-worker",
                env,
                config.kafka(),
                config.topics(),
                OpsConfig.VIDEO_WORKER_PORT,
                meters -> start(config, face, meters)));
  }
}
