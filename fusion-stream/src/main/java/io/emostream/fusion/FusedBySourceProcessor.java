package io.emostream.fusion;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.SummarySegment;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-keys the fused topic by source id for the summary. In: {@link FusedEmotion} keyed by clip id
 * (read from the fused topic, so only committed results count). Out: its {@link SummarySegment},
 * keyed by source id, same timestamp and headers, to fused.by-source. A fused record without a
 * source id (its manifest never arrived: fusion drops such clips, so only older data has them)
 * belongs to no source and is skipped with a WARN.
 */
final class FusedBySourceProcessor
    implements Processor<String, FusedEmotion, String, SummarySegment> {

  private static final Logger LOG = LoggerFactory.getLogger(FusedBySourceProcessor.class);

  private ProcessorContext<String, SummarySegment> context;

  @Override
  public void init(ProcessorContext<String, SummarySegment> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, FusedEmotion> record) {
    FusedEmotion fused = record.value();
    if (fused == null || fused.getSourceId() == null) {
      RecordMetadata where = context.recordMetadata().orElse(null);
      LOG.warn(
          "fused record {} ({}-{}@{}) has no source id; it is in no source summary",
          record.key(),
          where == null ? null : where.topic(),
          where == null ? null : where.partition(),
          where == null ? null : where.offset());
      return;
    }
    context.forward(record.withKey(fused.getSourceId()).withValue(segment(fused)));
  }

  static SummarySegment segment(FusedEmotion fused) {
    return SummarySegment.newBuilder()
        .setClipId(fused.getClipId())
        .setSourceName(fused.getSourceName())
        .setSpeakerRole(fused.getSpeakerRole())
        .setSegmentIndex(fused.getSegmentIndex())
        .setStartMs(fused.getStartMs())
        .setEndMs(fused.getEndMs())
        .setLabel(fused.getLabel())
        .setStatus(fused.getStatus())
        .setRule(fused.getRule())
        .build();
  }
}
