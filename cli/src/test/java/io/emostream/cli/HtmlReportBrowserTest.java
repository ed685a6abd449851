package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the HTML report in a real headless Chromium (Debian's {@code chromium}) and checks the
 * screenshot: the page drew, with the label colours of the timeline and charts. The PNG is kept as
 * {@code target/report-screenshot.png} to look at.
 */
class HtmlReportBrowserTest {

  static Optional<Path> chromium() {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .flatMap(dir -> Stream.of("chromium", "chromium-browser", "google-chrome").map(name -> Path.of(dir, name)))
        .filter(Files::isExecutable).findFirst();
  }

  @Test
  void theReportRendersInHeadlessChromium(@TempDir Path dir) throws Exception {
    Optional<Path> browser = chromium();
    assumeTrue(browser.isPresent(),
        "chromium not found on PATH: skipping the browser rendering of the HTML report (apt-get install -y chromium)");
    Path page = Files.writeString(dir.resolve("report.html"), HtmlReport.render(ReportFixtures.results()),
        StandardCharsets.UTF_8);
    Path png = dir.resolve("report.png");

    Process process = new ProcessBuilder(browser.get().toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile"), "--screenshot=" + png,
        "--window-size=1200,900", page.toUri().toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
    boolean exited = process.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("chromium finished within 120 s").isTrue();
    assertThat(png).as("screenshot; chromium log:%n%s", Files.readString(dir.resolve("chromium.log"))).exists();
    Files.createDirectories(Path.of("target"));
    Files.copy(png, Path.of("target/report-screenshot.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1200);
    assertThat(image.getHeight()).isEqualTo(900);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y) & 0xFFFFFF);
      }
    }
    assertThat(colours.size()).as("distinct colours (a blank page has 1)").isGreaterThan(200);
    // Opaque fills of the share bar and the bar charts: happy, sad, angry, surprised.
    for (int rgb : List.of(0xf5b301, 0x3f7fd9, 0xe0473e, 0xf07d27)) {
      assertThat(pixels(image, rgb)).as("pixels of #%06x", rgb).isGreaterThan(100);
    }
  }

  private static int pixels(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int p = image.getRGB(x, y) & 0xFFFFFF;
        if (Math.abs((p >> 16) - (rgb >> 16)) <= 6 && Math.abs(((p >> 8) & 0xFF) - ((rgb >> 8) & 0xFF)) <= 6
            && Math.abs((p & 0xFF) - (rgb & 0xFF)) <= 6) {
          n++;
        }
      }
    }
    return n;
  }
}
