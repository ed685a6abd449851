package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.schemas.FusionRule;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code POST /streams} bodies, checked without a server; and how a lost source's end is named. */
class StreamRequestTest {

  private static final ChannelSelection DEFAULTS = ChannelSelection.parse(null, null);

  @Test
  void onlyTheUrlIsRequired() {
    LiveSources.Request r =
        StreamsHandler.streamRequest("{\"url\": \" rtmp://h/live/s \"}", DEFAULTS);
    assertThat(r.url()).isEqualTo("rtmp://h/live/s");
    assertThat(r.name()).isNull();
    assertThat(r.rule()).isNull();
    assertThat(r.sourceId()).isNull();
  }

  @Test
  void theOtherFieldsAreCheckedAsUploadParametersAre() {
    LiveSources.Request r =
        StreamsHandler.streamRequest(
            "{\"url\": \"srt://h:9000\", \"name\": \"a/b/call 7\", \"rule\": \"rule-based\","
                + " \"channel\": \"left\", \"sourceId\": \"call-7\"}",
            DEFAULTS);
    assertThat(r.name()).isEqualTo("call 7");
    assertThat(r.rule()).isEqualTo(FusionRule.RULE_BASED);
    assertThat(r.channels().mode()).isEqualTo(ChannelSelection.Mode.LEFT);
    assertThat(r.sourceId()).isEqualTo("call-7");
  }

  @Test
  void badBodiesSayWhatIsAccepted() {
    assertThatThrownBy(() -> StreamsHandler.streamRequest("not json", DEFAULTS))
        .hasMessageContaining("send a JSON object");
    assertThatThrownBy(() -> StreamsHandler.streamRequest("[1]", DEFAULTS))
        .hasMessageContaining("send a JSON object");
    assertThatThrownBy(() -> StreamsHandler.streamRequest("{\"name\": \"x\"}", DEFAULTS))
        .hasMessageContaining("\"url\" is required");
    assertThatThrownBy(() -> StreamsHandler.streamRequest("{\"url\": 5}", DEFAULTS))
        .hasMessageContaining("\"url\" must be a string");
    assertThatThrownBy(
            () -> StreamsHandler.streamRequest("{\"url\": \"file:///etc/passwd\"}", DEFAULTS))
        .hasMessageContaining("not a live source URL");
    assertThatThrownBy(
            () ->
                StreamsHandler.streamRequest(
                    "{\"url\": \"rtmp://h/s\", \"rule\": \"loudest\"}", DEFAULTS))
        .hasMessageContaining("unknown fusion rule 'loudest'");
    assertThatThrownBy(
            () ->
                StreamsHandler.streamRequest(
                    "{\"url\": \"rtmp://h/s\", \"sourceId\": \"../x\"}", DEFAULTS))
        .hasMessageContaining("source id '../x' is not accepted");
  }

  @Test
  void anUnknownFieldIsRefusedNotIgnored() {
    assertThatThrownBy(
            () ->
                StreamsHandler.streamRequest(
                    "{\"url\": \"rtmp://h/s\", \"nmae\": \"call 42\"}", DEFAULTS))
        .hasMessage("unknown field \"nmae\"; accepted: url, name, rule, channel, sourceId");
    assertThatThrownBy(
            () ->
                StreamsHandler.streamRequest(
                    "{\"url\": \"rtmp://h/s\", \"a\\nb" + "x".repeat(100) + "\": 1}", DEFAULTS))
        .hasMessageStartingWith("unknown field \"a?bxxx")
        .hasMessageContaining("...\"; accepted");
    assertThat(
            StreamsHandler.streamRequest(
                    "{\"url\": \"rtmp://h/s\", \"name\": \"call 42\", \"sourceId\": null}",
                    DEFAULTS)
                .name())
        .isEqualTo("call 42");
  }

  @Test
  void aLostSourceEndsWithTimeoutOnlyWhenSilentOrNeverReached() {
    assertThat(LiveDemuxer.endReason(false, null, -1, "Connection refused"))
        .isEqualTo("timeout: could not connect (Connection refused)");
    assertThat(LiveDemuxer.endReason(true, "no data for 3000 ms", 8_000, "refused"))
        .startsWith("timeout: lost at 8000 ms of media (no data for 3000 ms)");
    assertThat(LiveDemuxer.endReason(false, "I/O error", 8_000, "refused"))
        .isEqualTo(SourceEvents.COMPLETED);
  }

  /** A server that answers with bytes that are no media is an error, not a timeout (helper-49). */
  @Test
  void aServerThatNeverSentMediaButAnsweredWithOtherDataEndsWithAnError() {
    String invalid =
        "could not open http://127.0.0.1:9/a.ts: avformat_open_input() error -1094995529: Could not"
            + " open input \"http://127.0.0.1:9/a.ts\".";
    assertThat(LiveDemuxer.endReason(false, null, -1, invalid))
        .startsWith(
            "error: the server's answer is not a media stream FFmpeg can read (could not open")
        .doesNotStartWith("timeout");
  }

  @Test
  void rtspAndHttpAreSilentForTheShorterOfTheirTwoTimeouts() {
    IngestConfig.LiveLimits limits =
        new IngestConfig.LiveLimits(1, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ZERO);
    assertThat(LiveDemuxer.silenceLimit("rtsp://h/s", limits)).isEqualTo(Duration.ofSeconds(2));
    assertThat(LiveDemuxer.silenceLimit("rtmp://h/s", limits)).isEqualTo(Duration.ofSeconds(5));
  }
}
