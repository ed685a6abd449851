package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the analyze report in a real headless Chromium ({@link HeadlessChromium}) at a phone's
 * width (360 px) and a wide screen's (1280 px): all text at least 12 px, nothing wider than the
 * window, the audio, video and fused blocks of a segment one above the other on the same time axis,
 * and the label colours drawn. The screenshots are kept as {@code target/report-360.png} and {@code
 * target/report-1280.png} to look at.
 */
class HtmlReportBrowserTest {

  private static final String HTML = HtmlReport.render(ReportFixtures.results());

  @TempDir Path dir;

  private HeadlessChromium chromium() {
    Optional<HeadlessChromium> browser = HeadlessChromium.find(dir);
    assumeTrue(
        browser.isPresent(),
        "chromium not found on PATH: skipping the browser rendering of the HTML report (apt-get install -y chromium)");
    return browser.get();
  }

  @Test
  void textStaysReadableAndThePageFitsAPhoneAndAWideScreen() throws Exception {
    HeadlessChromium chromium = chromium();
    for (int width : List.of(360, 1280)) {
      HeadlessChromium.Layout layout = chromium.measure(HTML, width, ".track .blk");
      assertThat(layout.viewportWidth()).as("viewport at %d px", width).isEqualTo(width);
      assertThat(layout.pageWidth())
          .as("page width at %d px (no horizontal scrolling)", width)
          .isLessThanOrEqualTo(width);
      assertThat(layout.texts()).as("text nodes shown at %d px", width).isGreaterThan(100);
      assertThat(layout.smallestFontPx())
          .as("smallest text at %d px: \"%s\"", width, layout.smallestText())
          .isGreaterThanOrEqualTo(12);
      // 6 + 5 segments, each in an audio, a video and a fused lane; the blocks of a segment start
      // at the same x.
      List<double[]> blocks = layout.boxes();
      assertThat(blocks).hasSize(33);
      for (int[] source : new int[][] {{0, 6}, {18, 5}}) {
        for (int s = 0; s < source[1]; s++) {
          double[] audio = blocks.get(source[0] + s);
          double[] video = blocks.get(source[0] + source[1] + s);
          double[] fused = blocks.get(source[0] + 2 * source[1] + s);
          assertThat(video[0])
              .as("video block %d at %d px", s, width)
              .isCloseTo(audio[0], within(0.5));
          assertThat(fused[0])
              .as("fused block %d at %d px", s, width)
              .isCloseTo(audio[0], within(0.5));
          assertThat(fused[1]).isCloseTo(audio[1], within(0.5)).isGreaterThan(width / 40.0);
        }
      }
    }
  }

  @Test
  void theReportRendersInHeadlessChromium() throws Exception {
    HeadlessChromium chromium = chromium();
    for (int width : List.of(360, 1280)) {
      BufferedImage image = chromium.screenshot(HTML, width, 2400, "report-" + width + ".png");
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y += 3) {
        for (int x = 0; x < image.getWidth(); x += 3) {
          colours.add(image.getRGB(x, y) & 0xFFFFFF);
        }
      }
      assertThat(colours.size())
          .as("distinct colours at %d px (a blank page has 1)", width)
          .isGreaterThan(200);
      // Opaque fills of the share bar, the timeline and the bar charts: happy, sad, angry,
      // surprised.
      for (int rgb : List.of(0xf5b301, 0x3f7fd9, 0xe0473e, 0xf07d27)) {
        assertThat(HeadlessChromium.pixels(image, rgb))
            .as("pixels of #%06x at %d px", rgb, width)
            .isGreaterThan(100);
      }
    }
  }
}
