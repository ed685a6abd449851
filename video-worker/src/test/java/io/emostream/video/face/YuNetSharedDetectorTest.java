package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * One detector shared between threads, as the video worker shares it: each thread packs into its
 * own direct input buffer, which ONNX Runtime reads in place, so threads running at once on frames
 * of different sizes (and so different input sizes, a smaller input after a larger one in the same
 * buffer) find exactly the faces one thread finds alone.
 */
class YuNetSharedDetectorTest {

  private static final Path YUNET =
      Path.of(System.getProperty("emostream.models.dir", "../models")).resolve("yunet");

  private static final int THREADS = 4;

  @Test
  void threadsSharingTheDetectorFindWhatOneThreadFinds() throws Exception {
    List<BufferedImage> frames = new ArrayList<>();
    // 293x291 RGBA photos (320x320 inputs), a 2048x1536 JPEG (shrunk: 640x480), 640x360 clip frames
    for (String photo : List.of("demo_q1_surprise.png", "demo_q2_happy.png", "test_image.jpg")) {
      frames.add(photo(photo));
    }
    frames.addAll(FaceDetectionSurvey.frames(Path.of("../samples/happy-speech.mp4")).subList(0, 4));
    try (OrtModel model =
        OrtModel.open(
            "yunet-dynamic",
            YUNET.resolve("face_detection_yunet_2023mar_dynamic.onnx"),
            Device.CPU,
            1)) {
      YuNetDetector detector = new YuNetDetector(model, 0.6f, 0.3f, 50);
      List<List<Face>> alone = new ArrayList<>();
      for (BufferedImage frame : frames) {
        alone.add(detector.detect(frame));
      }
      assertThat(alone.stream().mapToInt(List::size).sum()).isGreaterThanOrEqualTo(1 + 1 + 6);

      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<List<List<Face>>>> runs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          runs.add(pool.submit(detectAllFrom(detector, frames, t)));
        }
        for (Future<List<List<Face>>> run : runs) {
          assertThat(run.get()).isEqualTo(alone);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /**
   * Every frame detected twice, starting at frame {@code start} so that the threads run different
   * sizes at once; the faces in the frames' order.
   */
  private static Callable<List<List<Face>>> detectAllFrom(
      YuNetDetector detector, List<BufferedImage> frames, int start) {
    return () -> {
      List<List<Face>> faces = new ArrayList<>(Collections.nCopies(frames.size(), List.of()));
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < frames.size(); i++) {
          int frame = (start + i) % frames.size();
          faces.set(frame, detector.detect(frames.get(frame)));
        }
      }
      return faces;
    };
  }

  private static BufferedImage photo(String name) throws IOException {
    try (InputStream in = YuNetSharedDetectorTest.class.getResourceAsStream("/faces/" + name)) {
      assertThat(in).as("test resource faces/%s", name).isNotNull();
      return ImageIO.read(in);
    }
  }
}
