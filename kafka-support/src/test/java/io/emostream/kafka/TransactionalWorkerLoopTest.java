package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.schemas.WorkerProgress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TransactionalWorkerLoopTest {

  /**
   * A replica killed without leaving its group is replaced after the session timeout: 10 s by
   * default, so well inside fusion's 30 s (Kafka's own 45 s was not); KAFKA_SESSION_TIMEOUT_MS
   * still chooses.
   */
  @Test
  void aDeadReplicaIsNoticedAfterTenSecondsUnlessTheSettingsSayOtherwise() {
    Map<String, Object> defaults =
        TransactionalWorkerLoop.consumerOverrides(KafkaSettings.bootstrap("k:9092"), 8);
    assertThat(defaults)
        .containsEntry("session.timeout.ms", 10_000)
        .containsEntry("heartbeat.interval.ms", 3_000)
        .containsEntry("max.poll.records", 8);

    KafkaSettings chosen =
        KafkaSettings.fromEnv(new Env(Map.of("KAFKA_SESSION_TIMEOUT_MS", "45000")));
    Map<String, Object> overrides = TransactionalWorkerLoop.consumerOverrides(chosen, 8);
    assertThat(overrides).doesNotContainKeys("session.timeout.ms", "heartbeat.interval.ms");
    assertThat(chosen.with(overrides)).containsEntry("session.timeout.ms", "45000");
  }

  @Test
  void offsetsToCommitAreOnePastTheHighestRecordOfEachPartitionInAnyOrder() {
    List<ConsumerRecord<String, byte[]>> records =
        List.of(record(0, 5), record(1, 2), record(0, 7), record(0, 6));

    Map<TopicPartition, OffsetAndMetadata> offsets = TransactionalWorkerLoop.nextOffsets(records);

    assertThat(offsets)
        .containsOnly(
            Map.entry(new TopicPartition("in", 0), new OffsetAndMetadata(8)),
            Map.entry(new TopicPartition("in", 1), new OffsetAndMetadata(3)));
  }

  @Test
  void progressMarksAPartitionCaughtUpOnlyWhenItsPositionReachedItsEndAndKeepsTheLastTime() {
    TopicPartition p0 = new TopicPartition("in", 0);
    TopicPartition p1 = new TopicPartition("in", 1);
    TopicPartition p2 = new TopicPartition("in", 2);
    Map<TopicPartition, Long> caughtUpAt = new HashMap<>(Map.of(p2, 5L)); // p2: no longer assigned

    List<WorkerProgress> first =
        TransactionalWorkerLoop.progress(
            Map.of(p1, 4L, p0, 7L), Map.of(p0, 7L, p1, 9L), 100, caughtUpAt, "g", "tx-1");

    assertThat(first).extracting(WorkerProgress::getPartition).containsExactly(0, 1);
    assertThat(first.get(0).getCaughtUpAtMs()).isEqualTo(100L);
    assertThat(first.get(0).getPosition()).isEqualTo(7);
    assertThat(first.get(1).getCaughtUpAtMs()).as("a backlog of 5: not caught up").isNull();
    assertThat(first.get(1).getEndOffset()).isEqualTo(9);
    assertThat(first)
        .allSatisfy(
            p -> {
              assertThat(p.getHeartbeatMs()).isEqualTo(100);
              assertThat(p.getInputTopic()).isEqualTo("in");
              assertThat(p.getGroupId()).isEqualTo("g");
              assertThat(p.getInstance()).isEqualTo("tx-1");
            });
    assertThat(caughtUpAt).containsOnlyKeys(p0);

    // later: p0 has a new backlog (keeps the time it last caught up), p1 reached its end
    List<WorkerProgress> second =
        TransactionalWorkerLoop.progress(
            Map.of(p0, 8L, p1, 9L), Map.of(p0, 12L, p1, 9L), 200, caughtUpAt, "g", "tx-1");

    assertThat(second.get(0).getCaughtUpAtMs()).isEqualTo(100L);
    assertThat(second.get(1).getCaughtUpAtMs()).isEqualTo(200L);
    assertThat(second).allSatisfy(p -> assertThat(p.getHeartbeatMs()).isEqualTo(200));
  }

  @Test
  void defaultProcessAllKeepsEachRecordsOutcomeApartAndInOrder() {
    TransactionalWorkerLoop.RecordProcessor processor =
        record -> {
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

  // Batching (gather) on kafka-clients' MockConsumer: each poll runs the next scheduled task, then
  // returns what
  // was added, at most setMaxPollRecords of them, as a real consumer returns at most
  // max.poll.records.

  private static final TopicPartition P0 = new TopicPartition("in", 0);
  private static final TopicPartition P1 = new TopicPartition("in", 1);

  private static MockConsumer<String, byte[]> consumer(int maxPollRecords) {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    consumer.assign(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    consumer.setMaxPollRecords(maxPollRecords);
    return consumer;
  }

  private static List<String> coordinates(List<ConsumerRecord<String, byte[]>> records) {
    return records.stream().map(r -> r.partition() + "@" + r.offset()).toList();
  }

  @Test
  void recordsArrivingWithinMaxWaitReachTheProcessorTogetherAndTheWaitEndsAtMaxPollRecords() {
    MockConsumer<String, byte[]> consumer = consumer(4);
    consumer.addRecord(record(0, 0));
    ConsumerRecords<String, byte[]> first = consumer.poll(Duration.ZERO);
    // two more polls bring 2 + 1 records: 1 + 2 + 1 = 4 = maxPollRecords, so no further wait
    consumer.schedulePollTask(
        () -> {
          consumer.addRecord(record(1, 0));
          consumer.addRecord(record(1, 1));
        });
    consumer.schedulePollTask(() -> consumer.addRecord(record(0, 1)));
    long start = System.nanoTime();

    List<ConsumerRecord<String, byte[]>> batch =
        TransactionalWorkerLoop.gather(consumer, first, 4, Duration.ofSeconds(60), () -> true);

    assertThat(coordinates(batch)).containsExactly("0@0", "1@0", "1@1", "0@1");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("not the 60 s max wait")
        .isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aBatchNeverExceedsMaxPollRecordsAndTheExcessStartsTheNextOne() {
    MockConsumer<String, byte[]> consumer = consumer(4);
    consumer.addRecord(record(0, 0));
    consumer.addRecord(record(0, 1));
    consumer.addRecord(record(0, 2));
    ConsumerRecords<String, byte[]> first = consumer.poll(Duration.ZERO);
    // the second poll returns 4 more (its own cap): 3 + 4 = 7 > 4; the batch keeps the first 4 and
    // the consumer
    // resumes partition 1 at its first record left out, offset 1 (partition 0 stays at 3, after
    // 0@2)
    consumer.schedulePollTask(
        () -> {
          for (long offset = 0; offset < 4; offset++) {
            consumer.addRecord(record(1, offset));
          }
        });

    List<ConsumerRecord<String, byte[]>> batch =
        TransactionalWorkerLoop.gather(consumer, first, 4, Duration.ofSeconds(60), () -> true);

    assertThat(coordinates(batch)).containsExactly("0@0", "0@1", "0@2", "1@0");
    assertThat(consumer.position(P1)).isEqualTo(1);
    assertThat(consumer.position(P0)).isEqualTo(3);
  }

  @Test
  void withoutMoreRecordsTheBatchIsTheFirstPollAfterMaxWaitAndAZeroWaitDoesNotPollAgain() {
    MockConsumer<String, byte[]> consumer = consumer(8);
    consumer.addRecord(record(0, 0));
    List<ConsumerRecord<String, byte[]>> alone =
        TransactionalWorkerLoop.gather(
            consumer, consumer.poll(Duration.ZERO), 8, Duration.ofMillis(100), () -> true);
    assertThat(coordinates(alone)).containsExactly("0@0");

    consumer.addRecord(record(0, 1));
    ConsumerRecords<String, byte[]> first = consumer.poll(Duration.ZERO);
    consumer.schedulePollTask(() -> consumer.addRecord(record(1, 0)));
    List<ConsumerRecord<String, byte[]>> noWait =
        TransactionalWorkerLoop.gather(consumer, first, 8, Duration.ZERO, () -> true);
    assertThat(coordinates(noWait)).containsExactly("0@1");
    assertThat(coordinates(List.copyOf(consumer.poll(Duration.ZERO).records(P1))))
        .as("still there for the next poll")
        .containsExactly("1@0");
  }

  private static ConsumerRecord<String, byte[]> record(int partition, long offset) {
    return new ConsumerRecord<>("in", partition, offset, "k" + offset, new byte[] {1});
  }
}
