package io.emostream.video.face;

import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * The measurement behind docs/performance.md's YuNet input-size lever (not a test): for each media
 * file (its frames as ingest samples them) or photo, the frames with a face and the faces found
 * when YuNet runs at the fixed 640x640, at the frame's aspect (longest side 640) and at the frame's
 * aspect with the longest side 320, and the lowest IoU of the largest face against 640x640.
 *
 * <pre>
 * java -cp "$(cat video-worker/target/test-classpath.txt):video-worker/target/classes:video-worker/target/test-classes" \
 *   io.emostream.video.face.FaceDetectionSurvey samples/*.mp4 samples/labelled/*.mp4 \
 *   video-worker/src/test/resources/faces/*.png video-worker/src/test/resources/faces/*.jpg
 * </pre>
 */
public final class FaceDetectionSurvey {

  private FaceDetectionSurvey() {}

  public static void main(String[] args) throws Exception {
    Path yunet = Path.of("models/yunet");
    try (OrtModel fixedModel =
            OrtModel.open(
                "yunet-640", yunet.resolve("face_detection_yunet_2023mar.onnx"), Device.CPU, 1);
        OrtModel dynamicModel =
            OrtModel.open(
                "yunet-dynamic",
                yunet.resolve("face_detection_yunet_2023mar_dynamic.onnx"),
                Device.CPU,
                1)) {
      List<YuNetDetector> detectors =
          List.of(
              new YuNetDetector(fixedModel, 0.6f, 0.3f, 50),
              new YuNetDetector(dynamicModel, 0.6f, 0.3f, 50),
              new YuNetDetector(dynamicModel, 0.6f, 0.3f, 50, 320));
      System.out.println(
          "| media | frames | frames with a face (faces) 640x640 | aspect 640 | aspect 320 |"
              + " lowest IoU aspect 640"
              + " | lowest IoU aspect 320 |");
      System.out.println("|---|---|---|---|---|---|---|");
      for (String arg : args) {
        survey(Path.of(arg), detectors);
      }
    }
  }

  private static void survey(Path media, List<YuNetDetector> detectors) throws Exception {
    List<BufferedImage> frames = frames(media);
    int[] found = new int[detectors.size()];
    int[] faces = new int[detectors.size()];
    float[] lowestIou = {1f, 1f, 1f};
    for (BufferedImage frame : frames) {
      Optional<Face> reference = Optional.empty();
      for (int d = 0; d < detectors.size(); d++) {
        List<Face> all = detectors.get(d).detect(frame);
        faces[d] += all.size();
        Optional<Face> largest = all.stream().max(Comparator.comparing(Face::area));
        if (largest.isPresent()) {
          found[d]++;
        }
        if (d == 0) {
          reference = largest;
        } else if (reference.isPresent()) {
          Face want = reference.get();
          float iou = largest.map(f -> YuNetDetector.iou(f, want)).orElse(0f);
          lowestIou[d] = Math.min(lowestIou[d], iou);
        }
      }
    }
    System.out.printf(
        "| %s | %d | %d (%d) | %d (%d) | %d (%d) | %.3f | %.3f |%n",
        media.getFileName(),
        frames.size(),
        found[0],
        faces[0],
        found[1],
        faces[1],
        found[2],
        faces[2],
        lowestIou[1],
        lowestIou[2]);
  }

  /**
   * A video's frames as ingest samples them (default settings but 32 frames per clip, the old
   * default, so that the comparison covers four times the frames), or a photo as one frame.
   */
  static List<BufferedImage> frames(Path media) throws Exception {
    String name = media.getFileName().toString();
    if (name.endsWith(".png") || name.endsWith(".jpg")) {
      return List.of(ImageIO.read(Files.newInputStream(media)));
    }
    List<byte[]> jpegs = new ArrayList<>();
    try (VideoDemuxer demuxer =
        new VideoDemuxer(
            IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "32"))))) {
      demuxer.demux(media, clip -> clip.frames().forEach(f -> jpegs.add(f.jpeg())));
    }
    List<BufferedImage> frames = new ArrayList<>(jpegs.size());
    for (byte[] jpeg : jpegs) {
      frames.add(ImageIO.read(new ByteArrayInputStream(jpeg)));
    }
    return frames;
  }
}
