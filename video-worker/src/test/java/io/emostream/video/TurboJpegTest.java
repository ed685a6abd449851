package io.emostream.video;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TurboJpeg} on ingest's own frames of the shipped samples: exactly ImageIO's pictures,
 * written into the last frame's image when it fits, and every picture it does not take (grey, PNG,
 * garbage, truncated) left to ImageIO. Skipped with a message where the TurboJPEG binding is not
 * installed ({@code .ci/run} installs it).
 */
class TurboJpegTest {

  @BeforeEach
  void needsTurboJpeg() {
    Assumptions.assumeTrue(
        TurboJpeg.available(),
        "skipped: no TurboJPEG binding here (apt-get install libturbojpeg-java libturbojpeg0-dev)");
  }

  @Test
  void ingestsFramesDecodeToExactlyImageIosPictures() throws IOException {
    List<byte[]> frames = new ArrayList<>(frames("../samples/labelled/01-01-01-01-01-01-01.mp4"));
    // the test card's sharp colour edges: where a decoder that repeats chroma samples differs
    frames.addAll(frames("../samples/no-face-tone.mp4"));
    frames.addAll(frames("../samples/happy-speech.mp4"));
    assertThat(frames).hasSizeGreaterThan(20);
    BufferedImage into = null;
    for (byte[] jpeg : frames) {
      BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg));

      BufferedImage fresh = TurboJpeg.decode(jpeg, null);
      into = TurboJpeg.decode(jpeg, into);

      assertThat(fresh).isNotNull();
      assertThat(fresh.getType()).isEqualTo(reference.getType());
      assertThat(pixels(fresh)).containsExactly(pixels(reference));
      assertThat(pixels(into)).containsExactly(pixels(reference));
    }
  }

  @Test
  void aFrameIsWrittenIntoTheLastOnesImageWhenItFitsAndOnlyThen() throws IOException {
    List<byte[]> frames = frames("../samples/labelled/01-01-01-01-01-01-01.mp4");
    BufferedImage into = TurboJpeg.decode(frames.get(0), null);
    int w = into.getWidth();
    int h = into.getHeight();
    BufferedImage larger = new BufferedImage(w + 8, h, BufferedImage.TYPE_3BYTE_BGR);
    BufferedImage part = larger.getSubimage(8, 0, w, h);

    assertThat(TurboJpeg.decode(frames.get(1), into)).isSameAs(into);
    assertThat(TurboJpeg.decode(frames.get(1), part)).isNotSameAs(part);
    assertThat(pixels(larger)).containsOnly(0);
    assertThat(TurboJpeg.plainBgr(part, w, h)).isFalse();
    assertThat(TurboJpeg.plainBgr(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), w, h))
        .isFalse();
  }

  @Test
  void picturesItDoesNotTakeAreLeftToImageIo() throws IOException {
    byte[] whole = frames("../samples/labelled/01-01-01-01-01-01-01.mp4").get(0);
    byte[] grey = encode(random(BufferedImage.TYPE_BYTE_GRAY), "jpg");
    byte[] png = encode(random(BufferedImage.TYPE_3BYTE_BGR), "png");

    assertThat(TurboJpeg.decode(grey, null)).isNull();
    assertThat(TurboJpeg.decode(png, null)).isNull();
    assertThat(TurboJpeg.decode(new byte[] {1, 2, 3, 4}, null)).isNull();
    assertThat(TurboJpeg.decode(new byte[0], null)).isNull();
    assertThat(TurboJpeg.decode(Arrays.copyOf(whole, whole.length / 2), null)).isNull();
    assertThat(VideoPredictor.readJpeg(grey).getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    assertThat(VideoPredictor.readJpeg(png)).isNotNull();
    // and the next frame still decodes
    assertThat(pixels(TurboJpeg.decode(whole, null)))
        .containsExactly(pixels(ImageIO.read(new ByteArrayInputStream(whole))));
  }

  /** The frames ingest makes of {@code file} in 2 s segments, as JPEG bytes. */
  private static List<byte[]> frames(String file) {
    List<byte[]> frames = new ArrayList<>();
    new VideoDemuxer(IngestConfig.fromEnv(new Env(Map.of("EMOSTREAM_SEGMENT_SECONDS", "2"))))
        .demux(Path.of(file), clip -> clip.frames().forEach(f -> frames.add(f.jpeg())));
    return frames;
  }

  private static byte[] pixels(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

  private static BufferedImage random(int type) {
    BufferedImage image = new BufferedImage(64, 36, type);
    Random random = new Random(7);
    for (int y = 0; y < 36; y++) {
      for (int x = 0; x < 64; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    return image;
  }
}
