package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.kafka.Env;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.topics.Topics;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * EMOSTREAM_FACE_DETECT_EVERY through the real face path: N = 1 detects every frame, as before the
 * setting; N = 4 carries frame 0's face to frames 1-3, which a clip of four different photos of the
 * same size shows. EMOSTREAM_FACE_DETECT_SIDE (the side YuNet runs at) is read, checked and reaches
 * the detector.
 */
class FaceDetectEveryTest {

  private static final Path XCEPTION =
      Path.of(System.getProperty("emostream.models.dir", "../models"))
          .resolve("fer-mini-xception/manifest.json");
  private static final List<String> PHOTOS =
      List.of("demo_q1_surprise.png", "demo_q2_happy.png", "demo_q3_sad.png", "demo_q4_angry.png");

  private static OrtModel model;

  @BeforeAll
  static void load() {
    model = OrtModel.load(XCEPTION, Device.CPU, 1);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void nOneDetectsEveryFrameAsBeforeTheSetting() throws Exception {
    List<float[]> alone = new ArrayList<>();
    try (FacePredictor everyFrame = predictor(1)) {
      for (String photo : PHOTOS) {
        alone.add(everyFrame.predict("one", clip(List.of(photo))).probabilities());
      }

      ClipPredictor.Outcome together = everyFrame.predict("four", clip(PHOTOS));

      assertThat(together.itemsAnalysed()).isEqualTo(4);
      assertThat(together.probabilities())
          .containsExactly(Probabilities.mean(alone), within(1e-5f));
    }
  }

  @Test
  void nFourCarriesTheFirstFramesFaceToTheNextThree() throws Exception {
    try (FacePredictor everyFrame = predictor(1);
        FacePredictor everyFourth = predictor(4)) {
      byte[] clip = clip(PHOTOS);

      ClipPredictor.Outcome carried = everyFourth.predict("four", clip);

      assertThat(carried.itemsAnalysed()).isEqualTo(4);
      assertThat(carried.probabilities())
          .isNotEqualTo(everyFrame.predict("four", clip).probabilities());
      // the first frame is detected either way
      assertThat(everyFourth.predict("one", clip(PHOTOS.subList(0, 1))).probabilities())
          .containsExactly(
              everyFrame.predict("one", clip(PHOTOS.subList(0, 1))).probabilities(), within(1e-6f));
    }
  }

  @Test
  void theSettingIsReadAndCheckedFromTheEnvironment() {
    assertThat(FaceConfig.fromEnv(new Env(Map.of()))).isEqualTo(FaceConfig.DEFAULTS);
    assertThat(FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_EVERY_ENV, "3"))).detectEvery())
        .isEqualTo(3);
    assertThatThrownBy(() -> FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_EVERY_ENV, "0"))))
        .hasMessageContaining(FaceConfig.DETECT_EVERY_ENV)
        .hasMessageContaining("1 to 64");
    assertThatThrownBy(() -> FaceConfig.DEFAULTS.withDetectEvery(65))
        .hasMessageContaining("1 to 64");
  }

  @Test
  void theDetectSideIsReadAndCheckedFromTheEnvironment() {
    assertThat(FaceConfig.DEFAULTS.detectSide()).isEqualTo(FaceConfig.DEFAULT_DETECT_SIDE);
    assertThat(FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_SIDE_ENV, "320"))).detectSide())
        .isEqualTo(320);
    assertThat(FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_SIDE_ENV, "160"))).detectSide())
        .isEqualTo(160);
    assertThatThrownBy(() -> FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_SIDE_ENV, "300"))))
        .hasMessageContaining(FaceConfig.DETECT_SIDE_ENV)
        .hasMessageContaining("'300' is not valid: expected a multiple of 32 from 160 to 640");
    assertThatThrownBy(() -> FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_SIDE_ENV, "672"))))
        .hasMessageContaining(FaceConfig.DETECT_SIDE_ENV)
        .hasMessageContaining("160 to 640");
    assertThatThrownBy(() -> FaceConfig.fromEnv(new Env(Map.of(FaceConfig.DETECT_SIDE_ENV, "big"))))
        .hasMessageContaining(FaceConfig.DETECT_SIDE_ENV);
    assertThatThrownBy(() -> FaceConfig.DEFAULTS.withDetectSide(128))
        .hasMessageContaining("multiple of 32 from 160 to 640");
  }

  @Test
  void theDetectSideReachesTheDetector() throws Exception {
    // a 293x291 photo runs at 320x320 under 640 and 320 alike (never enlarged), at 160x160 under
    // 160
    byte[] clip = clip(PHOTOS.subList(1, 2));
    try (FacePredictor at640 = predictor(FaceConfig.DEFAULTS);
        FacePredictor at320 = predictor(FaceConfig.DEFAULTS.withDetectSide(320));
        FacePredictor at160 = predictor(FaceConfig.DEFAULTS.withDetectSide(160))) {
      float[] full = at640.predict("one", clip).probabilities();

      assertThat(at320.predict("one", clip).probabilities()).containsExactly(full, within(1e-6f));
      assertThat(at160.predict("one", clip).probabilities()).isNotEqualTo(full);
    }
  }

  private static FacePredictor predictor(int every) throws Exception {
    return predictor(FaceConfig.DEFAULTS.withDetectEvery(every));
  }

  private static FacePredictor predictor(FaceConfig config) throws Exception {
    return new FacePredictor(
        model, XCEPTION.getParent(), Device.CPU, 1, null, 32, Topics.defaults().frames(), config);
  }

  private static byte[] clip(List<String> photos) throws IOException {
    List<Frame> frames = new ArrayList<>();
    for (String photo : photos) {
      BufferedImage image;
      try (InputStream in = FaceDetectEveryTest.class.getResourceAsStream("/faces/" + photo)) {
        image = ImageIO.read(in);
      }
      BufferedImage rgb =
          new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
      rgb.getGraphics().drawImage(image, 0, 0, null);
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(rgb, "jpg", jpeg);
      frames.add(
          new Frame(
              (long) frames.size() * 125,
              rgb.getWidth(),
              rgb.getHeight(),
              ByteBuffer.wrap(jpeg.toByteArray())));
    }
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c", frames));
  }
}
