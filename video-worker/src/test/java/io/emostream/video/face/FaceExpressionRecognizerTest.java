package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real YuNet and MobileFaceNet models on the labelled test photos. Models are read from {@code
 * emostream.models.dir} (default {@code ../models}, the project's models folder when Maven runs in
 * the module folder); photos from the {@code faces/} test resources.
 */
class FaceExpressionRecognizerTest {

  private static final Path MODELS =
      Path.of(System.getProperty("emostream.models.dir", "../models"));
  private static final Path YUNET = MODELS.resolve("yunet/face_detection_yunet_2023mar.onnx");
  private static final Path FER_DIR = MODELS.resolve("fer-mobilefacenet");
  private static final Path FER =
      FER_DIR.resolve("facial_expression_recognition_mobilefacenet_2022july_int8.onnx");

  private static OrtModel yunetModel;
  private static OrtModel ferModel;
  private static List<String> labels;
  private static YuNetDetector detector;
  private static ExpressionClassifier classifier;
  private static FaceExpressionRecognizer recognizer;

  @BeforeAll
  static void loadModels() throws IOException {
    yunetModel = OrtModel.open("yunet", YUNET, Device.CPU, 1);
    ferModel = OrtModel.open("fer-mobilefacenet", FER, Device.CPU, 1);
    labels =
        Files.readAllLines(FER_DIR.resolve("labels.txt")).stream()
            .filter(l -> !l.isBlank())
            .toList();
    detector = new YuNetDetector(yunetModel, 0.6f, 0.3f, 50);
    classifier = new ExpressionClassifier(ferModel, labels);
    recognizer = new FaceExpressionRecognizer(detector, FaceSelectionPolicy.LARGEST, classifier);
  }

  @AfterAll
  static void closeModels() {
    if (yunetModel != null) {
      yunetModel.close();
    }
    if (ferModel != null) {
      ferModel.close();
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "demo_q1_surprise.png, surprised",
    "demo_q2_happy.png, happy",
    "demo_q4_angry.png, angry",
  })
  void labelledPhotoIsClassifiedAsItsLabel(String photo, String expected) throws Exception {
    BufferedImage image = photo(photo);

    assertThat(detector.detect(image)).hasSize(1);
    float[] probabilities = recognizer.classify(image).orElseThrow();

    assertThat(sum(probabilities)).isCloseTo(1f, within(1e-5f));
    assertThat(recognizer.labels().get(argmax(probabilities))).isEqualTo(expected);
  }

  @Disabled(
      "known miss of the int8 model on this photo: measured neutral 0.932, disgust 0.047, sad 0.019 (OpenCV Zoo's own recipe also says neutral: see the model card)")
  @Test
  void sadPhotoIsClassifiedAsSad() throws Exception {
    float[] probabilities = recognizer.classify(photo("demo_q3_sad.png")).orElseThrow();

    assertThat(recognizer.labels().get(argmax(probabilities))).isEqualTo("sad");
  }

  @Test
  void sadPhotoStillYieldsOneFaceAndAProbabilityVector() throws Exception {
    BufferedImage image = photo("demo_q3_sad.png");

    assertThat(detector.detect(image)).hasSize(1);
    assertThat(recognizer.classify(image)).get().satisfies(p -> assertThat(p).hasSize(7));
  }

  @Test
  void groupPhotoYieldsEveryFaceAndLargestPicksTheBiggestBox() throws Exception {
    BufferedImage image = photo("test_image.jpg");

    List<Face> faces = detector.detect(image);

    // six people, every face scored above 0.9 when this was written
    assertThat(faces).hasSize(6);
    assertThat(faces).isSortedAccordingTo(Comparator.comparingDouble(Face::score).reversed());
    Face largest =
        FaceSelectionPolicy.LARGEST
            .select(faces, image.getWidth(), image.getHeight())
            .orElseThrow();
    assertThat(faces).allSatisfy(f -> assertThat(largest.area()).isGreaterThanOrEqualTo(f.area()));
    // the selfie face in the lower half, not one of the five people behind
    assertThat(largest.centerY()).isGreaterThan(image.getHeight() / 2f);
  }

  @Test
  void facesAreInTheOriginalImageCoordinates() throws Exception {
    BufferedImage image = photo("test_image.jpg");

    for (Face face : detector.detect(image)) {
      float[] lm = face.landmarks();
      for (int k = 0; k < 5; k++) {
        assertThat(lm[2 * k]).isBetween(face.x(), face.x() + face.width());
        assertThat(lm[2 * k + 1]).isBetween(face.y(), face.y() + face.height());
      }
      assertThat(face.x() + face.width()).isLessThanOrEqualTo(image.getWidth() + 1f);
    }
  }

  @Test
  void plainGreyImageHasNoFace() throws Exception {
    BufferedImage grey = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = grey.createGraphics();
    g.setColor(new Color(128, 128, 128));
    g.fillRect(0, 0, 640, 480);
    g.dispose();

    assertThat(detector.detect(grey)).isEmpty();
    assertThat(recognizer.classify(grey)).isEmpty();
  }

  @Test
  void fixedBatchModelClassifiesABatchFaceByFace() throws Exception {
    BufferedImage happy = alignedLargestFace("demo_q2_happy.png");
    BufferedImage angry = alignedLargestFace("demo_q4_angry.png");

    float[][] batch = classifier.probabilities(List.of(happy, angry));

    assertThat(classifier.batched()).isFalse();
    assertThat(batch[0]).containsExactly(classifier.probabilities(happy), within(1e-6f));
    assertThat(batch[1]).containsExactly(classifier.probabilities(angry), within(1e-6f));
    assertThat(classifier.probabilities(List.of())).isEmpty();
  }

  @Test
  void modelsAreCheckedAtConstruction() {
    assertThat(labels)
        .containsExactly("angry", "disgust", "fearful", "happy", "neutral", "sad", "surprised");
    assertThatThrownBy(() -> new ExpressionClassifier(yunetModel, labels))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ExpressionClassifier(ferModel, labels.subList(0, 6)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new YuNetDetector(ferModel, 0.6f, 0.3f, 50))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new YuNetDetector(yunetModel, 1.5f, 0.3f, 50))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static BufferedImage alignedLargestFace(String photo) throws Exception {
    BufferedImage image = photo(photo);
    Face face =
        FaceSelectionPolicy.LARGEST
            .select(detector.detect(image), image.getWidth(), image.getHeight())
            .orElseThrow();
    return FaceAligner.align(image, face.landmarks());
  }

  private static BufferedImage photo(String name) throws IOException {
    try (InputStream in =
        FaceExpressionRecognizerTest.class.getResourceAsStream("/faces/" + name)) {
      assertThat(in).as("test resource faces/%s", name).isNotNull();
      return ImageIO.read(in);
    }
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  private static float sum(float[] values) {
    float s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }
}
