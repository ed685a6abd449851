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
}
