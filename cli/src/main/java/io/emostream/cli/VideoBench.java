package io.emostream.cli;

import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.video.VideoPredictor;
import io.emostream.video.face.ExpressionClassifier;
import io.emostream.video.face.Face;
import io.emostream.video.face.FaceCropper;
import io.emostream.video.face.FaceSelectionPolicy;
import io.emostream.video.face.YuNetDetector;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Measures the video worker's face path stage by stage on this machine and prints a table: per
 * frame, JPEG decode, YuNet detection (resize, model, decoding and NMS), crop/alignment and the
 * expression model (one face per run, and up to {@code --batch} faces per run), and the frames per
 * second of the whole path. Frames are sampled by ingest exactly as in production (32 per 4 s, 640
 * px side); the first pass over them warms up and is not counted. Not a test: figures depend on the
 * machine and its load.
 *
 * <pre>
 * ./emostream video-bench [--passes N] [--batch N] [--threads N] [--model models/X/manifest.json ...] [VIDEO ...]
 * java -cp "cli/target/classes:cli/target/lib/*" io.emostream.cli.VideoBench [--passes N] [--batch N]
 *     [--threads N] [--model models/X/manifest.json ...] [VIDEO ...]
 * </pre>
 */
@Command(
    name = "video-bench",
    header = "measure the video worker's face path stage by stage on this machine",
    description = {
      "Per frame: JPEG decode, YuNet detection, crop/alignment and the expression model (one face per "
          + "run, and up to --batch faces per run), and the frames per second of the whole path. Frames are sampled by "
          + "ingest as in production; the first pass warms up and is not counted. Not a test: figures depend on the "
          + "machine and its load."
    })
public final class VideoBench extends CliCommand {

  @Option(
      names = "--passes",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "timed passes over the frames, " + "after one warm-up (default: ${DEFAULT-VALUE})")
  private int passes;

  @Option(
      names = "--batch",
      paramLabel = "N",
      defaultValue = "32",
      description =
          "faces per run of the expression "
              + "model in the batched measurement (default: ${DEFAULT-VALUE})")
  private int batch;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "ONNX Runtime intra-op threads " + "(default: 0, ONNX Runtime's choice)")
  private int threads;

  @Option(
      names = "--model",
      paramLabel = "MANIFEST",
      description =
          "a face model's manifest, repeatable (default: "
              + "models/fer-mobilefacenet and models/fer-mini-xception)")
  private List<Path> models = new ArrayList<>();

  @Parameters(
      paramLabel = "VIDEO",
      description =
          "videos to sample frames from (default: samples/happy-speech.mp4, "
              + "and a RAVDESS clip from ../shared/data/av-clips when there is one)")
  private List<Path> videos = new ArrayList<>();

  /**
   * {@code java -cp ... io.emostream.cli.VideoBench ARGS} is {@code ./emostream video-bench ARGS}.
   */
  public static void main(String[] args) {
    Main.main(Main.commandFirst("video-bench", args));
  }

  @Override
  int execute() throws Exception {
    if (passes < 1 || batch < 1 || threads < 0) {
      throw new Main.UsageException(
          "--passes and --batch must be 1 or more and --threads 0 or more, got "
              + passes
              + ", "
              + batch
              + " and "
              + threads);
    }
    if (models.isEmpty()) {
      models =
          List.of(
              home.resolve("models/fer-mobilefacenet/manifest.json"),
              home.resolve("models/fer-mini-xception/manifest.json"));
    }
    if (videos.isEmpty()) {
      videos.add(home.resolve("samples/happy-speech.mp4"));
      Path ravdess = home.resolve("../shared/data/av-clips/01-01-01-01-01-01-01.mp4");
      if (Files.isRegularFile(ravdess)) {
        videos.add(ravdess);
      }
    }
    List<byte[]> jpegs = sample(videos);
    out.printf(
        "frames: %d JPEGs sampled by ingest from %s; %d timed passes after 1 warm-up; "
            + "ONNX Runtime intra-op threads %s; %d CPUs; load average %.2f%n",
        jpegs.size(),
        videos,
        passes,
        threads == 0 ? "default" : threads,
        Runtime.getRuntime().availableProcessors(),
        loadAverage());
    out.println();
    out.printf(
        "%-18s %8s %8s %8s %12s %12s %9s %9s %11s%n",
        "model",
        "decode",
        "detect",
        "crop",
        "infer b=1",
        "infer b=" + batch,
        "fps b=1",
        "fps b=" + batch,
        "faces/frm");
    for (Path manifest : models) {
      Row row = measure(manifest, jpegs, passes, batch, threads);
      out.printf(
          "%-18s %8.2f %8.2f %8.3f %12.2f %12.2f %9.1f %9.1f %11.2f%n",
          row.name,
          row.decodeMs,
          row.detectMs,
          row.cropMs,
          row.infer1Ms,
          row.inferBatchMs,
          row.fps(row.infer1Ms),
          row.fps(row.inferBatchMs),
          row.faceRate);
    }
    out.println();
    out.println(
        "decode, detect, crop: ms per frame; infer: ms per face (b = faces per model run; a model "
            + "with a fixed batch of 1 runs one face at a time whatever b is); fps: frames per second through "
            + "decode + detect + crop + infer on one thread of the worker");
    return 0;
  }

  private record Row(
      String name,
      double decodeMs,
      double detectMs,
      double cropMs,
      double infer1Ms,
      double inferBatchMs,
      double faceRate) {

    double fps(double inferMs) {
      return 1000.0 / (decodeMs + detectMs + cropMs + inferMs * faceRate);
    }
  }

  private static Row measure(
      Path manifestFile, List<byte[]> jpegs, int passes, int batch, int threads) throws Exception {
    try (OrtModel model = OrtModel.load(manifestFile, Device.CPU, threads)) {
      ModelManifest manifest = model.manifest();
      ModelManifest.Face spec = manifest.video().face();
      try (OrtModel yunet =
          OrtModel.open(
              manifest,
              manifestFile.toAbsolutePath().getParent().resolve(spec.detector()),
              Device.CPU,
              threads)) {
        YuNetDetector detector =
            new YuNetDetector(
                yunet, (float) spec.scoreThreshold(), (float) spec.nmsThreshold(), spec.topK());
        boolean logits = manifest.output().kind() == ModelManifest.OutputKind.LOGITS;
        ExpressionClassifier one =
            new ExpressionClassifier(model, manifest.labels(), spec.input(), logits, 1);
        ExpressionClassifier many =
            new ExpressionClassifier(model, manifest.labels(), spec.input(), logits, batch);
        double decode = 0;
        double detect = 0;
        double crop = 0;
        double infer1 = 0;
        double inferBatch = 0;
        int faces = 0;
        for (int pass = 0; pass <= passes; pass++) {
          boolean timed = pass > 0;
          List<BufferedImage> cropped = new ArrayList<>();
          for (byte[] jpeg : jpegs) {
            long t0 = System.nanoTime();
            BufferedImage frame = VideoPredictor.readJpeg(jpeg);
            long t1 = System.nanoTime();
            Optional<Face> face =
                FaceSelectionPolicy.LARGEST.select(
                    detector.detect(frame), frame.getWidth(), frame.getHeight());
            long t2 = System.nanoTime();
            face.ifPresent(f -> cropped.add(FaceCropper.crop(frame, f, spec.input())));
            long t3 = System.nanoTime();
            if (timed) {
              decode += t1 - t0;
              detect += t2 - t1;
              crop += t3 - t2;
            }
          }
          long t4 = System.nanoTime();
          one.probabilities(cropped);
          long t5 = System.nanoTime();
          many.probabilities(cropped);
          long t6 = System.nanoTime();
          if (timed) {
            infer1 += t5 - t4;
            inferBatch += t6 - t5;
            faces += cropped.size();
          }
        }
        double frames = (double) jpegs.size() * passes;
        double perFace = Math.max(1, faces);
        return new Row(
            manifest.name(),
            decode / 1e6 / frames,
            detect / 1e6 / frames,
            crop / 1e6 / frames,
            infer1 / 1e6 / perFace,
            inferBatch / 1e6 / perFace,
            faces / frames);
      }
    }
  }

  private static List<byte[]> sample(List<Path> videos) throws IOException {
    List<byte[]> jpegs = new ArrayList<>();
    VideoDemuxer demuxer = new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of())));
    for (Path video : videos) {
      demuxer.demux(video, clip -> clip.frames().forEach(f -> jpegs.add(f.jpeg())));
    }
    return jpegs;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
