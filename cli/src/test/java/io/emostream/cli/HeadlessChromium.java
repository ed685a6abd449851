package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A real headless Chromium (Debian's {@code chromium}) for the HTML reports' tests: screenshots at
 * a window width, and the layout of a page measured at a given width. Chromium's own window is at
 * least 500 px wide, so a page is measured inside an {@code <iframe srcdoc>} of exactly that width,
 * by a script in the test's wrapper page (the report itself has none); the result comes back
 * through {@code --dump-dom}.
 */
final class HeadlessChromium {

  /** What the script found in the page, at one width. */
  record Layout(
      int viewportWidth,
      int pageWidth,
      double smallestFontPx,
      String smallestText,
      int texts,
      List<double[]> boxes) {}

  private static final String MEASURE =
      """
      addEventListener('load', function () {
        var f = document.getElementById('page'), d = f.contentDocument, w = f.contentWindow;
        var min = 1e9, minText = '', n = 0;
        var walker = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT);
        for (var t = walker.nextNode(); t; t = walker.nextNode()) {
          var el = t.parentElement;
          if (!t.nodeValue.trim() || el.closest('title,style,script')) continue;
          var range = d.createRange();
          range.selectNodeContents(t);
          var shown = [].some.call(range.getClientRects(), function (r) { return r.width > 0 && r.height > 0; });
          if (!shown) continue;
          var size = parseFloat(w.getComputedStyle(el).fontSize);
          if (el instanceof w.SVGElement) {
            var m = el.getScreenCTM();
            size *= m ? Math.hypot(m.a, m.b) : 1;
          }
          n++;
          if (size < min) { min = size; minText = t.nodeValue.trim().slice(0, 60); }
        }
        var boxes = [].map.call(d.querySelectorAll(SELECTOR), function (e) {
          var r = e.getBoundingClientRect();
          return [r.left, r.width];
        });
        document.getElementById('out').textContent = JSON.stringify({viewport: d.documentElement.clientWidth,
          page: d.documentElement.scrollWidth, min: min, minText: minText, texts: n, boxes: boxes});
      });
      """;

  private final Path browser;
  private final Path dir;

  private HeadlessChromium(Path browser, Path dir) {
    this.browser = browser;
    this.dir = dir;
  }

  /** The browser on PATH, working in {@code dir}; empty when none is installed. */
  static Optional<HeadlessChromium> find(Path dir) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .flatMap(
            d ->
                Stream.of("chromium", "chromium-browser", "google-chrome")
                    .map(name -> Path.of(d, name)))
        .filter(Files::isExecutable)
        .findFirst()
        .map(b -> new HeadlessChromium(b, dir));
  }

  /**
   * A screenshot of {@code html} in a window of {@code width} x {@code height}, also kept as
   * target/{@code name}.
   */
  BufferedImage screenshot(String html, int width, int height, String name) throws Exception {
    Path page = Files.writeString(dir.resolve(name + ".html"), html, StandardCharsets.UTF_8);
    Path png = dir.resolve(name);
    Path log =
        run(
            List.of(
                "--hide-scrollbars",
                "--screenshot=" + png,
                "--window-size=" + width + "," + height,
                page.toUri().toString()),
            name);
    assertThat(png).as("screenshot; chromium log:%n%s", Files.readString(log)).exists();
    Files.createDirectories(Path.of("target"));
    Files.copy(png, Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(width);
    return image;
  }

  /**
   * The layout of {@code html} at {@code width} CSS px, with the box (left, width) of every {@code
   * selector} match.
   */
  Layout measure(String html, int width, String selector) throws Exception {
    String wrapper =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0\">"
            + "<iframe id=\"page\" style=\"border:0;width:"
            + width
            + "px;height:12000px\" srcdoc=\""
            + ReportPage.esc(html)
            + "\"></iframe><pre id=\"out\"></pre><script>"
            + MEASURE.replace("SELECTOR", "'" + selector.replace("'", "\\'") + "'")
            + "</script></body></html>";
    Path page =
        Files.writeString(
            dir.resolve("measure-" + width + ".html"), wrapper, StandardCharsets.UTF_8);
    Path dom = dir.resolve("measure-" + width + ".dom");
    List<String> args =
        List.of(
            "--window-size=1400,900",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.toUri().toString());
    Path log = run(args, "measure-" + width, dom);
    Matcher out =
        Pattern.compile("<pre id=\"out\">(.*?)</pre>", Pattern.DOTALL)
            .matcher(Files.readString(dom));
    assertThat(out.find())
        .as("measurement in the dumped DOM; chromium log:%n%s", Files.readString(log))
        .isTrue();
    String json =
        out.group(1)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
    assertThat(json)
        .as("the measuring script ran; chromium log:%n%s", Files.readString(log))
        .isNotEmpty();
    JsonNode n = new ObjectMapper().readTree(json);
    List<double[]> boxes = new ArrayList<>();
    n.get("boxes").forEach(b -> boxes.add(new double[] {b.get(0).asDouble(), b.get(1).asDouble()}));
    return new Layout(
        n.get("viewport").asInt(),
        n.get("page").asInt(),
        n.get("min").asDouble(),
        n.get("minText").asText(),
        n.get("texts").asInt(),
        boxes);
  }

  private Path run(List<String> args, String name) throws Exception {
    return run(args, name, null);
  }

  private Path run(List<String> args, String name, Path stdout) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                browser.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--user-data-dir=" + dir.resolve("profile")));
    command.addAll(args);
    Path log = dir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
    builder.redirectOutput(stdout == null ? log.toFile() : stdout.toFile());
    if (stdout == null) {
      builder.redirectErrorStream(true);
    }
    Process process = builder.start();
    boolean exited = process.waitFor(180, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("chromium finished within 180 s").isTrue();
    return log;
  }

  /** How many pixels of {@code image} are within 6 per channel of {@code rgb}. */
  static int pixels(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int p = image.getRGB(x, y) & 0xFFFFFF;
        if (Math.abs((p >> 16) - (rgb >> 16)) <= 6
            && Math.abs(((p >> 8) & 0xFF) - ((rgb >> 8) & 0xFF)) <= 6
            && Math.abs((p & 0xFF) - (rgb & 0xFF)) <= 6) {
          n++;
        }
      }
    }
    return n;
  }
}
