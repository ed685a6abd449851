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
 * The accuracy guard of running YuNet at the frame's aspect ratio (the dynamic-dims copy, 640x384
 * for ingest's 640x360 frames) instead of the original fixed 640x640: on real frames, as ingest
 * samples the shipped clips, and on the labelled photos, both find the same faces (same count, same
 * order) with the same boxes, scores and landmarks within a stated tolerance. The two differ at all
 * because a 640x640 input has more zero padding below the frame, which reaches the faces through
 * the network's receptive field: 640x360 frames (happy-speech) change least, 640x480 frames and the
 * group photo most.
 */
class YuNetAspectInputTest {

  private static final Path YUNET =
      Path.of(System.getProperty("emostream.models.dir", "../models")).resolve("yunet");

  /**
   * Differences allowed between the two inputs' faces, just outside the worst measured (2026-11-29,
   * ONNX Runtime 1.29.0 CPU): lowest IoU 0.937 (the group photo's top face; 0.962 on a frame of the
   * 640x480 disgust clip), largest score difference 0.0016, largest landmark shift 0.061 of the
   * face's width.
   */
  private static final float MIN_IOU = 0.93f;

  private static final float MAX_SCORE_DIFFERENCE = 0.005f;
  private static final float MAX_LANDMARK_SHIFT = 0.08f;

  private static OrtModel fixedModel;
  private static OrtModel dynamicModel;
  private static YuNetDetector fixed;
  private static YuNetDetector aspect;

  /** The largest differences seen, printed at the end for the model card. */
  private static float worstIou = 1f;

  private static float worstScore;
  private static float worstLandmark;

  @BeforeAll
  static void load() {
    fixedModel =
        OrtModel.open(
            "yunet-640", YUNET.resolve("face_detection_yunet_2023mar.onnx"), Device.CPU, 1);
    dynamicModel =
        OrtModel.open(
            "yunet-dynamic",
            YUNET.resolve("face_detection_yunet_2023mar_dynamic.onnx"),
            Device.CPU,
            1);
    fixed = new YuNetDetector(fixedModel, 0.6f, 0.3f, 50);
    aspect = new YuNetDetector(dynamicModel, 0.6f, 0.3f, 50);
  }

  @AfterAll
  static void close() {
    System.out.printf(
        "640x640 against the frame's aspect: lowest IoU %.4f, largest score difference %.4f,"
            + " largest landmark difference %.4f face widths%n",
        worstIou, worstScore, worstLandmark);
    fixedModel.close();
    dynamicModel.close();
  }

  @Test
  void theDynamicCopyRunsEachFrameAtItsOwnSizeRoundedUpTo32() {
    assertThat(aspect.inputSize(640, 360)).isEqualTo(new YuNetDetector.InputSize(640, 384, 1f));
    assertThat(aspect.inputSize(640, 480)).isEqualTo(new YuNetDetector.InputSize(640, 480, 1f));
    assertThat(aspect.inputSize(293, 291)).isEqualTo(new YuNetDetector.InputSize(320, 320, 1f));
    assertThat(aspect.inputSize(2048, 1536))
        .isEqualTo(new YuNetDetector.InputSize(640, 480, 0.3125f));
    assertThat(fixed.inputSize(640, 360)).isEqualTo(new YuNetDetector.InputSize(640, 640, 1f));
  }

  @Test
  void framesOfTheShippedClipsGetTheSameFacesAsAt640x640() throws Exception {
    int frames = 0;
    int faces = 0;
    for (String clip :
        List.of(
            "happy-speech.mp4",
            "labelled/01-01-01-01-01-01-01.mp4",
            "labelled/01-01-07-02-02-01-01.mp4")) {
      for (BufferedImage frame : FaceDetectionSurvey.frames(Path.of("../samples").resolve(clip))) {
        faces += assertSameFaces(clip + " frame " + frames, frame);
        frames++;
      }
    }
    assertThat(frames).isGreaterThan(80);
    assertThat(faces).isGreaterThanOrEqualTo(frames * 9 / 10);
  }

  @Test
  void theLabelledPhotosGetTheSameFacesAsAt640x640() throws Exception {
    int faces = 0;
    for (String photo :
        List.of(
            "demo_q1_surprise.png",
            "demo_q2_happy.png",
            "demo_q3_sad.png",
            "demo_q4_angry.png",
            "test_image.jpg")) {
      faces += assertSameFaces(photo, photo(photo));
    }
    assertThat(faces).isEqualTo(4 + 6);
  }

  /** Asserts both detectors agree on the frame; returns how many faces they found. */
  private static int assertSameFaces(String what, BufferedImage frame) throws Exception {
    List<Face> want = fixed.detect(frame);
    List<Face> got = aspect.detect(frame);
    assertThat(got).as("%s: faces", what).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      Face a = want.get(i);
      Face b = got.get(i);
      worstIou = Math.min(worstIou, YuNetDetector.iou(a, b));
      worstScore = Math.max(worstScore, Math.abs(a.score() - b.score()));
      assertThat(YuNetDetector.iou(a, b)).as("%s face %d: IoU", what, i).isGreaterThan(MIN_IOU);
      assertThat(Math.abs(a.score() - b.score()))
          .as("%s face %d: score %s against %s", what, i, b.score(), a.score())
          .isLessThanOrEqualTo(MAX_SCORE_DIFFERENCE);
      float[] la = a.landmarks();
      float[] lb = b.landmarks();
      for (int k = 0; k < la.length; k++) {
        float shift = Math.abs(la[k] - lb[k]) / a.width();
        worstLandmark = Math.max(worstLandmark, shift);
        assertThat(shift)
            .as("%s face %d landmark coordinate %d, in face widths", what, i, k)
            .isLessThanOrEqualTo(MAX_LANDMARK_SHIFT);
      }
    }
    return want.size();
  }

  private static BufferedImage photo(String name) throws IOException {
    try (InputStream in = YuNetAspectInputTest.class.getResourceAsStream("/faces/" + name)) {
      assertThat(in).as("test resource faces/%s", name).isNotNull();
      return ImageIO.read(in);
    }
  }
}
