package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.inference.Device;
import io.emostream.inference.OrtModel;
import io.emostream.ingest.DemuxedClip;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.video.face.Face;
import io.emostream.video.face.YuNetDetector;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 5 through the video worker's own face detector: a portrait phone video (frames
 * stored sideways with a display matrix) sampled by ingest gives YuNet an upright face (eyes above
 * the mouth), where the frame as stored, what ingest sampled before, gives it a face lying on its
 * side.
 */
class RotatedVideoFaceTest {

  private static final Path SAMPLE = Path.of("../samples/happy-speech.mp4");
  private static final Path YUNET =
      Path.of(System.getProperty("emostream.models.dir", "../models"))
          .resolve("yunet/face_detection_yunet_2023mar.onnx");

  private static OrtModel yunet;
  private static YuNetDetector detector;

  @TempDir Path dir;

  @BeforeAll
  static void loadDetector() throws Exception {
    yunet = OrtModel.open("yunet", YUNET, Device.CPU, 1);
    detector = new YuNetDetector(yunet, 0.6f, 0.3f, 50);
  }

  @AfterAll
  static void close() throws Exception {
    yunet.close();
  }

  @Test
  void aPortraitPhoneVideoGivesTheDetectorAnUprightFace() throws Exception {
    BufferedImage upright = firstFrame(SAMPLE);
    assertThat(eyesAboveMouth(best(upright)))
        .as("the sample's face is upright to begin with")
        .isTrue();
    // Stored turned clockwise, with a matrix turning it back counter-clockwise by 90 degrees
    // (FFmpeg's convention).
    BufferedImage stored = clockwise(upright);
    Path phone = dir.resolve("portrait.mp4");
    record(phone, stored, 90);

    List<DemuxedClip> clips = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_FRAMES_PER_SEGMENT", "2"))))
        .demux(phone, clips::add);
    BufferedImage sampled =
        ImageIO.read(new ByteArrayInputStream(clips.get(0).frames().get(0).jpeg()));

    Face face = best(sampled);
    List<Face> asStored = detector.detect(stored);
    System.out.printf(
        "YuNet on the sampled frame: score %.2f, eyes above mouth %b; on the frame as stored: %s%n",
        face.score(),
        eyesAboveMouth(face),
        asStored.isEmpty()
            ? "no face"
            : asStored.size()
                + " face(s), eyes above mouth "
                + asStored.stream().map(f -> eyesAboveMouth(f)).toList());
    assertThat(eyesAboveMouth(face)).as("ingest hands the worker an upright face").isTrue();
    assertThat(asStored)
        .as("the frame as stored gives no upright face (none here, or one on its side)")
        .noneMatch(RotatedVideoFaceTest::eyesAboveMouth);
  }

  private static Face best(BufferedImage image) throws Exception {
    List<Face> faces = detector.detect(image);
    assertThat(faces).as("YuNet finds a face").isNotEmpty();
    return faces.stream().max(Comparator.comparingDouble(Face::score)).orElseThrow();
  }

  /** YuNet's landmarks: right eye, left eye, nose tip, right and left mouth corners, as (x, y). */
  private static boolean eyesAboveMouth(Face face) {
    float[] p = face.landmarks();
    float lowestEye = Math.max(p[1], p[3]);
    float highestMouthCorner = Math.min(p[7], p[9]);
    return lowestEye < highestMouthCorner;
  }

  private static BufferedImage firstFrame(Path video) throws Exception {
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile());
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      grabber.start();
      BufferedImage frame = converter.convert(grabber.grabImage());
      BufferedImage copy =
          new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
      copy.getGraphics().drawImage(frame, 0, 0, null);
      return copy;
    }
  }

  private static BufferedImage clockwise(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    BufferedImage out = new BufferedImage(h, w, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        out.setRGB(h - 1 - y, x, image.getRGB(x, y));
      }
    }
    return out;
  }

  /**
   * One second at 10 fps of {@code frame}, MPEG-4 in MP4, with a display matrix of {@code degrees}.
   */
  private static void record(Path file, BufferedImage frame, int degrees) throws Exception {
    try (FFmpegFrameRecorder recorder =
            new FFmpegFrameRecorder(file.toFile(), frame.getWidth(), frame.getHeight(), 0);
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      recorder.setFormat("mp4");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
      recorder.setVideoQuality(2);
      recorder.setFrameRate(10);
      recorder.setDisplayRotation(degrees);
      recorder.start();
      for (int i = 0; i < 10; i++) {
        recorder.record(converter.convert(frame));
      }
      recorder.stop();
    }
  }
}
