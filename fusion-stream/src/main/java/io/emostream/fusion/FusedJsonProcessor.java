package io.emostream.fusion;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The JSON view of the fused topic: each fused record, as it is forwarded to the fused sink,
 * becomes its {@link FusedSegmentJson} object under the same key and timestamp. It runs in the same
 * task as the join, so the JSON record is written in the same transaction as the Avro one: under
 * exactly-once, both or neither.
 */
final class FusedJsonProcessor implements Processor<String, FusedEmotion, String, JsonNode> {

  private ProcessorContext<String, JsonNode> context;

  @Override
  public void init(ProcessorContext<String, JsonNode> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, FusedEmotion> record) {
    context.forward(record.withValue(FusedSegmentJson.toJson(record.value())));
  }
}
