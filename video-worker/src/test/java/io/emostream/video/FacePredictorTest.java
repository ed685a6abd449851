package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.ClipPredictor;
import io.emostream.inference.Device;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.OrtModel;
import io.emostream.inference.Probabilities;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.schemas.AvroSerde;
import io.emostream.schemas.Frame;
import io.emostream.schemas.FrameBatch;
import io.emostream.schemas.PredictionStatus;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The face path of the video worker on the shipped models: both expression models on the labelled
 * photos, clips made of photo frames, batching across clips, per-clip failure isolation, and the
 * RAVDESS neutral clip from {@code ../shared} (skipped with a message when that folder is absent).
 */
class FacePredictorTest {

  private static final Path MODELS =
      Path.of(System.getProperty("emostream.models.dir", "../models"));
  private static final Path MOBILE = MODELS.resolve("fer-mobilefacenet/manifest.json");
  private static final Path XCEPTION = MODELS.resolve("fer-mini-xception/manifest.json");

  /** The model the video worker runs when EMOSTREAM_VIDEO_MODEL is unset. */
  private static final Path DEFAULT = MODELS.resolve(VideoWorkerMain.DEFAULT_MODEL.subpath(1, 3));

  private static final Path RAVDESS_NEUTRAL =
      Path.of("../../shared/data/av-clips/01-01-01-01-01-01-01.mp4");

  private static OrtModel mobileModel;
  private static OrtModel xceptionModel;
  private static FacePredictor mobile;
  private static FacePredictor xception;

  @BeforeAll
  static void load() throws Exception {
    mobileModel = OrtModel.load(MOBILE, Device.CPU, 1);
    xceptionModel = OrtModel.load(XCEPTION, Device.CPU, 1);
    mobile = new FacePredictor(mobileModel, MOBILE.getParent(), Device.CPU, 1, null, 32);
    xception = new FacePredictor(xceptionModel, XCEPTION.getParent(), Device.CPU, 1, null, 32);
  }

  @AfterAll
  static void close() {
    for (AutoCloseable c : new AutoCloseable[] {mobile, xception, mobileModel, xceptionModel}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // closing native sessions at the end of the class; nothing to report
      }
    }
  }

  @ParameterizedTest(name = "mini-XCEPTION: {0} -> {1}")
  @CsvSource({
    "demo_q1_surprise.png, surprised",
    "demo_q2_happy.png, happy",
    "demo_q4_angry.png, angry",
  })
  void miniXceptionClassifiesTheLabelledPhotos(String photo, String expected) throws Exception {
    ClipPredictor.Outcome outcome = xception.predict("c", clip(photo(photo)));

    assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
    assertThat(label(xceptionModel, outcome)).isEqualTo(expected);
  }

  @Disabled(
      "known miss of mini-XCEPTION on this photo: measured (as a one-frame JPEG clip) angry 0.495, sad 0.332, neutral 0.087")
  @Test
  void miniXceptionClassifiesTheSadPhotoAsSad() throws Exception {
    assertThat(label(xceptionModel, xception.predict("c", clip(photo("demo_q3_sad.png")))))
        .isEqualTo("sad");
  }

  @Test
  void aClipOfTheHappyPhotoIsHappyWithEveryFrameAnalysed() throws Exception {
    BufferedImage happy = photo("demo_q2_happy.png");

    ClipPredictor.Outcome outcome = mobile.predict("c", clip(happy, happy, happy, happy));

    assertThat(outcome.status()).isEqualTo(PredictionStatus.OK);
    assertThat(outcome.itemsAnalysed()).isEqualTo(4);
    assertThat(label(mobileModel, outcome)).isEqualTo("happy");
  }

  @Test
  void framesWithoutAFaceAreSkippedAndAClipWithoutAnyIsNoFace() throws Exception {
    BufferedImage happy = photo("demo_q2_happy.png");

    ClipPredictor.Outcome mixed = mobile.predict("c", clip(grey(), happy, grey()));
    ClipPredictor.Outcome none = mobile.predict("c", clip(grey(), grey()));

    assertThat(mixed.itemsAnalysed()).isEqualTo(1);
    assertThat(none.status()).isEqualTo(PredictionStatus.NO_FACE);
    assertThat(none.probabilities()).isEmpty();
    assertThat(none.error()).contains("2 frames");
  }

  @Test
  void clipsPredictedTogetherGetWhatEachGetsAloneAndABadClipFailsAlone() throws Exception {
    byte[] happy = clip(photo("demo_q2_happy.png"), photo("demo_q2_happy.png"));
    byte[] angry = clip(photo("demo_q4_angry.png"));
    byte[] noFace = clip(grey());
    byte[] garbage = {1, 2, 3};

    for (FacePredictor predictor : List.of(mobile, xception)) {
      List<ClipPredictor.Result> results =
          predictor.predictAll(
              List.of(
                  new ClipPredictor.Input("h", happy),
                  new ClipPredictor.Input("bad", garbage),
                  new ClipPredictor.Input("n", noFace),
                  new ClipPredictor.Input("a", angry)));

      assertThat(results).hasSize(4);
      assertThat(results.get(0).outcome().probabilities())
          .containsExactly(predictor.predict("h", happy).probabilities(), within(1e-5f));
      assertThat(results.get(1).failure()).isNotNull();
      assertThat(results.get(2).outcome().status()).isEqualTo(PredictionStatus.NO_FACE);
      assertThat(results.get(3).outcome().probabilities())
          .containsExactly(predictor.predict("a", angry).probabilities(), within(1e-5f));
    }
    assertThatThrownBy(() -> mobile.predict("bad", garbage)).isInstanceOf(Exception.class);
  }

  @Test
  void dynamicBatchModelGivesTheSamePosteriorsInOneRunAsFaceByFace() throws Exception {
    byte[] clip =
        clip(
            photo("demo_q1_surprise.png"),
            photo("demo_q2_happy.png"),
            photo("demo_q3_sad.png"),
            photo("demo_q4_angry.png"));
    try (FacePredictor oneByOne =
        new FacePredictor(xceptionModel, XCEPTION.getParent(), Device.CPU, 1, null, 1)) {
      assertThat(xception.predict("c", clip).probabilities())
          .containsExactly(oneByOne.predict("c", clip).probabilities(), within(1e-5f));
    }
  }

  @Test
  void aggregationIsTheManifestsUnlessOverriddenAndConfidenceWeightingWeighsSureFramesMore()
      throws Exception {
    BufferedImage happy = photo("demo_q2_happy.png");
    BufferedImage sad = photo("demo_q3_sad.png");
    float[] pHappy = xception.predict("c", clip(happy)).probabilities();
    float[] pSad = xception.predict("c", clip(sad)).probabilities();
    try (FacePredictor weighted =
        new FacePredictor(
            xceptionModel,
            XCEPTION.getParent(),
            Device.CPU,
            1,
            ModelManifest.Aggregation.CONFIDENCE_WEIGHTED,
            32)) {
      byte[] both = clip(happy, sad);

      assertThat(xception.aggregation()).isEqualTo(ModelManifest.Aggregation.MEAN);
      assertThat(xception.predict("c", both).probabilities())
          .containsExactly(Probabilities.mean(List.of(pHappy, pSad)), within(1e-5f));
      assertThat(weighted.predict("c", both).probabilities())
          .containsExactly(
              Probabilities.confidenceWeightedMean(List.of(pHappy, pSad)), within(1e-5f));
    }
  }

  @Test
  void ravdessNeutralClipHasAFaceInMostFramesAndTheDefaultModelCallsItNeutral() throws Exception {
    byte[] clip = ravdessNeutralFrames();
    int frames = new AvroSerde<>(FrameBatch.class).decode(clip).getFrames().size();

    ClipPredictor.Outcome byXception = xception.predict("c", clip);
    ClipPredictor.Outcome byMobile = mobile.predict("c", clip);

    assertThat(DEFAULT).isEqualTo(XCEPTION);
    assertThat(byXception.itemsAnalysed()).isGreaterThan(frames * 8 / 10);
    assertThat(byMobile.itemsAnalysed()).isGreaterThan(frames * 8 / 10);
    assertThat(label(xceptionModel, byXception)).isEqualTo("neutral");
  }

  /**
   * Why MobileFaceNet is not the default: it calls this neutral clip happy (measured happy 0.591,
   * neutral 0.388, 23 of 31 frames happy; OpenCV Zoo's own recipe,
   * training/video/opencv_zoo_reference.py, agrees). If this starts failing, "Which face model is
   * the default" in docs/models.md needs a new look.
   */
  @Test
  void mobileFaceNetCallsTheRavdessNeutralClipHappy() throws Exception {
    ClipPredictor.Outcome outcome = mobile.predict("c", ravdessNeutralFrames());

    assertThat(label(mobileModel, outcome)).isEqualTo("happy");
    assertThat(outcome.probabilities()[mobileModel.manifest().labels().indexOf("neutral")])
        .isBetween(0.3f, 0.5f);
  }

  /**
   * The clip's frames exactly as ingest samples them (default settings: 32 per 4 s, 640 px side,
   * JPEG 0.9).
   */
  private static byte[] ravdessNeutralFrames() {
    Assumptions.assumeTrue(
        Files.isRegularFile(RAVDESS_NEUTRAL),
        "skipped: "
            + RAVDESS_NEUTRAL.toAbsolutePath()
            + " is absent (the development data folder ../shared beside the project)");
    List<Frame> frames = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of())))
        .demux(
            RAVDESS_NEUTRAL,
            clip ->
                clip.frames()
                    .forEach(
                        f ->
                            frames.add(
                                new Frame(
                                    f.timestampMs(),
                                    f.width(),
                                    f.height(),
                                    ByteBuffer.wrap(f.jpeg())))));
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("ravdess", frames));
  }

  private static String label(OrtModel model, ClipPredictor.Outcome outcome) {
    return model.manifest().labels().get(Probabilities.argmax(outcome.probabilities()));
  }

  private static byte[] clip(BufferedImage... images) throws IOException {
    List<Frame> frames = new ArrayList<>();
    for (int i = 0; i < images.length; i++) {
      BufferedImage rgb =
          new BufferedImage(
              images[i].getWidth(), images[i].getHeight(), BufferedImage.TYPE_INT_RGB);
      Graphics2D g = rgb.createGraphics();
      g.drawImage(images[i], 0, 0, null);
      g.dispose();
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(rgb, "jpg", jpeg);
      frames.add(
          new Frame(
              (long) i * 125,
              rgb.getWidth(),
              rgb.getHeight(),
              ByteBuffer.wrap(jpeg.toByteArray())));
    }
    return new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c", frames));
  }

  private static BufferedImage grey() {
    BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(128, 128, 128));
    g.fillRect(0, 0, 320, 240);
    g.dispose();
    return image;
  }

  private static BufferedImage photo(String name) throws IOException {
    try (InputStream in = FacePredictorTest.class.getResourceAsStream("/faces/" + name)) {
      assertThat(in).as("test resource faces/%s", name).isNotNull();
      return ImageIO.read(in);
    }
  }
}
