package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class SourceIdTest {

  @Test
  void acceptedSourceIds() {
    for (String ok :
        new String[] {
          "a", "call-42", "2024.06.01_agent-7", "X".repeat(64), UUID.randomUUID().toString()
        }) {
      assertThat(IngestService.checkSourceId(ok)).isEqualTo(ok);
    }
  }

  @Test
  void refusedSourceIdsNameTheValueAndWhatIsAccepted() {
    for (String bad :
        new String[] {"", " call", "-x", ".x", "a b", "a/b", "../etc", "é", "X".repeat(65), null}) {
      assertThatThrownBy(() -> IngestService.checkSourceId(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "source id '"
                  + bad
                  + "' is not accepted; use 1 to 64 letters, digits, '.', '_' or '-', "
                  + "starting with a letter or digit (e.g. call-2024-06-01.42)");
    }
  }

  /**
   * A generated id is the clip ids' prefix too; a chosen one is not, so a re-analysis never reuses
   * a fused clip id.
   */
  @Test
  void aChosenSourceIdKeepsClipIdsUniqueAcrossRuns() {
    IngestService.Ids generated = IngestService.ids(null);
    assertThat(UUID.fromString(generated.sourceId())).isNotNull();
    assertThat(generated.clipPrefix()).isEqualTo(generated.sourceId());

    IngestService.Ids first = IngestService.ids("call-42");
    IngestService.Ids second = IngestService.ids("call-42");
    assertThat(first.sourceId()).isEqualTo("call-42").isEqualTo(second.sourceId());
    assertThat(UUID.fromString(first.clipPrefix())).isNotNull();
    assertThat(first.clipPrefix()).isNotEqualTo(second.clipPrefix());
  }

  /**
   * A retry under the same Idempotency-Key (and parameters) after a crash, when no instance
   * remembers the key, names its source and clips as the first attempt did, so fusion drops the
   * clips published again as duplicates (it fused 16 segments for an upload of 10). Another key, or
   * none, still gets fresh clip ids.
   */
  @Test
  void aRetryUnderTheSameKeyNamesItsClipsAsTheFirstAttempt() {
    IngestService.Ids first = IngestService.ids("call-42", "token|key-1\nname=a.mp4 length=9");
    IngestService.Ids retry = IngestService.ids("call-42", "token|key-1\nname=a.mp4 length=9");
    assertThat(retry).isEqualTo(first);
    assertThat(UUID.fromString(first.clipPrefix())).isNotNull();
    assertThat(IngestService.ids("call-42", "token|key-2\nname=a.mp4 length=9").clipPrefix())
        .isNotEqualTo(first.clipPrefix());
    assertThat(IngestService.ids("call-43", "token|key-1\nname=a.mp4 length=9").clipPrefix())
        .isNotEqualTo(first.clipPrefix());

    IngestService.Ids generated = IngestService.ids(null, "token|key-1\nname=a.mp4 length=9");
    assertThat(IngestService.ids(null, "token|key-1\nname=a.mp4 length=9")).isEqualTo(generated);
    assertThat(generated.sourceId()).isEqualTo(generated.clipPrefix());
  }
}
