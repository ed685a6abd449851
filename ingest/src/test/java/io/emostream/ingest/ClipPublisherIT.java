package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaClients;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** {@link ClipPublisher}'s pool of transactional producers against the real broker. */
class ClipPublisherIT {

  private final String bootstrap = TestKafka.bootstrapServers();
  private final Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private IngestConfig config(int publishers) {
    TopicAdmin.ensureTopics(KafkaSettings.bootstrap(bootstrap), topics, (short) 1);
    return IngestConfig.fromEnv(
            new Env(
                Map.of(
                    KafkaSettings.BOOTSTRAP_ENV,
                    bootstrap,
                    IngestConfig.PUBLISHERS_ENV,
                    Integer.toString(publishers))))
        .withKafka(KafkaSettings.bootstrap(bootstrap), topics);
  }

  private List<ProducerRecord<String, byte[]>> clip(String clipId, int frameBytes) {
    DemuxedClip clip =
        new DemuxedClip(
            0,
            0,
            4_000,
            new byte[3_200],
            List.of(new DemuxedClip.SampledFrame(0, 2, 2, new byte[frameBytes])),
            true,
            true,
            null);
    return ClipPublisher.records(
        topics, clipId, "src", "call.mp4", clip, null, Instant.ofEpochMilli(1_000));
  }

  @Test
  void clipsPublishedFromManyThreadsAreEachCommittedWholeByAPoolOfTransactionalProducers()
      throws Exception {
    String txId = "tx-" + UUID.randomUUID();
    List<String> clipIds = new ArrayList<>();
    try (ClipPublisher publisher = new ClipPublisher(config(3), txId, meters)) {
      ExecutorService threads = Executors.newFixedThreadPool(6);
      try {
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          String clipId = "clip-" + i;
          clipIds.add(clipId);
          sent.add(
              CompletableFuture.runAsync(() -> publisher.publish(clip(clipId, 1_000)), threads));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
      } finally {
        threads.shutdown();
      }
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        assertThat(admin.listTransactions().all().get())
            .extracting(TransactionListing::transactionalId)
            .filteredOn(id -> id.startsWith(txId))
            .containsExactlyInAnyOrder(txId + "-0", txId + "-1", txId + "-2");
      }
    }
    for (Topics.Topic<?> topic : topics.clipTopics()) {
      assertThat(read(topic.name(), 30))
          .as(topic.name())
          .extracting(ConsumerRecord::key)
          .containsExactlyInAnyOrderElementsOf(clipIds);
    }
  }

  @Test
  void aClipThatFailsIsAbortedWholeAndItsProducerPublishesTheNextOne() {
    try (ClipPublisher publisher =
        new ClipPublisher(config(1), "tx-" + UUID.randomUUID(), meters)) {
      // frames over the producer's max.request.size: the send fails, the transaction aborts
      List<ProducerRecord<String, byte[]>> tooLarge =
          clip("too-large", Topics.MAX_MESSAGE_BYTES + 4096);
      assertThatThrownBy(() -> publisher.publish(tooLarge))
          .isInstanceOf(PublishException.class)
          .hasMessageContaining("Kafka did not take the clip");

      publisher.publish(clip("next", 1_000));
    }
    assertThat(read(topics.manifests().name(), 1))
        .as("the failed clip's manifest, sent before its frames, was aborted with them")
        .extracting(ConsumerRecord::key)
        .containsExactly("next");
  }

  /**
   * A producer that can no longer abort (here fenced by another producer with its transactional id;
   * a commit that timed out while the broker stalled is the same) is replaced: the clip it failed
   * is reported, and the next clip is published. It was kept, and every later clip on it failed
   * ("Cannot attempt operation 'beginTransaction' ...") until ingest was restarted.
   */
  @Test
  void aProducerThatCannotAbortIsReplacedAndTheNextClipIsPublished() {
    String txId = "tx-" + UUID.randomUUID();
    try (ClipPublisher publisher = new ClipPublisher(config(1), txId, meters)) {
      publisher.publish(clip("first", 1_000));
      try (KafkaProducer<String, byte[]> zombie =
          KafkaClients.transactionalProducer(
              KafkaSettings.bootstrap(bootstrap), txId + "-0", Map.of())) {
        zombie.initTransactions(); // fences the publisher's producer
      }
      assertThatThrownBy(() -> publisher.publish(clip("fenced", 1_000)))
          .isInstanceOf(PublishException.class)
          .hasMessageContaining("Kafka did not take the clip");

      publisher.publish(clip("after", 1_000));
      publisher.publish(clip("later", 1_000));
    }
    assertThat(read(topics.manifests().name(), 3))
        .extracting(ConsumerRecord::key)
        .containsExactlyInAnyOrder("first", "after", "later");
  }

  private List<ConsumerRecord<String, byte[]>> read(String topic, int expected) {
    return TopicReader.readCommitted(
        bootstrap, topic, expected, Duration.ofSeconds(60), Duration.ofSeconds(1));
  }
}
