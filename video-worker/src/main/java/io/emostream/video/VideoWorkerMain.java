package io.emostream.video;

import java.nio.file.Path;
import java.time.Duration;

import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.WorkerConfig;
import io.emostream.inference.WorkerService;
import io.emostream.kafka.Env;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.TopicsEnv;
import io.emostream.schemas.Modality;

/**
 * The video worker: consumes {@code clips.frames}, runs the video model its manifest names (face
 * expression by default; per-frame or clip-level models such as ViViT too), publishes to
 * {@code predictions.video}. Scale by running more instances with the same group id.
 */
public final class VideoWorkerMain {

  public static final Path DEFAULT_MODEL = Path.of("models/fer-mobilefacenet/manifest.json");

  private VideoWorkerMain() {
  }

  /** Loads the model(s) (one session per model per process) and starts the worker loop. */
  public static WorkerService start(WorkerConfig config) throws Exception {
    OrtModel model = OrtModel.load(config.model(), config.device(), config.threads());
    if (model.manifest().video().mode() == ModelManifest.VideoMode.FACE_EXPRESSION) {
      FacePredictor faces = new FacePredictor(model, config.model().toAbsolutePath().getParent(), config.device(),
          config.threads(), config.aggregation(), config.maxBatch());
      return WorkerService.start("video-worker", config, Modality.VIDEO, config.topics().frames().name(),
          config.topics().videoPredictions(), model.manifest(), faces, faces, model);
    }
    return WorkerService.start("video-worker", config, Modality.VIDEO, config.topics().frames().name(),
        config.topics().videoPredictions(), model.manifest(), new VideoPredictor(model), model);
  }

  public static void main(String[] args) throws Exception {
    Env env = Env.system();
    WorkerConfig config = WorkerConfig.fromEnv(env, "VIDEO", DEFAULT_MODEL);
    TopicAdmin.ensureTopics(config.kafka(), config.topics(), TopicsEnv.replication(env));
    WorkerService worker = start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> worker.close(Duration.ofSeconds(30)), "video-worker-shutdown"));
    worker.join();
  }
}
