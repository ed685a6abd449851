package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.emostream.kafka.Env;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The frames ingest keeps are the same as before it decoded only those (issue #17): the same
 * timestamps, the same sizes and the same pictures, on the samples, the RAVDESS clips in ../shared
 * (when present) and a sample whose display matrix turns it a quarter. {@code
 * kept-frames/before.txt} was written by this test ({@code -Dkept.frames.write=PATH}) on the build
 * before the change (Java2D converted, scaled and turned every frame); a picture is compared by the
 * mean of each cell of a 4x4 grid over its grey levels, which catches a turn, a flip or a shift
 * while allowing for the two scalers' rounding.
 */
class KeptFramesTest {

  private static final Path GOLDEN = Path.of("src/test/resources/kept-frames/before.txt");
  private static final Map<String, Path> FILES = new LinkedHashMap<>();

  static {
    FILES.put("happy-speech", Path.of("../samples/happy-speech.mp4"));
    FILES.put(
        "happy-speech-rot90", Path.of("src/test/resources/kept-frames/happy-speech-rot90.mp4"));
    FILES.put("no-face-tone", Path.of("../samples/no-face-tone.mp4"));
    FILES.put("labelled-neutral", Path.of("../samples/labelled/01-01-01-01-01-01-01.mp4"));
    FILES.put(
        "ravdess-neutral-720p", Path.of("../../shared/data/av-clips/01-01-01-01-01-01-01.mp4"));
    FILES.put(
        "ravdess-disgust-480p", Path.of("../../shared/data/av-clips/01-01-07-02-02-01-01.mp4"));
  }

  /** Largest sides: the default, and one that scales every file down. */
  private static final int[] SIDES = {640, 256};

  /** How far a grid cell's mean grey level may move (0-255) between the two scalers. */
  private static final double CELL_TOLERANCE = 4.0;

  @Test
  void theSameFramesAreKeptAtTheSameSizesWithTheSamePictures() throws IOException {
    List<String> now = describeAll();
    String write = System.getProperty("kept.frames.write");
    if (write != null) {
      Files.write(Path.of(write), now);
      return;
    }
    Map<String, String> before = new LinkedHashMap<>();
    for (String line : Files.readAllLines(GOLDEN)) {
      before.put(key(line), line);
    }
    Map<String, String> after = new LinkedHashMap<>();
    for (String line : now) {
      after.put(key(line), line);
    }
    List<String> expectedKeys =
        before.keySet().stream()
            .filter(k -> FILES.containsKey(k.split(" ")[0]))
            .filter(k -> Files.exists(FILES.get(k.split(" ")[0])))
            .toList();
    assertThat(after.keySet())
        .as("file, side, clip, timestamp and size of every kept frame")
        .containsExactlyElementsOf(expectedKeys);
    assertThat(expectedKeys.stream().map(k -> k.split(" ")[0]).distinct())
        .as("the rotated sample and the samples are always there")
        .contains("happy-speech", "happy-speech-rot90", "no-face-tone", "labelled-neutral");
    for (String key : expectedKeys) {
      double[] was = grid(before.get(key));
      double[] is = grid(after.get(key));
      for (int i = 0; i < was.length; i++) {
        assertThat(is[i]).as("%s, grid cell %d", key, i).isCloseTo(was[i], within(CELL_TOLERANCE));
      }
    }
  }

  /** Everything but the grid: file, side, clip, timestamp, width and height. */
  private static String key(String line) {
    String[] parts = line.split(" ");
    return String.join(" ", List.of(parts).subList(0, 6));
  }

  private static double[] grid(String line) {
    String[] parts = line.split(" ");
    double[] cells = new double[parts.length - 6];
    for (int i = 0; i < cells.length; i++) {
      cells[i] = Double.parseDouble(parts[6 + i]);
    }
    return cells;
  }

  private static List<String> describeAll() {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, Path> file : FILES.entrySet()) {
      if (!Files.exists(file.getValue())) {
        continue; // ../shared is a development folder, absent on a fresh clone
      }
      for (int side : SIDES) {
        IngestConfig config =
            IngestConfig.fromEnv(
                new Env(
                    Map.of(
                        "EMOSTREAM_FRAMES_PER_SEGMENT", "32",
                        "EMOSTREAM_MAX_FRAME_SIDE", Integer.toString(side),
                        "EMOSTREAM_JPEG_QUALITY", "0.9",
                        "EMOSTREAM_SEGMENT_SECONDS", "4")));
        new VideoDemuxer(config)
            .demux(
                file.getValue(),
                clip -> {
                  for (DemuxedClip.SampledFrame f : clip.frames()) {
                    lines.add(
                        String.format(
                            Locale.ROOT,
                            "%s %d %d %d %d %d%s",
                            file.getKey(),
                            side,
                            clip.index(),
                            f.timestampMs(),
                            f.width(),
                            f.height(),
                            gridText(f.jpeg())));
                  }
                });
      }
    }
    return lines;
  }

  /** The mean grey level of each cell of a 4x4 grid over the decoded JPEG. */
  private static String gridText(byte[] jpeg) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(jpeg));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    double[] sum = new double[16];
    int[] count = new int[16];
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        int grey = (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / 3;
        int cell = (y * 4 / image.getHeight()) * 4 + x * 4 / image.getWidth();
        sum[cell] += grey;
        count[cell]++;
      }
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      text.append(String.format(Locale.ROOT, " %.1f", sum[i] / count[i]));
    }
    return text.toString();
  }
}
