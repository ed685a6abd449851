package io.emostream.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a plain JSON document: UTF-8 JSON text, no schema envelope and no magic bytes, so
 * that {@code kcat | jq}, Kafka Connect's {@code JsonConverter} (with {@code schemas.enable=false})
 * and any JSON parser read a value as it is. Used by the fused JSON view, whose values are {@link
 * FusedSegmentJson} objects.
 */
public final class JsonNodeSerde
    implements Serde<JsonNode>, Serializer<JsonNode>, Deserializer<JsonNode> {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @Override
  public byte[] serialize(String topic, JsonNode data) {
    if (data == null) {
      return null;
    }
    try {
      return MAPPER.writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new SerializationException(
          "cannot write JSON for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses one JSON document; throws {@link SerializationException} naming the topic on anything
   * else.
   */
  @Override
  public JsonNode deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      JsonNode node = MAPPER.readTree(data);
      if (node == null || node.isMissingNode()) {
        throw new SerializationException("not a JSON document on topic " + topic + ": empty value");
      }
      return node;
    } catch (IOException e) {
      throw new SerializationException(
          "not a JSON document on topic " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Serializer<JsonNode> serializer() {
    return this;
  }

  @Override
  public Deserializer<JsonNode> deserializer() {
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    // nothing to configure: plain JSON text
  }

  @Override
  public void close() {
    // stateless
  }
}
