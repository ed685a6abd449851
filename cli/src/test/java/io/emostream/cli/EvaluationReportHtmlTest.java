package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.emostream.schemas.FusionRule;

/** The HTML report: self-contained, one bar per modality and rule, and drawn by a real headless browser. */
class EvaluationReportHtmlTest {

  @TempDir
  Path dir;

  private final Evaluation evaluation =
      new Evaluation(EvaluationTest.L, EvaluationTest.outcomes(), List.of(FusionRule.values()));

  @Test
  void thePageIsSelfContainedWithABarPerScoreAndTheConfusionMatrix() {
    String html = EvaluationReport.html(evaluation, "dir <1>");

    assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
    assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
    Matcher bars = Pattern.compile("<rect class=\"bar\"[^>]*width=\"([0-9.]+)\"").matcher(html);
    int count = 0;
    List<Double> widths = new java.util.ArrayList<>();
    while (bars.find()) {
      count++;
      widths.add(Double.parseDouble(bars.group(1)));
    }
    assertThat(count).isEqualTo(4); // AUDIO, VIDEO, AVERAGE, RULE_BASED
    assertThat(widths).containsExactly(240.0, 200.0, 320.0, 240.0); // 400 px = 100 %: 60 %, 50 %, 80 %, 60 %
    assertThat(html).contains("class=\"confusion\"").contains("dir &lt;1&gt;").contains("Best: AVERAGE (80.0 %)");
  }

  @Test
  void headlessChromiumDrawsTheChart() throws Exception {
    Optional<String> chromium = findChromium();
    assumeTrue(chromium.isPresent(), "chromium not installed (apt-get install -y chromium): skipping the render check");
    Path page = dir.resolve("report.html");
    Files.writeString(page, EvaluationReport.html(evaluation, "test"));
    Path png = dir.resolve("report.png");
    Process process = new ProcessBuilder(chromium.get(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + dir.resolve("profile"), "--window-size=900,1000", "--screenshot=" + png,
        page.toUri().toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
    boolean exited = process.waitFor(180, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("chromium finished within 180 s").isTrue();
    assertThat(png).as("screenshot; chromium log: %s", Files.readString(dir.resolve("chromium.log"))).exists();

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(900);
    Set<Integer> colours = new HashSet<>();
    int barPixels = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        if (near(rgb, 0xE07B39)) {
          barPixels++;
        }
      }
    }
    assertThat(colours.size()).as("distinct colours (text, bars, shading)").isGreaterThan(20);
    // the two rule bars: 320 x 20 and 240 x 20 px of the rule colour, give or take anti-aliasing
    assertThat(barPixels).isBetween(10_000, 12_000);
  }

  private static boolean near(int rgb, int target) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs(((rgb >> shift) & 0xFF) - ((target >> shift) & 0xFF)) > 6) {
        return false;
      }
    }
    return true;
  }

  private static Optional<String> findChromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(d, name))) {
          return Optional.of(Path.of(d, name).toString());
        }
      }
    }
    return Optional.empty();
  }
}
