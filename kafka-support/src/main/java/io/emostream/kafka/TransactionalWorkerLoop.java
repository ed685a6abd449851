package io.emostream.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.emostream.topics.Topics;

/**
 * Exactly-once consume → process → produce loop shared by the workers. Each poll's outputs and the
 * consumer offsets are committed in one Kafka transaction, so a record's result is published exactly
 * once even if the worker dies mid-batch (another instance re-reads from the last committed offset).
 *
 * <p>A record the processor cannot handle goes to the dead-letter topic, in the same transaction,
 * with the reason and its coordinates in headers, plus whatever {@link RecordProcessor#onFailure}
 * returns (the workers publish an ERROR prediction so fusion does not wait for a timeout); the loop
 * carries on with the next record. Input is read {@code read_committed}: half-written ingest
 * transactions are never seen.
 */
public final class TransactionalWorkerLoop implements Runnable, AutoCloseable {

  /** Turns one input record into the records to publish. */
  public interface RecordProcessor {
    List<ProducerRecord<String, byte[]>> process(ConsumerRecord<String, byte[]> record) throws Exception;

    /** Records to publish in addition to the dead letter when {@link #process} failed. */
    default List<ProducerRecord<String, byte[]>> onFailure(ConsumerRecord<String, byte[]> record, Exception error) {
      return List.of();
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(TransactionalWorkerLoop.class);

  private final String service;
  private final String inputTopic;
  private final String deadLetterTopic;
  private final RecordProcessor processor;
  private final Duration pollTimeout;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicLong recordsIn = new AtomicLong();
  private final AtomicLong recordsOut = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();

  /**
   * @param service       service name, used as group id prefix-free identity in logs and dead letters
   * @param groupId       consumer group; instances of one worker share it and split the partitions
   * @param transactionalId unique per running instance
   */
  public TransactionalWorkerLoop(KafkaSettings settings, String service, String groupId, String transactionalId,
      String inputTopic, String deadLetterTopic, int maxPollRecords, RecordProcessor processor) {
    this.service = service;
    this.inputTopic = inputTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.processor = processor;
    this.pollTimeout = Duration.ofMillis(500);
    this.consumer = new KafkaConsumer<>(settings.with(Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, groupId,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES * 2,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
    this.producer = new KafkaProducer<>(settings.with(Map.of(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES + 1024,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
  }

  @Override
  public void run() {
    try {
      producer.initTransactions();
      consumer.subscribe(List.of(inputTopic));
      LOG.info("{} consuming {} (exactly-once, dead letters to {})", service, inputTopic, deadLetterTopic);
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout);
        if (!records.isEmpty()) {
          processInTransaction(records);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      LOG.error("{} was fenced by a newer instance with the same transactional id; stopping", service, e);
    } finally {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
      producer.close(Duration.ofSeconds(5));
      stopped.countDown();
      LOG.info("{} stopped after {} records in, {} out, {} dead-lettered", service, recordsIn.get(), recordsOut.get(),
          deadLettered.get());
    }
  }

  private void processInTransaction(ConsumerRecords<String, byte[]> records) {
    producer.beginTransaction();
    try {
      for (ConsumerRecord<String, byte[]> record : records) {
        recordsIn.incrementAndGet();
        for (ProducerRecord<String, byte[]> out : processOne(record)) {
          producer.send(out);
          recordsOut.incrementAndGet();
        }
      }
      producer.sendOffsetsToTransaction(nextOffsets(records), consumer.groupMetadata());
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warn("{}: transaction aborted, re-reading from the last committed offsets", service, e);
      producer.abortTransaction();
      rewindToCommitted(records.partitions());
    }
  }

  private List<ProducerRecord<String, byte[]>> processOne(ConsumerRecord<String, byte[]> record) {
    try {
      return processor.process(record);
    } catch (Exception e) {
      LOG.error("{}: record {}-{}@{} (clip {}) failed, sending it to {}", service, record.topic(), record.partition(),
          record.offset(), record.key(), deadLetterTopic, e);
      deadLettered.incrementAndGet();
      List<ProducerRecord<String, byte[]>> extra = safeOnFailure(record, e);
      java.util.ArrayList<ProducerRecord<String, byte[]>> out = new java.util.ArrayList<>(extra.size() + 1);
      out.add(DeadLetters.of(deadLetterTopic, service, record, e));
      out.addAll(extra);
      return out;
    }
  }

  private List<ProducerRecord<String, byte[]>> safeOnFailure(ConsumerRecord<String, byte[]> record, Exception error) {
    try {
      return processor.onFailure(record, error);
    } catch (RuntimeException e) {
      LOG.error("{}: failure handler for clip {} failed too", service, record.key(), e);
      return List.of();
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> list = records.records(partition);
      offsets.put(partition, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
    }
    return offsets;
  }

  private void rewindToCommitted(Set<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions);
    for (TopicPartition partition : partitions) {
      OffsetAndMetadata offset = committed.get(partition);
      if (offset == null) {
        consumer.seekToBeginning(List.of(partition));
      } else {
        consumer.seek(partition, offset.offset());
      }
    }
  }

  /** Asks the loop to stop after the transaction in progress; returns at once. */
  public void shutdown() {
    running.set(false);
    consumer.wakeup();
  }

  /** Stops the loop and waits up to {@code timeout} for it to finish its transaction and close. */
  public boolean close(Duration timeout) {
    shutdown();
    try {
      return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  public long recordsIn() {
    return recordsIn.get();
  }

  public long recordsOut() {
    return recordsOut.get();
  }

  public long deadLettered() {
    return deadLettered.get();
  }
}
