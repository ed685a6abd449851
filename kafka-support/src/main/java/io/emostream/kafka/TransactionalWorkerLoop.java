package io.emostream.kafka;

import io.emostream.ops.HealthCheck;
import io.emostream.schemas.WorkerProgress;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once consume → process → produce loop shared by the workers. Each gathered batch's
 * outputs and the consumer offsets are committed in one Kafka transaction, so a record's result is
 * published exactly once even if the worker dies mid-batch (another instance re-reads from the last
 * committed offset).
 *
 * <p>A record the processor cannot handle goes to the dead-letter topic, in the same transaction,
 * with the reason and its coordinates in headers, plus whatever {@link RecordProcessor#onFailure}
 * returns (the workers publish an ERROR prediction so fusion does not wait for a timeout); the loop
 * carries on with the next record. Input is read {@code read_committed}: half-written ingest
 * transactions are never seen.
 *
 * <p>Meters (tag {@code service}): {@code emostream.worker.records.in}, {@code .records.out},
 * {@code .dead.letters}, {@code .transactions} (tag {@code outcome}: committed, aborted), the
 * {@code .batch.size} distribution (records per transaction), and the Kafka clients' own metrics
 * (consumer lag: {@code kafka.consumer.fetch.manager.records.lag.max}).
 *
 * <p>The records of one transaction (one poll, plus what arrives within {@code maxWait}; at most
 * {@code maxPollRecords} in all) reach the processor together through {@link
 * RecordProcessor#processAll}, so it can batch their work; each record still succeeds or fails on
 * its own.
 *
 * <p>Progress: with a progress topic, every transaction also carries one {@link WorkerProgress}
 * record per assigned input partition (its position, its end offset, and when the loop last caught
 * up with it); an idle loop commits such records every {@link #HEARTBEAT_INTERVAL} on their own,
 * and so does the loop before a batch when its last progress does not cover every assigned
 * partition (at start, after a rebalance). They are committed with the outputs of the records they
 * cover, so a reader that sees a position has the predictions before it too. While a batch is being
 * processed (model runs can take longer than fusion's timeout on a busy CPU), a side thread
 * re-publishes the last committed progress with a fresh heartbeat every {@link
 * #HEARTBEAT_INTERVAL}, for at most {@link #BUSY_HEARTBEAT_LIMIT} per batch: a batch stuck longer
 * than that, like a dead process, falls silent. fusion-stream reads them to wait for a worker that
 * is alive and behind a clip rather than fuse without its modality.
 *
 * <p>Over 300 lines on purpose: poll, gather, transaction, dead letters, the rewind after an abort
 * and the progress records all act on one consumer's positions and one producer's transaction, and
 * the order of those calls is what makes it exactly-once, so they are read in one place; the pure
 * parts ({@link #gather}, {@link #progress}, {@link #nextOffsets}) are static functions tested on
 * their own.
 */
public final class TransactionalWorkerLoop implements Runnable, AutoCloseable, HealthCheck {

  /** Turns one input record into the records to publish. */
  public interface RecordProcessor {
    List<ProducerRecord<String, byte[]>> process(ConsumerRecord<String, byte[]> record)
        throws Exception;

    /**
     * Processes the records of one transaction together, so a processor can batch their work (model
     * runs); returns one {@link Processed} per record, in order. A record that fails must fail
     * alone: the others keep their outputs. The default processes them one by one with {@link
     * #process}.
     */
    default List<Processed> processAll(List<ConsumerRecord<String, byte[]>> records) {
      List<Processed> out = new ArrayList<>(records.size());
      for (ConsumerRecord<String, byte[]> record : records) {
        try {
          out.add(Processed.ok(process(record)));
        } catch (Exception e) {
          out.add(Processed.failed(e));
        }
      }
      return out;
    }

    /** Records to publish in addition to the dead letter when {@link #process} failed. */
    default List<ProducerRecord<String, byte[]>> onFailure(
        ConsumerRecord<String, byte[]> record, Exception error) {
      return List.of();
    }
  }

  /**
   * What became of one record: its outputs, or the exception that sends it to the dead-letter
   * topic.
   */
  public record Processed(List<ProducerRecord<String, byte[]>> outputs, Exception failure) {

    public static Processed ok(List<ProducerRecord<String, byte[]>> outputs) {
      return new Processed(List.copyOf(outputs), null);
    }

    public static Processed failed(Exception failure) {
      return new Processed(List.of(), Objects.requireNonNull(failure));
    }
  }

  /** How often progress is published as a heartbeat, idle or busy (and with every transaction). */
  public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(2);

  /**
   * The consumer's properties beyond {@code settings}: read from the start, batches of {@code
   * maxPollRecords}, fetches that hold the largest record, and {@link KafkaClients#SESSION_TIMEOUT}
   * where the settings ({@code KAFKA_*}) choose no session timeout.
   */
  static Map<String, Object> consumerOverrides(KafkaSettings settings, int maxPollRecords) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    overrides.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    overrides.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES * 2);
    overrides.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES);
    overrides.putAll(KafkaClients.sessionTimeoutDefaults(settings));
    return overrides;
  }

  /**
   * How long one batch may run and still be heartbeated for: far beyond what a batch of a few clips
   * takes on a CPU, so only a stuck model (or a hung native call) exceeds it, and then fusion stops
   * waiting for this worker.
   */
  public static final Duration BUSY_HEARTBEAT_LIMIT = Duration.ofMinutes(10);

  /**
   * Longest wait for the end offsets or a position when building progress records; past it they are
   * skipped.
   */
  private static final Duration PROGRESS_LOOKUP_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(TransactionalWorkerLoop.class);

  private final String service;
  private final String groupId;
  private final String transactionalId;

  /** Where progress records go; null: none are published. */
  private final Topics.Topic<WorkerProgress> progressTopic;

  private final Clock clock;

  /** Per assigned input partition, the latest time its position was seen at the partition's end. */
  private final Map<TopicPartition, Long> caughtUpAt = new HashMap<>();

  private long lastProgressMs = 0; // never: the first idle poll publishes

  /** The progress last committed, re-published by the heartbeat thread while a batch runs. */
  private volatile List<WorkerProgress> lastProgress = List.of();

  /** When the batch being processed started; -1 between batches. */
  private volatile long batchStartedMs = -1;

  /**
   * Publishes busy heartbeats (not transactional: they only refresh the time of committed
   * progress); or null.
   */
  private final KafkaProducer<String, byte[]> heartbeatProducer;

  private final String inputTopic;
  private final String deadLetterTopic;
  private final RecordProcessor processor;
  private final Duration pollTimeout;
  private final int maxPollRecords;
  private final Duration maxWait;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean polling = new AtomicBoolean(false);
  private final Counter recordsIn;
  private final Counter recordsOut;
  private final Counter deadLettered;
  private final Counter committed;
  private final Counter aborted;
  private final DistributionSummary batchSize;
  private final KafkaClientMetrics consumerMetrics;
  private final KafkaClientMetrics producerMetrics;

  /** A loop with the system clock. */
  public TransactionalWorkerLoop(
      KafkaSettings settings,
      WorkerLoopConfig config,
      RecordProcessor processor,
      MeterRegistry meters) {
    this(settings, config, processor, meters, Clock.systemUTC());
  }

  /**
   * @param config what the loop reads and writes, and how it batches
   * @param meters where the loop's meters and its Kafka clients' metrics are registered
   * @param clock the wall clock of heartbeats and catch-up times
   */
  public TransactionalWorkerLoop(
      KafkaSettings settings,
      WorkerLoopConfig config,
      RecordProcessor processor,
      MeterRegistry meters,
      Clock clock) {
    this.maxPollRecords = config.maxPollRecords();
    this.maxWait = config.maxWait();
    this.service = config.service();
    this.groupId = config.groupId();
    this.transactionalId = config.transactionalId();
    this.progressTopic = config.progressTopic();
    this.clock = clock;
    this.inputTopic = config.inputTopic();
    this.deadLetterTopic = config.deadLetterTopic();
    this.processor = processor;
    this.pollTimeout = Duration.ofMillis(500);
    this.consumer =
        KafkaClients.readCommittedConsumer(
            settings,
            groupId,
            new ByteArrayDeserializer(),
            consumerOverrides(settings, maxPollRecords));
    this.producer = KafkaClients.transactionalProducer(settings, transactionalId, Map.of());
    this.heartbeatProducer =
        progressTopic == null ? null : KafkaClients.idempotentProducer(settings);
    this.recordsIn =
        counter(meters, "emostream.worker.records.in", "records consumed from the input topic");
    this.recordsOut =
        counter(
            meters, "emostream.worker.records.out", "records published, dead letters not included");
    this.deadLettered =
        counter(
            meters, "emostream.worker.dead.letters", "input records sent to the dead-letter topic");
    this.committed =
        Counter.builder("emostream.worker.transactions")
            .tag("service", service)
            .tag("outcome", "committed")
            .description("worker transactions")
            .register(meters);
    this.aborted =
        Counter.builder("emostream.worker.transactions")
            .tag("service", service)
            .tag("outcome", "aborted")
            .description("worker transactions")
            .register(meters);
    this.batchSize =
        DistributionSummary.builder("emostream.worker.batch.size")
            .tag("service", service)
            .description("records per transaction")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)
            .register(meters);
    this.consumerMetrics = new KafkaClientMetrics(consumer, List.of(Tag.of("service", service)));
    this.producerMetrics = new KafkaClientMetrics(producer, List.of(Tag.of("service", service)));
    consumerMetrics.bindTo(meters);
    producerMetrics.bindTo(meters);
  }

  private Counter counter(MeterRegistry meters, String name, String description) {
    return Counter.builder(name).tag("service", service).description(description).register(meters);
  }

  @Override
  public void run() {
    ScheduledExecutorService beats = null;
    try {
      if (heartbeatProducer != null) {
        beats =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread thread = new Thread(r, service + "-heartbeat");
                  thread.setDaemon(true);
                  return thread;
                });
        beats.scheduleAtFixedRate(
            this::beatWhileBusy,
            HEARTBEAT_INTERVAL.toMillis(),
            HEARTBEAT_INTERVAL.toMillis(),
            TimeUnit.MILLISECONDS);
      }
      producer.initTransactions();
      consumer.subscribe(List.of(inputTopic));
      LOG.info(
          "{} consuming {} (exactly-once, dead letters to {})",
          service,
          inputTopic,
          deadLetterTopic);
      polling.set(true);
      while (running.get()) {
        List<ConsumerRecord<String, byte[]>> records =
            gather(consumer, consumer.poll(pollTimeout), maxPollRecords, maxWait, running::get);
        if (!records.isEmpty()) {
          if (progressTopic != null
              && !progressPartitions(lastProgress).equals(consumer.assignment())) {
            heartbeat(
                records); // fusion learns this worker owns them before a batch that may take long
          }
          processInTransaction(records);
        } else if (progressTopic != null
            && clock.millis() - lastProgressMs >= HEARTBEAT_INTERVAL.toMillis()) {
          heartbeat(List.of());
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      LOG.error(
          "{} was fenced by a newer instance with the same transactional id; stopping", service, e);
    } finally {
      polling.set(false);
      if (beats != null) {
        beats.shutdownNow();
      }
      if (heartbeatProducer != null) {
        heartbeatProducer.close(Duration.ofSeconds(5));
      }
      consumerMetrics.close();
      producerMetrics.close();
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      producer.close(Duration.ofSeconds(5));
      stopped.countDown();
      LOG.info(
          "{} stopped after {} records in, {} out, {} dead-lettered",
          service,
          recordsIn(),
          recordsOut(),
          deadLettered());
    }
  }

  /**
   * The first poll's records plus whatever more arrives within {@code maxWait}, at most {@code
   * maxPollRecords} in all: the records a later poll returned beyond that are given back (the
   * consumer seeks to the first of them in each partition), so they start the next transaction.
   * Records of partitions a rebalance took away meanwhile, and second copies re-fetched after one,
   * are dropped.
   */
  static <K, V> List<ConsumerRecord<K, V>> gather(
      Consumer<K, V> consumer,
      ConsumerRecords<K, V> first,
      int maxPollRecords,
      Duration maxWait,
      BooleanSupplier running) {
    List<ConsumerRecord<K, V>> records = new ArrayList<>(first.count());
    first.forEach(records::add);
    if (records.isEmpty() || maxWait.isZero()) {
      return records;
    }
    long deadline = System.nanoTime() + maxWait.toNanos();
    long left;
    while (records.size() < maxPollRecords
        && running.getAsBoolean()
        && (left = deadline - System.nanoTime()) > 0) {
      consumer.poll(Duration.ofNanos(left)).forEach(records::add);
    }
    // a rebalance inside those polls may have taken partitions away (their records are the new
    // owner's now),
    // or taken one away and given it back, re-fetched from the committed offset (drop the second
    // copies)
    Set<TopicPartition> assigned = consumer.assignment();
    Set<String> seen = new HashSet<>();
    records.removeIf(
        r ->
            !assigned.contains(new TopicPartition(r.topic(), r.partition()))
                || !seen.add(r.topic() + "-" + r.partition() + "@" + r.offset()));
    if (records.size() > maxPollRecords) {
      // a poll returns up to maxPollRecords itself: the last one can overshoot; within a partition
      // the records
      // are in offset order, so the first excess record of each partition is where the next poll
      // must resume
      Map<TopicPartition, Long> resume = new HashMap<>();
      for (ConsumerRecord<K, V> r : records.subList(maxPollRecords, records.size())) {
        resume.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
      }
      resume.forEach(consumer::seek);
      records = new ArrayList<>(records.subList(0, maxPollRecords));
    }
    return records;
  }

  private void processInTransaction(List<ConsumerRecord<String, byte[]>> records) {
    producer.beginTransaction();
    batchSize.record(records.size());
    batchStartedMs = clock.millis();
    try {
      List<Processed> results = processAll(records);
      for (int i = 0; i < records.size(); i++) {
        recordsIn.increment();
        for (ProducerRecord<String, byte[]> out : outputsOf(records.get(i), results.get(i))) {
          producer.send(out);
          if (!deadLetterTopic.equals(out.topic())) {
            recordsOut.increment();
          }
        }
      }
      List<WorkerProgress> progress = currentProgress(List.of());
      progress.forEach(p -> producer.send(progressRecord(p)));
      producer.sendOffsetsToTransaction(nextOffsets(records), consumer.groupMetadata());
      producer.commitTransaction();
      committed.increment();
      progressCommitted(progress);
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warn("{}: transaction aborted, re-reading from the last committed offsets", service, e);
      aborted.increment();
      producer.abortTransaction();
      rewindToCommitted(partitionsOf(records));
    } finally {
      batchStartedMs = -1;
    }
  }

  /**
   * A transaction of progress records only: an idle worker's heartbeat, or, before a batch, where
   * this worker stands ({@code unprocessed}: the batch's records, fetched but not processed yet).
   */
  private void heartbeat(List<ConsumerRecord<String, byte[]>> unprocessed) {
    List<WorkerProgress> progress = currentProgress(unprocessed);
    if (progress.isEmpty()) {
      return;
    }
    producer.beginTransaction();
    try {
      progress.forEach(p -> producer.send(progressRecord(p)));
      producer.commitTransaction();
      progressCommitted(progress);
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warn("{}: heartbeat transaction aborted", service, e);
      producer.abortTransaction();
    }
  }

  private void progressCommitted(List<WorkerProgress> progress) {
    if (!progress.isEmpty()) {
      lastProgressMs = clock.millis();
      lastProgress = List.copyOf(progress);
    }
  }

  /**
   * Runs on the heartbeat thread: while a batch is processed (for at most {@link
   * #BUSY_HEARTBEAT_LIMIT}), the last committed progress again with the current time, so fusion
   * sees a busy worker alive.
   */
  private void beatWhileBusy() {
    try {
      long started = batchStartedMs;
      long now = clock.millis();
      if (started < 0 || now - started > BUSY_HEARTBEAT_LIMIT.toMillis()) {
        return;
      }
      for (WorkerProgress last : lastProgress) {
        heartbeatProducer.send(
            progressRecord(WorkerProgress.newBuilder(last).setHeartbeatMs(now).build()));
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: busy heartbeat not sent", service, e);
    }
  }

  private ProducerRecord<String, byte[]> progressRecord(WorkerProgress progress) {
    return progressTopic.record(
        Topics.progressKey(progress.getInputTopic(), progress.getPartition()), progress);
  }

  private static Set<TopicPartition> progressPartitions(List<WorkerProgress> progress) {
    Set<TopicPartition> partitions = new HashSet<>();
    progress.forEach(p -> partitions.add(new TopicPartition(p.getInputTopic(), p.getPartition())));
    return partitions;
  }

  /**
   * One progress record per assigned input partition; none when the progress topic is not set,
   * nothing is assigned, or the end offsets cannot be read in time (then the next transaction tries
   * again). A partition's position is the first of {@code unprocessed} in it, else the consumer's.
   * The time is taken before the end offsets are asked for, so "caught up at T" means every record
   * committed before T is processed.
   */
  private List<WorkerProgress> currentProgress(List<ConsumerRecord<String, byte[]>> unprocessed) {
    Set<TopicPartition> assigned = consumer.assignment();
    if (progressTopic == null || assigned.isEmpty()) {
      return List.of();
    }
    long now = clock.millis();
    Map<TopicPartition, Long> positions = new HashMap<>();
    Map<TopicPartition, Long> ends;
    try {
      ends = consumer.endOffsets(assigned, PROGRESS_LOOKUP_TIMEOUT);
      for (TopicPartition partition : assigned) {
        positions.put(partition, consumer.position(partition, PROGRESS_LOOKUP_TIMEOUT));
      }
      for (ConsumerRecord<String, byte[]> record : unprocessed) {
        positions.computeIfPresent(
            new TopicPartition(record.topic(), record.partition()),
            (partition, position) -> Math.min(position, record.offset()));
      }
    } catch (WakeupException e) {
      // shutdown() woke the consumer up to end the loop: the transaction in progress still commits
      // (without
      // progress), and the wake-up is re-armed so the next poll ends the loop as it would have
      consumer.wakeup();
      return List.of();
    } catch (TimeoutException e) {
      LOG.debug("{}: no progress records this time: {}", service, e.getMessage());
      return List.of();
    } catch (KafkaException e) {
      // progress is advisory: a failure to read offsets must never abort the transaction of the
      // predictions
      LOG.warn("{}: no progress records this time", service, e);
      return List.of();
    }
    return progress(positions, ends, now, caughtUpAt, groupId, transactionalId);
  }

  /**
   * The progress of each partition in {@code positions} at {@code nowMs}, given the partitions' end
   * offsets: a partition whose position reached its end is caught up now; others keep their last
   * catch-up time from {@code caughtUpAt} (null if none), which is updated, and forgets partitions
   * no longer assigned.
   */
  static List<WorkerProgress> progress(
      Map<TopicPartition, Long> positions,
      Map<TopicPartition, Long> ends,
      long nowMs,
      Map<TopicPartition, Long> caughtUpAt,
      String groupId,
      String instance) {
    caughtUpAt.keySet().retainAll(positions.keySet());
    List<WorkerProgress> out = new ArrayList<>(positions.size());
    positions.entrySet().stream()
        .sorted(
            Comparator.comparing((Map.Entry<TopicPartition, Long> e) -> e.getKey().topic())
                .thenComparingInt(e -> e.getKey().partition()))
        .forEach(
            entry -> {
              TopicPartition partition = entry.getKey();
              long position = entry.getValue();
              Long end = ends.get(partition);
              if (end != null && position >= end) {
                caughtUpAt.put(partition, nowMs);
              }
              Long caughtUp = caughtUpAt.get(partition);
              out.add(
                  WorkerProgress.newBuilder()
                      .setInputTopic(partition.topic())
                      .setPartition(partition.partition())
                      .setGroupId(groupId)
                      .setInstance(instance)
                      .setHeartbeatMs(nowMs)
                      .setPosition(position)
                      .setEndOffset(end == null ? position : end)
                      .setCaughtUpAtMs(caughtUp)
                      .build());
            });
    return out;
  }

  /**
   * The processor's batch call; if it breaks its contract, each record is processed alone instead.
   */
  /**
   * The processor's results for {@code records}, in their order; a record with no value (a
   * tombstone) never reaches the processor and fails with a reason that says so (it failed inside
   * the processor with a NullPointerException's message as its dead letter's reason).
   */
  private List<Processed> processAll(List<ConsumerRecord<String, byte[]>> records) {
    List<ConsumerRecord<String, byte[]>> valued =
        records.stream().filter(r -> r.value() != null).toList();
    if (valued.size() == records.size()) {
      return processValued(records);
    }
    Iterator<Processed> valuedResults =
        (valued.isEmpty() ? List.<Processed>of() : processValued(valued)).iterator();
    List<Processed> results = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> record : records) {
      results.add(
          record.value() != null
              ? valuedResults.next()
              : Processed.failed(
                  new IllegalArgumentException(
                      "the record has no value (a tombstone): there is nothing to process")));
    }
    return results;
  }

  private List<Processed> processValued(List<ConsumerRecord<String, byte[]>> records) {
    try {
      List<Processed> results = processor.processAll(records);
      if (results.size() == records.size()) {
        return results;
      }
      LOG.error(
          "{}: processAll returned {} results for {} records; processing them one by one",
          service,
          results.size(),
          records.size());
    } catch (RuntimeException e) {
      LOG.error(
          "{}: processAll failed for {} records; processing them one by one",
          service,
          records.size(),
          e);
    }
    List<Processed> results = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> record : records) {
      try {
        results.add(Processed.ok(processor.process(record)));
      } catch (Exception e) {
        results.add(Processed.failed(e));
      }
    }
    return results;
  }

  private List<ProducerRecord<String, byte[]>> outputsOf(
      ConsumerRecord<String, byte[]> record, Processed result) {
    if (result.failure() == null) {
      return result.outputs();
    }
    Exception e = result.failure();
    LOG.error(
        "{}: record {}-{}@{} (clip {}) failed, sending it to {}",
        service,
        record.topic(),
        record.partition(),
        record.offset(),
        record.key(),
        deadLetterTopic,
        e);
    deadLettered.increment();
    List<ProducerRecord<String, byte[]>> extra = safeOnFailure(record, e);
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>(extra.size() + 1);
    out.add(DeadLetters.of(deadLetterTopic, service, record, e));
    out.addAll(extra);
    return out;
  }

  private List<ProducerRecord<String, byte[]>> safeOnFailure(
      ConsumerRecord<String, byte[]> record, Exception error) {
    try {
      return processor.onFailure(record, error);
    } catch (RuntimeException e) {
      LOG.error("{}: failure handler for clip {} failed too", service, record.key(), e);
      return List.of();
    }
  }

  static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      List<ConsumerRecord<String, byte[]>> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      offsets.merge(
          new TopicPartition(record.topic(), record.partition()),
          new OffsetAndMetadata(record.offset() + 1),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    return offsets;
  }

  private static Set<TopicPartition> partitionsOf(List<ConsumerRecord<String, byte[]>> records) {
    Set<TopicPartition> partitions = new HashSet<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      partitions.add(new TopicPartition(record.topic(), record.partition()));
    }
    return partitions;
  }

  private void rewindToCommitted(Set<TopicPartition> batchPartitions) {
    Set<TopicPartition> partitions = new HashSet<>(batchPartitions);
    partitions.retainAll(consumer.assignment());
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
    return (long) recordsIn.count();
  }

  public long recordsOut() {
    return (long) recordsOut.count();
  }

  public long deadLettered() {
    return (long) deadLettered.count();
  }

  @Override
  public String name() {
    return service;
  }

  /** Live until the loop has ended (stopped, or fenced by a newer instance). */
  @Override
  public boolean isLive() {
    return stopped.getCount() > 0;
  }

  /** Ended without {@link #shutdown} (an exception, or fenced by a newer instance). */
  @Override
  public boolean failed() {
    return stopped.getCount() == 0 && running.get();
  }

  /** Ready once its transactions are initialised and it polls its input. */
  @Override
  public boolean isReady() {
    return polling.get();
  }
}
