package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link FfmpegJpeg} on ingest's own frames of a shipped RAVDESS sample: the pictures ImageIO makes
 * of them, luma within 3 levels and colour close, written into the last frame's image when it fits,
 * and every picture it does not take (grey, PNG, garbage, truncated) left to ImageIO with the
 * decoder still fine for the next frame.
 */
class FfmpegJpegTest {

  private static final Path SAMPLE = Path.of("../samples/labelled/01-01-01-01-01-01-01.mp4");

  private static List<byte[]> frames;
  private static FfmpegJpeg decoder;

  @BeforeAll
  static void setUp() {
    frames = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of())))
        .demux(SAMPLE, clip -> clip.frames().forEach(f -> frames.add(f.jpeg())));
    decoder = new FfmpegJpeg();
  }

  @AfterAll
  static void tearDown() {
    decoder.close();
  }

  /**
   * Measured on this clip's frames: luma (what the default expression model reads) within 3 levels,
   * 80 % exact; colour samples 82 % exact, up to 20 levels off at sharp colour edges, because
   * swscale's unscaled YCbCr-to-BGR path repeats each chroma sample where libjpeg interpolates.
   * swscale's interpolating paths took 1.4-1.8 ms per frame, more than ImageIO.
   */
  @Test
  void ingestsFramesDecodeAsImageIoDoesInLumaAndNearlyInColour() throws IOException {
    assertThat(frames).hasSizeGreaterThanOrEqualTo(8);
    long samples = 0;
    long sampleDifference = 0;
    int maxSampleDifference = 0;
    long pixels = 0;
    long lumaOff = 0;
    int maxLumaDifference = 0;
    for (byte[] jpeg : frames) {
      BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg));

      BufferedImage image = decoder.decode(jpeg, null);

      assertThat(image).isNotNull();
      assertThat(image.getType()).isEqualTo(reference.getType());
      assertThat(image.getWidth()).isEqualTo(reference.getWidth());
      assertThat(image.getHeight()).isEqualTo(reference.getHeight());
      byte[] ours = pixels(image);
      byte[] theirs = pixels(reference);
      for (int i = 0; i < ours.length; i += 3) {
        for (int c = 0; c < 3; c++) {
          int difference = Math.abs((ours[i + c] & 0xff) - (theirs[i + c] & 0xff));
          sampleDifference += difference;
          maxSampleDifference = Math.max(maxSampleDifference, difference);
        }
        int luma = Math.abs(luma(ours, i) - luma(theirs, i));
        maxLumaDifference = Math.max(maxLumaDifference, luma);
        lumaOff += luma > 0 ? 1 : 0;
      }
      samples += ours.length;
      pixels += ours.length / 3;
    }
    assertThat(maxLumaDifference).as("largest luma difference").isLessThanOrEqualTo(3);
    assertThat((double) lumaOff / pixels).as("share of pixels whose luma differs").isLessThan(0.3);
    assertThat((double) sampleDifference / samples).as("mean sample difference").isLessThan(0.5);
    assertThat(maxSampleDifference).as("largest sample difference").isLessThanOrEqualTo(32);
  }

  /** BT.601 luma of the BGR pixel at {@code i}, as the grey expression model's input packs it. */
  private static int luma(byte[] bgr, int i) {
    return Math.round(
        0.114f * (bgr[i] & 0xff) + 0.587f * (bgr[i + 1] & 0xff) + 0.299f * (bgr[i + 2] & 0xff));
  }

  @Test
  void aFrameIsWrittenIntoTheLastOnesImageWithExactlyAFreshDecodesPixels() {
    BufferedImage into = decoder.decode(frames.get(0), null);
    byte[] fresh = pixels(decoder.decode(frames.get(frames.size() - 1), null)).clone();

    BufferedImage reused = decoder.decode(frames.get(frames.size() - 1), into);

    assertThat(reused).isSameAs(into);
    assertThat(pixels(reused)).containsExactly(fresh);
  }

  @Test
  void picturesItDoesNotTakeAreLeftToImageIoAndTheNextFrameStillDecodes() throws IOException {
    byte[] whole = frames.get(0);
    byte[] grey = encode(random(BufferedImage.TYPE_BYTE_GRAY, 64, 36), "jpg");
    byte[] png = encode(random(BufferedImage.TYPE_3BYTE_BGR, 64, 36), "png");
    byte[] garbage = new byte[4096];
    new Random(3).nextBytes(garbage);
    garbage[0] = (byte) 0xff;
    garbage[1] = (byte) 0xd8;
    garbage[garbage.length - 2] = (byte) 0xff;
    garbage[garbage.length - 1] = (byte) 0xd9;
    byte[] expected = pixels(decoder.decode(whole, null)).clone();

    for (byte[] refused :
        List.of(
            grey,
            png,
            garbage,
            new byte[0],
            new byte[] {1, 2, 3, 4},
            Arrays.copyOf(whole, whole.length / 2),
            Arrays.copyOf(whole, 700))) {
      assertThat(decoder.decode(refused, null)).isNull();
      assertThat(pixels(decoder.decode(whole, null))).containsExactly(expected);
    }
    // what ImageIO makes of them is what the worker gets, as before
    assertThat(VideoPredictor.readJpeg(grey).getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    assertThat(VideoPredictor.readJpeg(png)).isNotNull();
    assertThatThrownBy(() -> VideoPredictor.readJpeg(garbage)).isInstanceOf(IOException.class);
  }

  @Test
  void onlyAPlainBgrImageOfTheFramesSizeIsWritten() {
    BufferedImage first = decoder.decode(frames.get(0), null);
    int w = first.getWidth();
    int h = first.getHeight();
    BufferedImage larger = new BufferedImage(w + 8, h, BufferedImage.TYPE_3BYTE_BGR);
    BufferedImage part = larger.getSubimage(8, 0, w, h);
    BufferedImage ints = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);

    assertThat(FfmpegJpeg.plainBgr(first, w, h)).isTrue();
    assertThat(FfmpegJpeg.plainBgr(part, w, h)).isFalse();
    assertThat(FfmpegJpeg.plainBgr(ints, w, h)).isFalse();
    assertThat(FfmpegJpeg.plainBgr(first, w, h + 1)).isFalse();
    assertThat(decoder.decode(frames.get(1), part)).isNotSameAs(part);
    assertThat(pixels(larger)).containsOnly(0);
  }

  @Test
  void theEndOfImageMarkerIsLookedForPastTrailingZeros() {
    byte[] whole = frames.get(0);

    assertThat(FfmpegJpeg.endsWithEoi(whole)).isTrue();
    assertThat(FfmpegJpeg.endsWithEoi(Arrays.copyOf(whole, whole.length + 16))).isTrue();
    assertThat(FfmpegJpeg.endsWithEoi(Arrays.copyOf(whole, whole.length - 1))).isFalse();
    assertThat(FfmpegJpeg.endsWithEoi(new byte[] {(byte) 0xff, (byte) 0xd9})).isFalse();
  }

  private static byte[] pixels(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

  private static BufferedImage random(int type, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, type);
    Random random = new Random(7);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    return image;
  }
}
