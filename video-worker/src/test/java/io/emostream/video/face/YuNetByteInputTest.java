package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped detector copy that takes bytes ({@code
 * face_detection_yunet_2023mar_dynamic_bgr8.onnx}, uint8 [1, H, W, 3], cast and transposed in its
 * graph) against the float dynamic copy it was made from: on every frame ingest publishes (640 px
 * at most, so never resized) the first convolution gets the same floats, so the faces must be the
 * same to the bit; a frame that is shrunk first (the 2048x1536 group photo) is rounded to bytes
 * after resizing, as OpenCV's {@code resize} of an 8-bit image is, and may differ by that rounding
 * only.
 */
class YuNetByteInputTest {

  private static final Path YUNET =
      Path.of(System.getProperty("emostream.models.dir", "../models")).resolve("yunet");

  private static OrtModel floatModel;
  private static OrtModel byteModel;
  private static YuNetDetector floats;
  private static YuNetDetector bytes;

  @BeforeAll
  static void load() {
    floatModel =
        OrtModel.open(
            "yunet-dynamic",
            YUNET.resolve("face_detection_yunet_2023mar_dynamic.onnx"),
            Device.CPU,
            1);
    byteModel =
        OrtModel.open(
            "yunet-dynamic-bgr8",
            YUNET.resolve("face_detection_yunet_2023mar_dynamic_bgr8.onnx"),
            Device.CPU,
            1);
    floats = new YuNetDetector(floatModel, 0.6f, 0.3f, 50);
    bytes = new YuNetDetector(byteModel, 0.6f, 0.3f, 50);
  }

  @AfterAll
  static void close() {
    floatModel.close();
    byteModel.close();
  }

  @Test
  void framesOfTheShippedClipsGetExactlyTheFloatCopysFaces() throws Exception {
    int frames = 0;
    int faces = 0;
    for (String clip :
        List.of(
            "happy-speech.mp4",
            "labelled/01-01-01-01-01-01-01.mp4",
            "labelled/01-01-07-02-02-01-01.mp4")) {
      for (BufferedImage frame : FaceDetectionSurvey.frames(Path.of("../samples").resolve(clip))) {
        List<Face> want = floats.detect(frame);
        assertThat(bytes.detect(frame))
            .as("%s frame %d", clip, frames)
            .usingRecursiveFieldByFieldElementComparator()
            .containsExactlyElementsOf(want);
        faces += want.size();
        frames++;
      }
    }
    assertThat(frames).isGreaterThan(80);
    assertThat(faces).isGreaterThanOrEqualTo(frames * 9 / 10);
  }

  @Test
  void photosNotResizedGetExactlyTheFloatCopysFacesAndTheShrunkGroupPhotoTheSameFaces()
      throws Exception {
    for (String photo :
        List.of(
            "demo_q1_surprise.png", "demo_q2_happy.png", "demo_q3_sad.png", "demo_q4_angry.png")) {
      BufferedImage image = photo(photo);
      assertThat(bytes.detect(image))
          .as(photo)
          .hasSize(1)
          .usingRecursiveFieldByFieldElementComparator()
          .containsExactlyElementsOf(floats.detect(image));
    }
    BufferedImage group = photo("test_image.jpg");
    List<Face> want = floats.detect(group);
    List<Face> got = bytes.detect(group);
    assertThat(got).hasSize(6).hasSameSizeAs(want);
    for (Face face : want) {
      // the same six people, each matched by its best overlap, with nearly the same score
      Face match =
          got.stream()
              .max((a, b) -> Float.compare(YuNetDetector.iou(face, a), YuNetDetector.iou(face, b)))
              .orElseThrow();
      assertThat(YuNetDetector.iou(face, match)).isGreaterThan(0.95f);
      assertThat(Math.abs(face.score() - match.score())).isLessThan(0.01f);
    }
  }

  private static BufferedImage photo(String name) throws IOException {
    try (InputStream in = YuNetByteInputTest.class.getResourceAsStream("/faces/" + name)) {
      assertThat(in).as("test resource faces/%s", name).isNotNull();
      return ImageIO.read(in);
    }
  }
}
