package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TransactionalWorkerLoopTest {

  @Test
  void offsetsToCommitAreOnePastTheHighestRecordOfEachPartitionInAnyOrder() {
    List<ConsumerRecord<String, byte[]>> records = List.of(record(0, 5), record(1, 2), record(0, 7), record(0, 6));

    Map<TopicPartition, OffsetAndMetadata> offsets = TransactionalWorkerLoop.nextOffsets(records);

    assertThat(offsets).containsOnly(
        Map.entry(new TopicPartition("in", 0), new OffsetAndMetadata(8)),
        Map.entry(new TopicPartition("in", 1), new OffsetAndMetadata(3)));
  }

  @Test
  void defaultProcessAllKeepsEachRecordsOutcomeApartAndInOrder() {
    TransactionalWorkerLoop.RecordProcessor processor = record -> {
      if (record.offset() == 1) {
        throw new IllegalStateException("bad record");
      }
      return List.of(new ProducerRecord<>("out", record.key(), record.value()));
    };

    List<TransactionalWorkerLoop.Processed> results =
        processor.processAll(List.of(record(0, 0), record(0, 1), record(0, 2)));

    assertThat(results).hasSize(3);
    assertThat(results.get(0).failure()).isNull();
    assertThat(results.get(0).outputs()).hasSize(1);
    assertThat(results.get(1).failure()).hasMessage("bad record");
    assertThat(results.get(1).outputs()).isEmpty();
    assertThat(results.get(2).outputs()).extracting(ProducerRecord::key).containsExactly("k2");
  }

  private static ConsumerRecord<String, byte[]> record(int partition, long offset) {
    return new ConsumerRecord<>("in", partition, offset, "k" + offset, new byte[] {1});
  }
}
