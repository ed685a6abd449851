package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.DeadLetterHeaders;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TransactionalWorkerLoopIT {

  private final KafkaSettings settings = KafkaSettings.bootstrap(TestKafka.bootstrapServers());
  private final Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @Test
  void processesEveryRecordAndDeadLettersThePoisonOneWithoutStopping() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    String in = topics.audio().name();
    String out = topics.audioPredictions().name();
    TransactionalWorkerLoop loop =
        new TransactionalWorkerLoop(
            settings,
            WorkerLoopConfig.of(
                "upper",
                "g-" + UUID.randomUUID(),
                "tx-" + UUID.randomUUID(),
                in,
                topics.deadLetters().name()),
            record -> {
              String text = new String(record.value(), StandardCharsets.UTF_8);
              if (text.equals("poison")) {
                throw new IllegalArgumentException("cannot read 'poison'");
              }
              return List.of(
                  new ProducerRecord<>(
                      out, record.key(), text.toUpperCase().getBytes(StandardCharsets.UTF_8)));
            },
            meters);
    Thread thread = new Thread(loop, "loop");
    thread.start();

    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            settings.with(
                Map.of(
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
      for (String value : List.of("a", "b", "poison", "c")) {
        producer
            .send(new ProducerRecord<>(in, "k-" + value, value.getBytes(StandardCharsets.UTF_8)))
            .get();
      }
      producer.send(new ProducerRecord<>(in, "k-tombstone", null)).get();
    }

    List<ConsumerRecord<String, byte[]>> outputs = readCommitted(out, 3);
    List<ConsumerRecord<String, byte[]>> dead = readCommitted(topics.deadLetters().name(), 2);
    assertThat(
            meters
                .find("kafka.consumer.fetch.manager.records.lag.max")
                .tag("service", "upper")
                .meters())
        .as("the consumer's own lag metric is bound while the loop runs")
        .isNotEmpty();
    loop.close(Duration.ofSeconds(10));
    assertThat(meters.find("kafka.consumer.fetch.manager.records.lag.max").meters())
        .as("and removed with its consumer")
        .isEmpty();
    thread.join(10_000);

    assertThat(outputs)
        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("A", "B", "C");
    assertThat(dead)
        .extracting(ConsumerRecord::key)
        .containsExactlyInAnyOrder("k-poison", "k-tombstone");
    ConsumerRecord<String, byte[]> poison =
        dead.stream().filter(r -> r.key().equals("k-poison")).findFirst().orElseThrow();
    ConsumerRecord<String, byte[]> tombstone =
        dead.stream().filter(r -> r.key().equals("k-tombstone")).findFirst().orElseThrow();
    assertThat(tombstone.value()).isNull();
    assertThat(header(tombstone, DeadLetterHeaders.REASON))
        .as("not the processor's NullPointerException")
        .isEqualTo("the record has no value (a tombstone): there is nothing to process");
    assertThat(new String(poison.value(), StandardCharsets.UTF_8)).isEqualTo("poison");
    assertThat(header(poison, DeadLetterHeaders.REASON)).isEqualTo("cannot read 'poison'");
    assertThat(header(poison, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(in);
    assertThat(header(poison, DeadLetterHeaders.SOURCE_OFFSET)).isNotBlank();
    assertThat(loop.deadLettered()).isEqualTo(2);
    assertThat(meters.get("emostream.worker.records.in").tag("service", "upper").counter().count())
        .isEqualTo(5);
    assertThat(meters.get("emostream.worker.records.out").tag("service", "upper").counter().count())
        .isEqualTo(3);
    assertThat(
            meters.get("emostream.worker.dead.letters").tag("service", "upper").counter().count())
        .isEqualTo(2);
    assertThat(meters.get("emostream.worker.batch.size").summary().totalAmount()).isEqualTo(5);
  }

  /**
   * SIGTERM path: close() while a record is being processed lets that transaction commit, output
   * and offsets.
   */
  @Test
  void closeLetsTheTransactionInProgressCommit() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    String in = topics.audio().name();
    String out = topics.audioPredictions().name();
    String group = "g-" + UUID.randomUUID();
    CountDownLatch processing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TransactionalWorkerLoop loop =
        new TransactionalWorkerLoop(
            settings,
            WorkerLoopConfig.of(
                "slow", group, "tx-" + UUID.randomUUID(), in, topics.deadLetters().name()),
            record -> {
              processing.countDown();
              assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
              return List.of(new ProducerRecord<>(out, record.key(), record.value()));
            },
            meters);
    Thread thread = new Thread(loop, "slow-loop");
    thread.start();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            settings.with(
                Map.of(
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
      producer
          .send(new ProducerRecord<>(in, 0, "k-slow", "in flight".getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    assertThat(processing.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(loop.isReady()).isTrue();

    CompletableFuture<Boolean> closed =
        CompletableFuture.supplyAsync(() -> loop.close(Duration.ofSeconds(30)));
    release.countDown();

    assertThat(closed.get(40, TimeUnit.SECONDS)).as("closed within its timeout").isTrue();
    assertThat(loop.isLive()).isFalse();
    assertThat(readCommitted(out, 1))
        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactly("in flight");
    try (Admin admin = Admin.create(settings.asMap())) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      assertThat(offsets.get(new TopicPartition(in, 0)).offset())
          .as("the input offset was committed")
          .isEqualTo(1);
    }
  }

  @Test
  void batchProcessorSeesThePollsRecordsTogetherAndAPoisonRecordFailsAlone() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    String in = topics.frames().name();
    String out = topics.videoPredictions().name();
    AtomicInteger seen = new AtomicInteger();
    TransactionalWorkerLoop.RecordProcessor batching =
        new TransactionalWorkerLoop.RecordProcessor() {
          @Override
          public List<ProducerRecord<String, byte[]>> process(
              ConsumerRecord<String, byte[]> record) {
            throw new AssertionError("the loop must call processAll");
          }

          @Override
          public List<TransactionalWorkerLoop.Processed> processAll(
              List<ConsumerRecord<String, byte[]>> records) {
            seen.addAndGet(records.size());
            return records.stream()
                .map(
                    record -> {
                      String text = new String(record.value(), StandardCharsets.UTF_8);
                      return text.equals("poison")
                          ? TransactionalWorkerLoop.Processed.failed(
                              new IllegalArgumentException("cannot read 'poison'"))
                          : TransactionalWorkerLoop.Processed.ok(
                              List.of(
                                  new ProducerRecord<>(
                                      out,
                                      record.key(),
                                      text.toUpperCase().getBytes(StandardCharsets.UTF_8))));
                    })
                .toList();
          }

          @Override
          public List<ProducerRecord<String, byte[]>> onFailure(
              ConsumerRecord<String, byte[]> record, Exception error) {
            return List.of(
                new ProducerRecord<>(out, record.key(), "ERROR".getBytes(StandardCharsets.UTF_8)));
          }
        };
    TransactionalWorkerLoop loop =
        new TransactionalWorkerLoop(
            settings,
            WorkerLoopConfig.of(
                    "batch",
                    "g-" + UUID.randomUUID(),
                    "tx-" + UUID.randomUUID(),
                    in,
                    topics.deadLetters().name())
                .withBatching(10, Duration.ofMillis(200)),
            batching,
            meters);
    Thread thread = new Thread(loop, "batch-loop");
    thread.start();

    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            settings.with(
                Map.of(
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
      for (String value : List.of("a", "poison", "b")) {
        producer
            .send(new ProducerRecord<>(in, "k-" + value, value.getBytes(StandardCharsets.UTF_8)))
            .get();
      }
    }

    List<ConsumerRecord<String, byte[]>> outputs = readCommitted(out, 3);
    List<ConsumerRecord<String, byte[]>> dead = readCommitted(topics.deadLetters().name(), 1);
    loop.close(Duration.ofSeconds(10));
    thread.join(10_000);

    assertThat(outputs)
        .extracting(r -> r.key() + "=" + new String(r.value(), StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("k-a=A", "k-b=B", "k-poison=ERROR");
    assertThat(dead).extracting(ConsumerRecord::key).containsExactly("k-poison");
    assertThat(seen.get()).isEqualTo(3);
    assertThat(loop.recordsIn()).isEqualTo(3);
    assertThat(loop.deadLettered()).isEqualTo(1);
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected) {
    return TopicReader.readCommitted(
        TestKafka.bootstrapServers(),
        topic,
        expected,
        Duration.ofSeconds(60),
        Duration.ofMillis(500));
  }
}
