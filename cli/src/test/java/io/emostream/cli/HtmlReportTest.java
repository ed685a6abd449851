package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class HtmlReportTest {

  private final String html = HtmlReport.render(ReportFixtures.results());

  @Test
  void isSelfContainedWithNoScriptAndNoRemoteResource() {
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").contains("<svg");
    assertThat(html).doesNotContain("<script", "http://", "https://", "<link", "@import", "url(http");
  }

  @Test
  void hasOneSectionPerSourceWithATimelineBarPerSegment() {
    assertThat(count("<section class=\"card\">")).isEqualTo(2);
    assertThat(count("<svg class=\"timeline\"")).isEqualTo(2);
    // 11 segments, each a <g> with a tooltip in a timeline.
    assertThat(count("<g><title>#")).isEqualTo(11);
    assertThat(html).contains("#2 8.0-12.0 s: surprised 66% (COMPLETE, AVERAGE)");
    assertThat(html).contains("#3 12.0-16.0 s: no prediction (NO_PREDICTION, AVERAGE)");
  }

  @Test
  void drawsAudioVideoAndFusedChartsPerSegment() {
    assertThat(count("<figcaption>audio</figcaption>")).isEqualTo(11);
    assertThat(count("<figcaption>video</figcaption>")).isEqualTo(11);
    assertThat(count("<figcaption>fused</figcaption>")).isEqualTo(11);
    // The face model's "surprise" is drawn on the canonical "surprised" bar.
    assertThat(html).contains("<title>surprised 71%</title>");
    assertThat(html).contains(">no face</div>").contains(">not received</div>").contains(">error</div>");
  }

  @Test
  void labelsTheSpeakerRoleOfASplitCall() {
    assertThat(html).contains(">customer</text>").contains("&middot; customer");
  }

  @Test
  void escapesSourceNames() {
    assertThat(html).contains("interview &lt;Q3&gt;.mp4").doesNotContain("<Q3>");
  }

  @Test
  void anEmptyResultIsStillAPage() {
    assertThat(HtmlReport.render(List.of())).contains("No fused results.").endsWith("</html>\n");
  }

  private int count(String needle) {
    Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(html);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
