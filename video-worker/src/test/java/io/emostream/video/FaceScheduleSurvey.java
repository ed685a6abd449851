package io.emostream.video;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.ingest.ClipPublisher;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.PredictionStatus;
import io.emostream.topics.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The measurement behind docs/performance.md's detect-every-Nth-frame lever (not a test): for each
 * media file, each 4 s segment as ingest cuts and samples it goes through the default face model
 * with YuNet on every frame (N = 1) and on every Nth; per segment it prints the frames with a face
 * analysed, the total variation distance between the N = 1 and N = k distributions, and whether the
 * top label is the same.
 *
 * <pre>
 * java -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.emostream.schemas \
 *   -cp "$(cat video-worker/target/test-classpath.txt):video-worker/target/classes:video-worker/target/test-classes" \
 *   io.emostream.video.FaceScheduleSurvey 2,4,8 samples/*.mp4 samples/labelled/*.mp4
 * </pre>
 */
public final class FaceScheduleSurvey {

  private FaceScheduleSurvey() {}

  public static void main(String[] args) throws Exception {
    Path manifest = Path.of("models").resolve(VideoWorkerMain.DEFAULT_MODEL.subpath(1, 3));
    List<Integer> everies = new ArrayList<>();
    for (String n : args[0].split(",")) {
      everies.add(Integer.valueOf(n));
    }
    try (OrtModel model = OrtModel.load(manifest, Device.CPU, 1)) {
      List<FacePredictor> predictors = new ArrayList<>();
      predictors.add(predictor(model, manifest, 1));
      for (int n : everies) {
        predictors.add(predictor(model, manifest, n));
      }
      StringBuilder header =
          new StringBuilder("| media | segment | frames | faces N=1 | label N=1");
      for (int n : everies) {
        header.append(" | N=").append(n).append(": faces, TV, label");
      }
      System.out.println(header.append(" |"));
      double[] worstTv = new double[everies.size()];
      int[] labelChanges = new int[everies.size()];
      int segments = 0;
      for (int a = 1; a < args.length; a++) {
        Path media = Path.of(args[a]);
        List<byte[]> batches = segments(media);
        for (int s = 0; s < batches.size(); s++) {
          segments++;
          ClipPredictor.Outcome base = predictors.get(0).predict("s", batches.get(s));
          StringBuilder row =
              new StringBuilder()
                  .append("| ")
                  .append(media.getFileName())
                  .append(" | ")
                  .append(s)
                  .append(" | ")
                  .append(frames(batches.get(s)))
                  .append(" | ")
                  .append(base.itemsAnalysed())
                  .append(" | ")
                  .append(label(model, base));
          for (int i = 0; i < everies.size(); i++) {
            ClipPredictor.Outcome other = predictors.get(i + 1).predict("s", batches.get(s));
            double tv = totalVariation(base, other);
            worstTv[i] = Math.max(worstTv[i], tv);
            boolean same = label(model, base).equals(label(model, other));
            labelChanges[i] += same ? 0 : 1;
            row.append(
                String.format(
                    " | %d, %.4f, %s",
                    other.itemsAnalysed(), tv, same ? "same" : label(model, other)));
          }
          System.out.println(row.append(" |"));
        }
      }
      for (int i = 0; i < everies.size(); i++) {
        System.out.printf(
            "N=%d: %d segments, largest TV %.4f, %d top labels changed%n",
            everies.get(i), segments, worstTv[i], labelChanges[i]);
      }
      for (FacePredictor predictor : predictors) {
        predictor.close();
      }
    }
  }

  private static FacePredictor predictor(OrtModel model, Path manifest, int every)
      throws Exception {
    return new FacePredictor(
        model,
        manifest.getParent(),
        Device.CPU,
        1,
        null,
        32,
        Topics.defaults().frames(),
        FaceConfig.DEFAULTS.withDetectEvery(every));
  }

  /** 0.5 * sum |p - q|; 0 when both found no face, 1 when only one did. */
  private static double totalVariation(ClipPredictor.Outcome a, ClipPredictor.Outcome b) {
    boolean aFace = a.status() == PredictionStatus.OK;
    boolean bFace = b.status() == PredictionStatus.OK;
    if (!aFace || !bFace) {
      return aFace == bFace ? 0 : 1;
    }
    double sum = 0;
    for (int i = 0; i < a.probabilities().length; i++) {
      sum += Math.abs(a.probabilities()[i] - b.probabilities()[i]);
    }
    return sum / 2;
  }

  private static String label(OrtModel model, ClipPredictor.Outcome outcome) {
    if (outcome.status() != PredictionStatus.OK) {
      return outcome.status().toString();
    }
    return model.manifest().labels().get(Probabilities.argmax(outcome.probabilities()));
  }

  private static int frames(byte[] batch) {
    return new AvroSerde<>(FrameBatch.class).decode(batch).getFrames().size();
  }

  /** The media's segments as ingest cuts and samples them (default settings), as FrameBatch. */
  private static List<byte[]> segments(Path media) {
    List<byte[]> batches = new ArrayList<>();
    AvroSerde<FrameBatch> serde = new AvroSerde<>(FrameBatch.class);
    try (VideoDemuxer demuxer = new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of())))) {
      demuxer.demux(
          media,
          clip -> {
            if (!clip.frames().isEmpty()) {
              batches.add(serde.encode(ClipPublisher.frameBatch("s", clip)));
            }
          });
    }
    return batches;
  }
}
