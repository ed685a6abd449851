package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.schemas.FusedEmotion;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HtmlReportTest {

  private final String html = HtmlReport.render(ReportFixtures.results());

  @Test
  void isSelfContainedWithNoScriptAndNoRemoteResource() {
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").contains("<svg");
    assertThat(html)
        .doesNotContain("<script", "http://", "https://", "<link", "@import", "url(http");
  }

  @Test
  void hasOneSectionPerSourceWithATimelineBlockPerSegmentInEachLane() {
    assertThat(count("<section class=\"card\">")).isEqualTo(2);
    assertThat(count("<div class=\"timeline\">")).isEqualTo(2);
    // 2 sources x 3 lanes (audio, video, fused), 11 segments in each lane.
    assertThat(count("<span class=\"lane-name\">audio</span>")).isEqualTo(2);
    assertThat(count("<span class=\"lane-name\">video</span>")).isEqualTo(2);
    assertThat(count("<span class=\"lane-name\">fused</span>")).isEqualTo(2);
    assertThat(count("<div class=\"blk ")).isEqualTo(33);
    assertThat(html).contains("title=\"#2 8.0-12.0 s: surprised 66% (COMPLETE, AVERAGE)\"");
    assertThat(html).contains("title=\"#3 12.0-16.0 s: no prediction (NO_PREDICTION, AVERAGE)\"");
  }

  @Test
  void showsTheRuleAndTheModelsAsText() {
    assertThat(count("<dt>rule</dt><dd>AVERAGE</dd>")).isEqualTo(2);
    assertThat(count("<dt>audio model</dt><dd>speech 1</dd>")).isEqualTo(2);
    assertThat(html)
        .contains("<dt>video model</dt><dd>face 1</dd>")
        .contains("<dt>video model</dt><dd>none received</dd>");
  }

  @Test
  void drawsNoFaceErrorMissingAndNoPredictionApartWithALegend() {
    // interview: segment 3 has no face; call: no video at all, and segment 3 failed in audio and
    // has no fusion.
    assertThat(count("<div class=\"blk st-no_face\"")).isEqualTo(1);
    assertThat(count("<div class=\"blk st-missing\"")).isEqualTo(5);
    assertThat(count("<div class=\"blk st-error\"")).isEqualTo(1);
    assertThat(count("<div class=\"blk st-none\"")).isEqualTo(1);
    assertThat(count("<div class=\"blk emo\"")).isEqualTo(33 - 8);
    for (String state :
        List.of("st-no_speech", "st-no_face", "st-error", "st-missing", "st-none")) {
      assertThat(html).contains("<span><i class=\"" + state + "\"></i>");
    }
  }

  @Test
  void blocksShowTheirWordsOnlyFromTheTrackWidthWhereTheyFit() {
    // 6 segments of 4 s over 24 s: 6 x 64 px = 384 px; 5 over 20 s: 320 px. Both bands start at 450
    // px.
    assertThat(count("<div class=\"track\"><div class=\"need-450\">")).isEqualTo(6);
    // A 20-minute source of 4 s segments needs 300 x 64 px: its blocks are colour only, at any
    // width.
    List<FusedEmotion> long20 = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      FusedEmotion s = ReportFixtures.results().get(0);
      long20.add(
          FusedEmotion.newBuilder(s)
              .setSegmentIndex(i)
              .setStartMs(i * 4_000L)
              .setEndMs(i * 4_000L + 4_000)
              .build());
    }
    String page = HtmlReport.render(long20);
    assertThat(page)
        .contains("<div class=\"track\"><div class=\"need-more\">")
        .doesNotContainPattern("<div class=\"track\"><div class=\"need-\\d");
    assertThat(page).contains("style=\"left:99.7%;width:max(1px,calc(0.3% - 2px))");
  }

  @Test
  void drawsAudioVideoAndFusedChartsPerSegment() {
    assertThat(count("<figcaption>audio</figcaption>")).isEqualTo(11);
    assertThat(count("<figcaption>video</figcaption>")).isEqualTo(11);
    assertThat(count("<figcaption>fused</figcaption>")).isEqualTo(11);
    // The face model's "surprise" is drawn on the canonical "surprised" bar.
    assertThat(html).contains("<title>surprised 71%</title>");
    assertThat(html)
        .contains(">no face</div>")
        .contains(">not received</div>")
        .contains(">error</div>");
  }

  @Test
  void labelsTheSpeakerRoleOfASplitCall() {
    assertThat(html).contains("<div class=\"role\">customer</div>").contains(" · customer");
  }

  @Test
  void escapesSourceNames() {
    assertThat(html).contains("interview &lt;Q3&gt;.mp4").doesNotContain("<Q3>");
    String hostile =
        HtmlReport.render(
            List.of(
                FusedEmotion.newBuilder(ReportFixtures.results().get(0))
                    .setSourceId("<s id='1'>")
                    .setSpeakerRole("<role>")
                    .build()));
    assertThat(hostile)
        .contains("&lt;s id=&#39;1&#39;&gt;", "&lt;role&gt;")
        .doesNotContain("<s id", "<role>");
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
