package io.emostream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class JsonNodeSerdeTest {

  private final JsonNodeSerde serde = new JsonNodeSerde();

  @Test
  void writesPlainUtf8JsonWithoutEnvelopeAndReadsItBack() {
    JsonNode segment = FusedSegmentJson.toJson(FusedSegmentJsonTest.segment());

    byte[] bytes = serde.serialize("t", segment);

    String text = new String(bytes, StandardCharsets.UTF_8);
    assertThat(text)
        .startsWith("{\"clipId\":")
        .isEqualTo(FusedSegmentJson.line(FusedSegmentJsonTest.segment()));
    JsonNode back = serde.deserialize("t", bytes);
    // number node types may differ (int vs long) after a parse; the text is what a consumer sees
    assertThat(new String(serde.serialize("t", back), StandardCharsets.UTF_8)).isEqualTo(text);
    assertThat(back.get("distribution").get("happy").asDouble()).isEqualTo(0.8);
  }

  @Test
  void nullStaysNull() {
    assertThat(serde.serialize("t", null)).isNull();
    assertThat(serde.deserialize("t", null)).isNull();
  }

  @Test
  void rejectsWhatIsNotOneJsonDocumentNamingTheTopic() {
    for (String bad : new String[] {"", "not json", "{\"a\":1} {\"b\":2}", "{\"a\":"}) {
      assertThatThrownBy(
              () -> serde.deserialize("emostream.fused.json", bad.getBytes(StandardCharsets.UTF_8)))
          .as(bad)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("not a JSON document on topic emostream.fused.json");
    }
  }
}
