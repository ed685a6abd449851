package io.emostream.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionStatus;
import io.emostream.schemas.Modality;
import io.emostream.testkit.TestKafka;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.DeadLetterHeaders;
import io.emostream.topics.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fusion-stream, exactly-once, against the shared real broker. */
class FusionStreamIT {

  @TempDir Path stateDir;

  private final KafkaSettings settings = KafkaSettings.bootstrap(TestKafka.bootstrapServers());
  private final Topics topics = new Topics("it-" + UUID.randomUUID() + ".", 2);

  /**
   * Poison records: bytes that are not Avro on a stream topic, a 5 MB record (the topics take up to
   * 16 MB; fusion's producer took 1 MB, so its dead letter failed and the stream thread died over
   * and over on it), and garbage on the compacted progress topic that feeds the global store (the
   * global thread died on it, at every start). The first two go to the dead-letter topic, the third
   * is skipped, and the clip behind them is fused.
   */
  @Test
  void fusesAClipExactlyOnceAndDeadLettersPoisonBytes() throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    produce(topics.workerProgress().name(), "x", "not avro".getBytes(StandardCharsets.UTF_8));
    FusionConfig config = FusionConfig.of("fusion-it-" + UUID.randomUUID(), topics, settings);
    try (FusionStreamApp app =
        new FusionStreamApp(
            config,
            Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()),
            new SimpleMeterRegistry())) {
      app.start();
      produce(topics.manifests().name(), "bad", "not avro".getBytes(StandardCharsets.UTF_8));
      produce(topics.audioPredictions().name(), "c1", new byte[5_000_000]); // its partition
      produce(
          topics.manifests().name(),
          "c1",
          encode(topics.manifests(), Clips.manifest("c1", Modality.AUDIO, Modality.VIDEO)));
      produce(
          topics.audioPredictions().name(),
          "c1",
          encode(topics.audioPredictions(), Clips.audio("c1", Clips.SPEECH_HAPPY)));
      produce(
          topics.videoPredictions().name(),
          "c1",
          encode(topics.videoPredictions(), Clips.video("c1", Clips.FACE_SAD)));

      List<ConsumerRecord<String, byte[]>> fused = readCommitted(topics.fused().name(), 1);
      List<ConsumerRecord<String, byte[]>> dead = readCommitted(topics.deadLetters().name(), 2);

      assertThat(fused).hasSize(1);
      FusedEmotion result =
          topics
              .fused()
              .valueSerde()
              .deserializer()
              .deserialize(topics.fused().name(), fused.get(0).value());
      assertThat(result.getClipId()).isEqualTo("c1");
      assertThat(result.getStatus()).isEqualTo(FusionStatus.COMPLETE);
      assertThat(result.getLabel()).isEqualTo("happy");
      assertThat(result.getConfidence()).isBetween(0.3999f, 0.4001f);
      assertThat(dead).hasSize(2);
      Map<String, ConsumerRecord<String, byte[]>> bySourceTopic = new java.util.HashMap<>();
      dead.forEach(
          d ->
              bySourceTopic.put(
                  new String(
                      d.headers().lastHeader(DeadLetterHeaders.SOURCE_TOPIC).value(),
                      StandardCharsets.UTF_8),
                  d));
      assertThat(bySourceTopic.get(topics.manifests().name()).key()).isEqualTo("bad");
      assertThat(bySourceTopic.get(topics.audioPredictions().name()).value()).hasSize(5_000_000);
      assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  /**
   * The pending-clips store lives in memory and is restored from its changelog, and its due-time
   * index is rebuilt from it: a restart on an empty state directory (as on another machine) keeps a
   * pending clip (fused COMPLETE when its last prediction comes), a done marker (a duplicate is
   * dropped, no second result) and a clip's deadline (fused at its timeout with what arrived).
   */
  @Test
  void pendingClipsDoneMarkersAndDeadlinesSurviveARestartOnAnotherStateDirectory(
      @TempDir Path otherStateDir) throws Exception {
    TopicAdmin.ensureTopics(settings, topics, (short) 1);
    FusionConfig config =
        FusionConfig.of(
            "fusion-it-" + UUID.randomUUID(),
            FusionConfig.DEFAULT_RULE,
            Duration.ofSeconds(15), // the restart takes seconds: "waits" must not time out
            Duration.ofMillis(200),
            FusionConfig.DEFAULT_DONE_RETENTION,
            FusionConfig.DEFAULT_LABELS,
            topics,
            settings);
    try (FusionStreamApp first =
        new FusionStreamApp(
            config,
            Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()),
            new SimpleMeterRegistry())) {
      first.start();
      sendManifest("done");
      sendAudio("done");
      sendVideo("done");
      sendManifest("waits");
      sendAudio("waits");
      sendManifest("times-out");
      sendAudio("times-out");
      assertThat(readCommitted(topics.fused().name(), 1))
          .extracting(ConsumerRecord::key)
          .containsExactly("done");
    }
    try (FusionStreamApp second =
        new FusionStreamApp(
            config,
            Map.of(StreamsConfig.STATE_DIR_CONFIG, otherStateDir.toString()),
            new SimpleMeterRegistry())) {
      second.start();
      sendVideo("waits");
      sendAudio("done"); // a duplicate of a fused clip

      Map<String, FusedEmotion> fused = new java.util.HashMap<>();
      for (ConsumerRecord<String, byte[]> r : readCommitted(topics.fused().name(), 3)) {
        assertThat(fused.put(r.key(), decodeFused(r.value()))).as("second result").isNull();
      }
      assertThat(fused.get("done").getStatus()).isEqualTo(FusionStatus.COMPLETE);
      assertThat(fused.get("waits").getStatus()).isEqualTo(FusionStatus.COMPLETE);
      assertThat(fused.get("times-out").getStatus()).isEqualTo(FusionStatus.AUDIO_ONLY);
      assertThat(second.lateRecords()).isEqualTo(1);
    }
  }

  private FusedEmotion decodeFused(byte[] value) {
    return topics.fused().valueSerde().deserializer().deserialize(topics.fused().name(), value);
  }

  private void sendManifest(String clipId) throws Exception {
    produce(
        topics.manifests().name(),
        clipId,
        encode(topics.manifests(), Clips.manifest(clipId, Modality.AUDIO, Modality.VIDEO)));
  }

  private void sendAudio(String clipId) throws Exception {
    produce(
        topics.audioPredictions().name(),
        clipId,
        encode(topics.audioPredictions(), Clips.audio(clipId, Clips.SPEECH_HAPPY)));
  }

  private void sendVideo(String clipId) throws Exception {
    produce(
        topics.videoPredictions().name(),
        clipId,
        encode(topics.videoPredictions(), Clips.video(clipId, Clips.FACE_SAD)));
  }

  private static <V> byte[] encode(Topics.Topic<V> topic, V value) {
    return topic.valueSerde().serializer().serialize(topic.name(), value);
  }

  private void produce(String topic, String key, byte[] value) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            settings.with(
                Map.of(
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES)))) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  /**
   * Reads until {@code expected} records arrived, then a little longer to catch an unexpected extra
   * one.
   */
  private List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected) {
    return TopicReader.readCommitted(
        TestKafka.bootstrapServers(),
        topic,
        expected,
        Duration.ofSeconds(90),
        Duration.ofMillis(500));
  }
}
