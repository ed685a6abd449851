package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.Env;
import io.emostream.kafka.TopicsEnv;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceKind;
import io.emostream.topics.Topics;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The source events' records, built without a broker, and the URL they carry stripped of secrets.
 */
class SourceEventsTest {

  private final Topics topics = TopicsEnv.fromEnv(new Env(Map.of()));

  private SourceEvent value(ProducerRecord<String, byte[]> record) {
    assertThat(record.topic()).isEqualTo(topics.sources().name());
    return topics.sources().valueSerde().deserializer().deserialize(record.topic(), record.value());
  }

  @Test
  void startedIsKeyedBySourceIdAndCountsNothingYet() {
    ProducerRecord<String, byte[]> record =
        SourceEvents.started(
            topics,
            "call-42",
            "call",
            SourceKind.LIVE,
            "rtmp://user:secret@media.example:1935/live/s?token=abc",
            FusionRule.AVERAGE,
            Instant.ofEpochMilli(5_000));
    assertThat(record.key()).isEqualTo("call-42");
    SourceEvent e = value(record);
    assertThat(e.getType()).isEqualTo(SourceEventType.STARTED);
    assertThat(e.getKind()).isEqualTo(SourceKind.LIVE);
    assertThat(e.getUrl()).isEqualTo("rtmp://media.example:1935/live/s");
    assertThat(e.getClipCount()).isZero();
    assertThat(e.getMediaTimeMs()).isEqualTo(-1);
    assertThat(e.getEndReason()).isNull();
    assertThat(e.getAtMs()).isEqualTo(Instant.ofEpochMilli(5_000));
  }

  @Test
  void endedCarriesCountMediaTimeAndReason() {
    SourceEvent e =
        value(
            SourceEvents.ended(
                topics,
                "s1",
                null,
                SourceKind.UPLOAD,
                null,
                null,
                Instant.ofEpochMilli(9_000),
                6,
                12_500,
                SourceEvents.error("the media is\n damaged")));
    assertThat(e.getType()).isEqualTo(SourceEventType.ENDED);
    assertThat(e.getClipCount()).isEqualTo(6);
    assertThat(e.getMediaTimeMs()).isEqualTo(12_500);
    assertThat(e.getEndReason()).isEqualTo("error: the media is damaged");
    assertThat(e.getUrl()).isNull();
  }

  @Test
  void redactRemovesUserInfoQueryAndFragment() {
    assertThat(SourceEvents.redact("rtsp://admin:pw@10.0.0.5:554/stream1?x=1#f"))
        .isEqualTo("rtsp://10.0.0.5:554/stream1");
    assertThat(SourceEvents.redact("srt://127.0.0.1:9000?mode=caller&passphrase=topsecret1"))
        .isEqualTo("srt://127.0.0.1:9000");
    assertThat(SourceEvents.redact("https://cdn.example/live/index.m3u8?sig=abc"))
        .isEqualTo("https://cdn.example/live/index.m3u8");
    assertThat(SourceEvents.redact("http://h/a b?k=s3cret")).isEqualTo("http://h/a b");
    // what Java's URI parser refuses is cut by hand: an SRT listener, a brace in a stream id
    assertThat(SourceEvents.redact("srt://:9000?mode=listener&passphrase=topsecret1"))
        .isEqualTo("srt://:9000");
    assertThat(SourceEvents.redact("srt://u:p@ss@10.0.0.5:9000?streamid={call 42}#x"))
        .isEqualTo("srt://10.0.0.5:9000");
    assertThat(SourceEvents.redact("rtmp://u:pw@h/live/a\nb c?token=s3cret"))
        .isEqualTo("rtmp://h/live/a?b c");
    // a raw @ in the password: the host and port after the last @ stay, the password goes
    assertThat(SourceEvents.redact("rtmp://u:a%22b@PWQUOTE@127.0.0.1:43999/live/a?k=1"))
        .isEqualTo("rtmp://127.0.0.1:43999/live/a");
    assertThat(SourceEvents.redact("not a url")).isEqualTo("[unparsable]");
    assertThat(SourceEvents.redact("mailto:someone@example.org")).isEqualTo("mailto:[redacted]");
  }

  @Test
  void scrubRedactsEveryUrlInAMessageAndDropsJavaCvsHints() {
    assertThat(
            SourceEvents.scrub(
                "avformat_open_input() error -111: Could not open input"
                    + " \"rtmp://user:hunter2@10.0.0.5:1935/live/x?token=s3cret\". (Has setFormat() been"
                    + " called?) (For more details, make sure FFmpegLogCallback.set() has been called.)"))
        .isEqualTo(
            "avformat_open_input() error -111: Could not open input \"rtmp://10.0.0.5:1935/live/x\".");
    assertThat(
            SourceEvents.scrub("Connection to srt://h:9?mode=caller&passphrase=topsecret1 failed"))
        .isEqualTo("Connection to srt://h:9 failed");
    assertThat(SourceEvents.scrub("two: http://a/b?k=1 and https://u:p@c/d"))
        .isEqualTo("two: http://a/b and https://c/d");
    assertThat(SourceEvents.scrub("no url: Connection refused"))
        .isEqualTo("no url: Connection refused");
    assertThat(SourceEvents.scrub(null)).isNull();
    assertThat(SourceEvents.error("open 'rtsp://admin:pw@cam/s' failed"))
        .isEqualTo("error: open 'rtsp://cam/s' failed");
  }

  /**
   * A password may hold quotes and brackets (sub-delims in RFC 3986): the match stopped at them and
   * left the rest of the password in GET /streams, the ENDED event and analyze's output (found by
   * helper-49).
   */
  @Test
  void aPasswordWithQuotesOrBracketsIsRedactedWhole() {
    assertThat(
            SourceEvents.scrub(
                "Could not open input \"rtmp://u:x'LEAKME@127.0.0.1:42999/live/a\"."))
        .isEqualTo("Could not open input \"rtmp://127.0.0.1:42999/live/a\".");
    assertThat(SourceEvents.scrub("open http://u:x(LEAK)ME2@h/a.ts failed"))
        .isEqualTo("open http://h/a.ts failed");
    assertThat(SourceEvents.scrub("at srt://h:9/x?passphrase=a'b(c)d failed"))
        .isEqualTo("at srt://h:9/x failed");
    assertThat(SourceEvents.error("open 'rtsp://admin:pw@cam/s' failed, ask admin@example.org"))
        .isEqualTo("error: open 'rtsp://cam/s' failed, ask admin@example.org");
  }

  /**
   * A message about a known URL loses the URL's secrets whatever they hold, even where no pattern
   * could find them: a password with a space or a double quote, a query quoted in pieces.
   */
  @Test
  void aMessageAboutAKnownUrlLosesItsUserInfoAndQueryWhateverTheyHold() {
    String url = "RTMP://us er:p\"w d@10.0.0.5/live/x?token=s 3\"cret";
    assertThat(
            SourceEvents.scrub(
                "open \"rtmp://us er:p\"w d@10.0.0.5/live/x?token=s 3\"cret\" failed", url))
        .isEqualTo("open \"RTMP://10.0.0.5/live/x\" failed");
    assertThat(SourceEvents.scrub("read ?token=s 3\"cret: I/O error", url))
        .isEqualTo("read : I/O error");
    assertThat(SourceEvents.error("user info alone: us er:p\"w d@host", url))
        .isEqualTo("error: user info alone: host");
    assertThat(SourceEvents.scrub(null, url)).isNull();
  }

  @Test
  void ffmpegsOwnLinesAreLoggedWithoutSecrets() {
    assertThat(
            FfmpegLog.line(
                "Connection to srt://127.0.0.1:9/x?passphrase=supersecret88 failed: I/O error\n"))
        .isEqualTo("Connection to srt://127.0.0.1:9/x failed: I/O error");
    assertThat(FfmpegLog.line("  \n")).isNull();
  }
}
