package io.emostream.cli;

import io.emostream.fusion.ClipFuser;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.FusionStreamApp;
import io.emostream.fusion.FusionTopology;
import io.emostream.fusion.SourceSummaryTopology;
import io.emostream.kafka.KafkaClients;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicAdmin;
import io.emostream.kafka.embedded.EmbeddedKafkaBroker;
import io.emostream.ops.Meters;
import io.emostream.schemas.ClipManifest;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.Modality;
import io.emostream.schemas.ModalityPrediction;
import io.emostream.schemas.PendingClip;
import io.emostream.schemas.PredictionStatus;
import io.emostream.schemas.Timings;
import io.emostream.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The fusion stages of {@code bench}: the production topology on Kafka Streams' {@code
 * TopologyTestDriver} against a bare loop that decodes the same three records per clip (manifest,
 * speech and face predictions), fuses them with {@link ClipFuser} and encodes the result; and the
 * production app ({@link FusionStreamApp}, exactly-once) through the in-JVM broker. Every clip has
 * both modalities, so every clip is fused as it completes.
 */
final class FusionBench {

  static final List<String> SPEECH_LABELS =
      List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");
  static final List<String> FACE_LABELS =
      List.of("angry", "disgust", "fearful", "happy", "sad", "surprised", "neutral");

  private final Alternation alternation;
  private final Duration budget;
  private final int clipsPerRound;

  FusionBench(Alternation alternation, Duration budget, int clipsPerRound) {
    this.alternation = alternation;
    this.budget = budget;
    this.clipsPerRound = clipsPerRound;
  }

  /** One clip's three input records, as the fusion app reads them. */
  record ClipRecords(String clipId, byte[] manifest, byte[] audio, byte[] video) {}

  static List<ClipRecords> clips(Topics topics, int count) {
    Instant now = Instant.now();
    List<ClipRecords> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String clipId = UUID.randomUUID().toString();
      ClipManifest manifest =
          ClipManifest.newBuilder()
              .setClipId(clipId)
              .setSourceId("bench")
              .setSourceName("bench.mp4")
              .setSegmentIndex(i)
              .setStartMs(i * 4000L)
              .setEndMs(i * 4000L + 4000)
              .setModalities(List.of(Modality.AUDIO, Modality.VIDEO))
              .setFusionRule(null)
              .setIngestTimeMs(now)
              .build();
      out.add(
          new ClipRecords(
              clipId,
              encode(topics.manifests(), manifest),
              encode(topics.audioPredictions(), prediction(clipId, Modality.AUDIO, now)),
              encode(topics.videoPredictions(), prediction(clipId, Modality.VIDEO, now))));
    }
    return out;
  }

  private static ModalityPrediction prediction(String clipId, Modality modality, Instant now) {
    List<String> labels = modality == Modality.AUDIO ? SPEECH_LABELS : FACE_LABELS;
    List<Float> probabilities = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      probabilities.add(i == 2 ? 1f - 0.05f * (labels.size() - 1) : 0.05f);
    }
    return ModalityPrediction.newBuilder()
        .setClipId(clipId)
        .setModality(modality)
        .setModelName(modality == Modality.AUDIO ? "speech" : "face")
        .setModelVersion("1")
        .setLabels(labels)
        .setProbabilities(probabilities)
        .setStatus(PredictionStatus.OK)
        .setError(null)
        .setItemsAnalysed(4)
        .setTimings(new Timings(1.0, 1.0, 1.0, 3.0))
        .setProducedAtMs(now)
        .build();
  }

  private static <V> byte[] encode(Topics.Topic<V> topic, V value) {
    try (Serializer<V> serializer = topic.valueSerde().serializer()) {
      return serializer.serialize(topic.name(), value);
    }
  }

  /**
   * The production topology on the test driver against, first, the bare loop (the natural limit of
   * fusing a clip) and then the driver's own floor: the same three records per clip piped into a
   * topology of the same three sources and one processor that fuses each clip as the bare loop does
   * (its records held in a plain map: no state store, no changelog, no per-source summary) and
   * sends the result to the same sink. The driver's work per record (it checks every input topic
   * name against every source's pattern, and captures every output) is in both sides of the second
   * pair, so its ratio is what the topology itself adds on the driver.
   */
  List<BenchFigures.Comparison> driverVsBare(Path stateDir) throws Exception {
    Topics topics = new Topics("bench.", 1);
    FusionConfig config =
        FusionConfig.of("fusion-bench", topics, KafkaSettings.bootstrap("unused:9092"));
    ClipFuser fuser = new ClipFuser(config.labels(), config.defaultRule());
    try (TopologyTestDriver driver =
            new TopologyTestDriver(
                FusionTopology.build(config),
                FusionStreamApp.streamsProperties(
                    config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString())));
        TopologyTestDriver floor =
            new TopologyTestDriver(
                floorTopology(topics, fuser),
                FusionStreamApp.streamsProperties(
                    config,
                    Map.of(
                        StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("floor").toString())))) {
      Alternation.Prepared topology = onDriver(driver, topics);
      return List.of(
          alternation.compare(
              "fusion",
              "clip",
              "topology on the test driver",
              topology,
              "bare decode + fuse + encode",
              () -> {
                List<ClipRecords> clips = clips(topics, clipsPerRound);
                return () -> Alternation.Done.items(bareFuse(topics, fuser, clips));
              },
              budget,
              3),
          alternation.compare(
              "fusion",
              "clip",
              "topology on the test driver",
              topology,
              "bare fuse on the test driver",
              onDriver(floor, topics),
              budget,
              3));
    }
  }

  /** Rounds of {@link #clipsPerRound} fresh clips piped into {@code driver}, outputs drained. */
  private Alternation.Prepared onDriver(TopologyTestDriver driver, Topics topics) {
    TestInputTopic<String, byte[]> manifests = input(driver, topics.manifests());
    TestInputTopic<String, byte[]> audio = input(driver, topics.audioPredictions());
    TestInputTopic<String, byte[]> video = input(driver, topics.videoPredictions());
    return () -> {
      List<ClipRecords> clips = clips(topics, clipsPerRound);
      return () -> {
        for (ClipRecords clip : clips) {
          manifests.pipeInput(clip.clipId(), clip.manifest());
          audio.pipeInput(clip.clipId(), clip.audio());
          video.pipeInput(clip.clipId(), clip.video());
        }
        int fused = drain(driver, topics.fused().name());
        for (String topic : driver.producedTopicNames()) {
          drain(driver, topic);
        }
        return Alternation.Done.items(fused);
      };
    };
  }

  /**
   * The driver's floor: the production topology's three sources and fused sink around one processor
   * that keeps each clip's records in a map and fuses it, as {@link #bareFuse} does, when all three
   * are in.
   */
  static Topology floorTopology(Topics topics, ClipFuser fuser) {
    Topology topology = new Topology();
    topology.addSource(
        "manifests",
        Topics.KEY_SERDE.deserializer(),
        topics.manifests().valueSerde().deserializer(),
        topics.manifests().name());
    topology.addSource(
        "audio",
        Topics.KEY_SERDE.deserializer(),
        topics.audioPredictions().valueSerde().deserializer(),
        topics.audioPredictions().name());
    topology.addSource(
        "video",
        Topics.KEY_SERDE.deserializer(),
        topics.videoPredictions().valueSerde().deserializer(),
        topics.videoPredictions().name());
    topology.addProcessor(
        "bare-fuse", () -> new BareFuseProcessor(fuser), "manifests", "audio", "video");
    topology.addSink(
        "fused",
        topics.fused().name(),
        Topics.KEY_SERDE.serializer(),
        topics.fused().valueSerde().serializer(),
        "bare-fuse");
    return topology;
  }

  /** Holds a clip's records in a map until all three are in, then fuses and forwards it. */
  private static final class BareFuseProcessor
      implements Processor<String, SpecificRecord, String, FusedEmotion> {
    private final ClipFuser fuser;
    private final Map<String, PendingClip.Builder> clips = new HashMap<>();
    private ProcessorContext<String, FusedEmotion> context;

    BareFuseProcessor(ClipFuser fuser) {
      this.fuser = fuser;
    }

    @Override
    public void init(ProcessorContext<String, FusedEmotion> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
      PendingClip.Builder clip =
          clips.computeIfAbsent(
              record.key(),
              k -> PendingClip.newBuilder().setFirstSeenMs(System.currentTimeMillis()));
      if (record.value() instanceof ClipManifest manifest) {
        clip.setManifest(manifest);
      } else if (record.value() instanceof ModalityPrediction prediction) {
        if (prediction.getModality() == Modality.AUDIO) {
          clip.setAudio(prediction);
        } else {
          clip.setVideo(prediction);
        }
      }
      if (clip.hasManifest() && clip.hasAudio() && clip.hasVideo()) {
        clips.remove(record.key());
        long now = System.currentTimeMillis();
        context.forward(
            new Record<>(record.key(), fuser.fuse(record.key(), clip.build(), now), now));
      }
    }
  }

  /** Decodes, fuses and encodes each clip with nothing around it: the natural limit. */
  static int bareFuse(Topics topics, ClipFuser fuser, List<ClipRecords> clips) {
    String manifestTopic = topics.manifests().name();
    String audioTopic = topics.audioPredictions().name();
    String videoTopic = topics.videoPredictions().name();
    int fused = 0;
    try (var manifests = topics.manifests().valueSerde().deserializer();
        var predictions = topics.audioPredictions().valueSerde().deserializer();
        var out = topics.fused().valueSerde().serializer()) {
      for (ClipRecords clip : clips) {
        PendingClip pending =
            PendingClip.newBuilder()
                .setManifest(manifests.deserialize(manifestTopic, clip.manifest()))
                .setAudio(predictions.deserialize(audioTopic, clip.audio()))
                .setVideo(predictions.deserialize(videoTopic, clip.video()))
                .setFirstSeenMs(System.currentTimeMillis())
                .build();
        FusedEmotion result = fuser.fuse(clip.clipId(), pending, System.currentTimeMillis());
        if (out.serialize(topics.fused().name(), result).length > 0) {
          fused++;
        }
      }
    }
    return fused;
  }

  private static TestInputTopic<String, byte[]> input(
      TopologyTestDriver driver, Topics.Topic<?> topic) {
    return driver.createInputTopic(
        topic.name(), Topics.KEY_SERDE.serializer(), new ByteArraySerializer());
  }

  private static int drain(TopologyTestDriver driver, String topic) {
    return driver
        .createOutputTopic(topic, Topics.KEY_SERDE.deserializer(), new ByteArrayDeserializer())
        .readValuesToList()
        .size();
  }

  /**
   * Clips fused through the broker, from the first send until the last clip's segment of the
   * per-source summary is committed (the last work the app does for a clip, two topics after its
   * fused record): wall time, the process's CPU time, and the CPU time of the fusion app's own
   * threads (its stream threads and their clients' threads, named after its application id); and
   * the wall time and fusion CPU time at the moment the last fused record was read, for comparison
   * with runs timed that way.
   */
  record BrokerRun(
      int clips,
      double wallMs,
      double cpuMs,
      double fusionCpuMs,
      double fusedWallMs,
      double fusedFusionCpuMs) {
    double clipsPerSecond() {
      return clips * 1000.0 / wallMs;
    }

    double clipsPerCpuSecond() {
      return clips * 1000.0 / cpuMs;
    }

    double clipsPerFusionCpuSecond() {
      return clips * 1000.0 / fusionCpuMs;
    }

    double clipsPerFusionCpuSecondToFused() {
      return clips * 1000.0 / fusedFusionCpuMs;
    }
  }

  /**
   * The production fusion app (exactly-once v2, its own commit interval) on the in-JVM broker:
   * {@code clips} clips sent with an idempotent producer, fused results and the summary's segments
   * read {@code read_committed}. The process CPU includes the broker, the producer and the reader.
   */
  BrokerRun throughBroker(int clips, Path stateDir, Duration timeout) throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start("127.0.0.1", 0, null)) {
      KafkaSettings kafka = KafkaSettings.bootstrap(broker.bootstrapServers());
      Topics topics = new Topics("bench-" + UUID.randomUUID() + ".", 1);
      TopicAdmin.ensureTopics(kafka, topics, (short) 1);
      FusionConfig config = FusionConfig.of("fusion-bench-" + UUID.randomUUID(), topics, kafka);
      List<ClipRecords> records = clips(topics, clips);
      try (FusionStreamApp app =
              new FusionStreamApp(
                  config,
                  Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()),
                  Meters.prometheus());
          KafkaConsumer<String, FusedEmotion> reader =
              KafkaClients.readerFromEnd(kafka, "bench-", topics.fused());
          KafkaProducer<String, byte[]> producer = KafkaClients.idempotentProducer(kafka)) {
        app.start();
        awaitRunning(app, timeout); // the group's first rebalance is not fusion's cost
        try (KafkaConsumer<String, byte[]> summarised = summarySegmentsReader(kafka, config)) {
          // untimed first, as the compared stages warm up: the JIT, the heap, the clients' buffers
          List<ClipRecords> warmUp = clips(topics, Math.max(1, clips / 4));
          sendAndRead(producer, reader, topics, warmUp, timeout);
          awaitSummarised(summarised, warmUp, timeout);
          Map<Long, Long> fusionBefore = ThreadCpu.javaThreadsNamed(config.applicationId());
          double[] atFused = new double[2]; // wall ms from the first send, fusion CPU ms
          Alternation.Timing timing =
              alternation.timed(
                  () -> {
                    long start = System.nanoTime();
                    sendAndRead(producer, reader, topics, records, timeout);
                    atFused[0] = (System.nanoTime() - start) / 1e6;
                    atFused[1] =
                        ThreadCpu.spentMs(
                            fusionBefore, ThreadCpu.javaThreadsNamed(config.applicationId()));
                    return Alternation.Done.items(awaitSummarised(summarised, records, timeout));
                  });
          double fusionCpuMs =
              ThreadCpu.spentMs(fusionBefore, ThreadCpu.javaThreadsNamed(config.applicationId()));
          return new BrokerRun(
              timing.items(), timing.wallMs(), timing.cpuMs(), fusionCpuMs, atFused[0], atFused[1]);
        }
      }
    }
  }

  /**
   * A {@code read_committed} reader, from its end, of the changelog of the summary's segment store
   * ({@code <application id>-source-segments-changelog}, which Kafka Streams created when the app
   * started): one record per fused clip, keyed {@code <source id length>:<source id>/<clip id>}.
   */
  private static KafkaConsumer<String, byte[]> summarySegmentsReader(
      KafkaSettings kafka, FusionConfig config) {
    String changelog =
        config.applicationId() + "-" + SourceSummaryTopology.SEGMENTS_STORE + "-changelog";
    KafkaConsumer<String, byte[]> consumer =
        KafkaClients.readCommittedConsumer(
            kafka, "bench-" + UUID.randomUUID(), new ByteArrayDeserializer(), Map.of());
    try {
      List<TopicPartition> partitions =
          consumer.partitionsFor(changelog).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    return consumer;
  }

  /** Reads the summary's segment changelog until every clip of {@code records} is in it. */
  private static int awaitSummarised(
      KafkaConsumer<String, byte[]> changelog, List<ClipRecords> records, Duration timeout) {
    return awaitClips(
        changelog, records, key -> key.substring(key.lastIndexOf('/') + 1), "summarised", timeout);
  }

  private static void awaitRunning(FusionStreamApp app, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (app.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("fusion-stream not RUNNING within " + timeout);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /** Sends each clip's three records and reads until every clip's fused record is in. */
  private static int sendAndRead(
      KafkaProducer<String, byte[]> producer,
      KafkaConsumer<String, FusedEmotion> reader,
      Topics topics,
      List<ClipRecords> records,
      Duration timeout) {
    for (ClipRecords clip : records) {
      producer.send(
          new ProducerRecord<>(topics.manifests().name(), clip.clipId(), clip.manifest()));
      producer.send(
          new ProducerRecord<>(topics.audioPredictions().name(), clip.clipId(), clip.audio()));
      producer.send(
          new ProducerRecord<>(topics.videoPredictions().name(), clip.clipId(), clip.video()));
    }
    producer.flush();
    return readFused(reader, records, timeout);
  }

  private static int readFused(
      KafkaConsumer<String, FusedEmotion> reader, List<ClipRecords> records, Duration timeout) {
    return awaitClips(reader, records, key -> key, "fused", timeout);
  }

  /**
   * Polls {@code consumer} until a record of every clip of {@code records} is in, the clip id read
   * from each record's key by {@code clipOfKey}; fails after {@code timeout}.
   */
  private static int awaitClips(
      KafkaConsumer<String, ?> consumer,
      List<ClipRecords> records,
      UnaryOperator<String> clipOfKey,
      String what,
      Duration timeout) {
    Set<String> waiting = new HashSet<>();
    records.forEach(r -> waiting.add(r.clipId()));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!waiting.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            waiting.size() + " of " + records.size() + " clips not " + what + " within " + timeout);
      }
      for (ConsumerRecord<String, ?> r : consumer.poll(Duration.ofMillis(100))) {
        waiting.remove(clipOfKey.apply(r.key()));
      }
    }
    return records.size();
  }

  static Path tempStateDir() throws IOException {
    return Files.createTempDirectory("emostream-bench-fusion-");
  }
}
