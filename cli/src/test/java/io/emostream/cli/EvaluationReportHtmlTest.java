package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.emostream.schemas.FusionRule;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluate report: self-contained, one bar per modality and rule, the confusion matrix with
 * both axes labelled and row-normalised shading, and in a real headless browser readable at 360 and
 * 1280 px.
 */
class EvaluationReportHtmlTest {

  @TempDir Path dir;

  private final Evaluation evaluation =
      new Evaluation(EvaluationTest.L, EvaluationTest.outcomes(), List.of(FusionRule.values()));

  @Test
  void thePageIsSelfContainedWithABarPerScoreAndTheConfusionMatrix() {
    String html = EvaluationReport.html(evaluation, "dir <1>");

    assertThat(html)
        .doesNotContain("<script")
        .doesNotContain("src=")
        .doesNotContain("href=")
        .doesNotContain("http");
    Matcher bars =
        Pattern.compile("<i class=\"bar (modality|rule)\" style=\"width:([0-9.]+)%\"")
            .matcher(html);
    List<String> found = new ArrayList<>();
    while (bars.find()) {
      found.add(bars.group(1) + " " + bars.group(2));
    }
    // AUDIO, VIDEO, AVERAGE, RULE_BASED: 60 %, 50 %, 80 %, 60 %
    assertThat(found).containsExactly("modality 60.0", "modality 50.0", "rule 80.0", "rule 60.0");
    assertThat(html)
        .contains("class=\"confusion\"")
        .contains("dir &lt;1&gt;")
        .contains("Best: AVERAGE (80.0 %)");
    assertThat(html)
        .contains("<dt>audio model</dt><dd>AUDIO 1</dd>", "<dt>video model</dt><dd>VIDEO 1</dd>");
  }

  @Test
  void theConfusionMatrixLabelsBothAxesAndShadesEachCellByItsShareOfTheRow() {
    String html = EvaluationReport.html(evaluation, "dir");
    String matrix =
        html.substring(
            html.indexOf("<table class=\"confusion\">"),
            html.indexOf("</table>", html.indexOf("<table class=\"confusion\">")));
    for (String column : evaluation.columns()) {
      assertThat(matrix).contains("<th scope=\"col\"><span>" + column + "</span></th>");
    }
    for (String row : evaluation.labels()) {
      assertThat(matrix).contains("<tr><th scope=\"row\">" + row + "</th>");
    }
    int[][] confusion = evaluation.best().orElseThrow().confusion();
    Matcher cells =
        Pattern.compile("background:rgba\\(37,99,235,([0-9.]+)\\)\" title=\"[^\"]*\">(\\d+)</td>")
            .matcher(matrix);
    for (int[] row : confusion) {
      int total = Arrays.stream(row).sum();
      for (int count : row) {
        assertThat(cells.find()).isTrue();
        assertThat(Integer.parseInt(cells.group(2))).isEqualTo(count);
        double share = total == 0 ? 0 : (double) count / total;
        assertThat(Double.parseDouble(cells.group(1)))
            .isCloseTo(0.06 + 0.84 * share, within(0.006));
      }
    }
    assertThat(cells.find()).isFalse();
  }

  @Test
  void headlessChromiumDrawsAReadablePageAtPhoneAndWideWidths() throws Exception {
    Optional<HeadlessChromium> browser = HeadlessChromium.find(dir);
    assumeTrue(
        browser.isPresent(),
        "chromium not installed (apt-get install -y chromium): skipping the render check");
    // Eight labels and nine confusion columns, two corpora: the widest tables the page has to fit
    // on a phone.
    Evaluation wide = ReportFixtures.evaluation();
    String html = EvaluationReport.html(wide, "RAVDESS and CREMA-D clips");
    List<Evaluation.Score> scores = new ArrayList<>(wide.modalities().values());
    scores.addAll(wide.rules().values());
    Evaluation.Score best = wide.best().orElseThrow();
    for (int width : List.of(360, 1280)) {
      HeadlessChromium.Layout layout = browser.get().measure(html, width, ".meter .bar");
      assertThat(layout.viewportWidth()).isEqualTo(width);
      assertThat(layout.pageWidth())
          .as("page width at %d px (no horizontal scrolling)", width)
          .isLessThanOrEqualTo(width);
      assertThat(layout.smallestFontPx())
          .as("smallest text at %d px: \"%s\"", width, layout.smallestText())
          .isGreaterThanOrEqualTo(12);
      // Drawn bar widths in proportion to the accuracies (modalities, then rules).
      List<double[]> bars = layout.boxes();
      assertThat(bars).hasSize(scores.size());
      double full = bars.get(scores.indexOf(best))[1] / best.accuracy();
      assertThat(full).isGreaterThan(width / 8.0);
      double rulePixels = 0;
      for (int i = 0; i < scores.size(); i++) {
        assertThat(bars.get(i)[1])
            .as("bar of %s", scores.get(i).name())
            .isCloseTo(scores.get(i).accuracy() * full, within(1.0));
        rulePixels += i < wide.modalities().size() ? 0 : 8 * scores.get(i).accuracy() * full;
      }

      BufferedImage image =
          browser
              .get()
              .screenshot(html, width, width < 600 ? 2000 : 1400, "evaluation-" + width + ".png");
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          colours.add(image.getRGB(x, y) & 0xFFFFFF);
        }
      }
      assertThat(colours.size()).as("distinct colours (text, bars, shading)").isGreaterThan(20);
      // the rule bars, 8 px high, of the rule colour, give or take their rounded ends
      assertThat((double) HeadlessChromium.pixels(image, 0xE07B39))
          .as("rule bar pixels at %d px", width)
          .isCloseTo(rulePixels, within(0.15 * rulePixels));
    }
  }
}
