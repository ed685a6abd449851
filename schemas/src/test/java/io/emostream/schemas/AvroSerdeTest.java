package io.emostream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final AvroSerde<ModalityPrediction> serde = new AvroSerde<>(ModalityPrediction.class);

  static ModalityPrediction prediction() {
    return ModalityPrediction.newBuilder()
        .setClipId("src-1-s0000")
        .setModality(Modality.AUDIO)
        .setModelName("m")
        .setModelVersion("1")
        .setLabels(List.of("happy", "sad"))
        .setProbabilities(List.of(0.75f, 0.25f))
        .setStatus(PredictionStatus.OK)
        .setItemsAnalysed(1)
        .setTimings(new Timings(1.0, 2.0, 3.0, 6.0))
        .setProducedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  @Test
  void roundTripsAndWritesTheSingleObjectHeader() {
    byte[] bytes = serde.serialize("t", prediction());

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(fingerprint)
        .isEqualTo(SchemaNormalization.parsingFingerprint64(ModalityPrediction.getClassSchema()));
    assertThat(serde.deserialize("t", bytes)).isEqualTo(prediction());
  }

  @Test
  void readsARecordWrittenWithAnOlderSchema() throws Exception {
    Schema old = SchemaHistory.load("/avro/history/ModalityPrediction-v0.avsc");
    GenericRecord record = new GenericData.Record(old);
    record.put("clipId", "c1");
    record.put("modality", new GenericData.EnumSymbol(old.getField("modality").schema(), "VIDEO"));
    record.put("modelName", "fer");
    record.put("modelVersion", "0");
    record.put("labels", List.of("happy"));
    record.put("probabilities", List.of(1.0f));
    record.put("status", new GenericData.EnumSymbol(old.getField("status").schema(), "NO_FACE"));
    GenericRecord timings = new GenericData.Record(old.getField("timings").schema());
    timings.put("decodeMs", 1.0);
    timings.put("preprocessMs", 1.0);
    timings.put("inferenceMs", 1.0);
    timings.put("totalMs", 3.0);
    record.put("timings", timings);
    record.put("producedAtMs", 42L);
    ByteBuffer oldBytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old).encode(record);

    BinaryMessageDecoder<ModalityPrediction> decoder =
        new BinaryMessageDecoder<>(
            SpecificData.getForClass(ModalityPrediction.class),
            ModalityPrediction.getClassSchema(),
            SchemaHistory.build(List.of("ModalityPrediction-v0.avsc")));
    ModalityPrediction read = decoder.decode(oldBytes);

    assertThat(read.getClipId()).isEqualTo("c1");
    assertThat(read.getStatus()).isEqualTo(PredictionStatus.NO_FACE);
    assertThat(read.getError()).isNull();
    assertThat(read.getItemsAnalysed()).isZero();
  }

  @Test
  void readsAManifestWrittenBeforeFusionRuleGainedItsSymbols() throws Exception {
    Schema old = SchemaHistory.load("/avro/history/ClipManifest-v0.avsc");
    Schema oldRule = old.getField("fusionRule").schema().getTypes().get(1);
    assertThat(oldRule.getEnumSymbols()).containsExactly("AVERAGE");
    GenericRecord record = new GenericData.Record(old);
    record.put("clipId", "c1");
    record.put("sourceId", "s");
    record.put("segmentIndex", 0);
    record.put("startMs", 0L);
    record.put("endMs", 4000L);
    record.put(
        "modalities",
        List.of(
            new GenericData.EnumSymbol(
                old.getField("modalities").schema().getElementType(), "AUDIO")));
    record.put("fusionRule", new GenericData.EnumSymbol(oldRule, "AVERAGE"));
    record.put("ingestTimeMs", 42L);
    byte[] oldBytes =
        toBytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old).encode(record));

    // The production serde (SchemaHistory.instance()) must know the old fingerprint.
    ClipManifest read = new AvroSerde<>(ClipManifest.class).deserialize("t", oldBytes);

    assertThat(read.getClipId()).isEqualTo("c1");
    assertThat(read.getFusionRule()).isEqualTo(FusionRule.AVERAGE);
    assertThat(read.getModalities()).containsExactly(Modality.AUDIO);
  }

  @Test
  void everyEarlierFusedAndPendingVersionIsKnownToTheProductionDecoder() {
    for (String resource : SchemaHistory.HISTORY) {
      Schema old = SchemaHistory.load("/avro/history/" + resource);
      assertThat(
              SchemaHistory.instance()
                  .findByFingerprint(SchemaNormalization.parsingFingerprint64(old)))
          .as(resource)
          .isNotNull();
    }
    assertThat(SchemaHistory.HISTORY)
        .contains("FusedEmotion-v0.avsc", "PendingClip-v0.avsc", "PendingClip-v1.avsc");
  }

  @Test
  void aNewRuleSymbolReadWithTheOldEnumFallsBackToTheDefault() throws Exception {
    Schema old = SchemaHistory.load("/avro/history/ClipManifest-v0.avsc");
    ClipManifest current =
        ClipManifest.newBuilder()
            .setClipId("c2")
            .setSourceId("s")
            .setSegmentIndex(1)
            .setStartMs(0)
            .setEndMs(1)
            .setModalities(List.of(Modality.VIDEO))
            .setFusionRule(FusionRule.RULE_BASED)
            .setIngestTimeMs(Instant.ofEpochMilli(7))
            .build();
    byte[] bytes = new AvroSerde<>(ClipManifest.class).serialize("t", current);

    GenericRecord readByOldReader =
        new BinaryMessageDecoder<GenericRecord>(GenericData.get(), old, SchemaHistory.instance())
            .decode(bytes);

    assertThat(readByOldReader.get("fusionRule").toString()).isEqualTo("AVERAGE");
  }

  private static byte[] toBytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  @Test
  void aFusedRecordWrittenBeforeSpeakerRoleReadsWithRoleNull() throws Exception {
    FusedEmotion current =
        FusedEmotion.newBuilder()
            .setClipId("s-00000")
            .setSourceId("s")
            .setSourceName("call.wav")
            .setSegmentIndex(0)
            .setStartMs(0)
            .setEndMs(4000)
            .setRule(FusionRule.AVERAGE)
            .setLabel("happy")
            .setConfidence(0.6f)
            .setLabels(List.of("happy", "sad"))
            .setDistribution(List.of(0.6f, 0.4f))
            .setModalities(List.of(Modality.AUDIO))
            .setStatus(FusionStatus.AUDIO_ONLY)
            .setPredictions(List.of(prediction()))
            .setIngestTimeMs(Instant.ofEpochMilli(1))
            .setFusedAtMs(Instant.ofEpochMilli(2))
            .setLatencyMs(1)
            .setSpeakerRole("customer")
            .build();
    Schema v1 = SchemaHistory.load("/avro/history/FusedEmotion-v0.avsc");
    assertThat(v1.getField("speakerRole")).isNull();
    // v0's fields are a prefix of the current ones, so the record can be written with the v0 writer
    // schema.
    ByteBuffer v1Bytes =
        new BinaryMessageEncoder<FusedEmotion>(SpecificData.get(), v1).encode(current);
    byte[] bytes = new byte[v1Bytes.remaining()];
    v1Bytes.get(bytes);

    FusedEmotion read = new AvroSerde<>(FusedEmotion.class).deserialize("t", bytes);

    assertThat(read.getClipId()).isEqualTo("s-00000");
    assertThat(read.getLabel()).isEqualTo("happy");
    assertThat(read.getSpeakerRole()).isNull();
  }

  @Test
  void everyV0SchemaInTheHistoryDiffersFromTheCurrentOne() {
    for (Schema current :
        List.of(
            ClipManifest.getClassSchema(),
            FusedEmotion.getClassSchema(),
            PendingClip.getClassSchema())) {
      Schema v1 = SchemaHistory.load("/avro/history/" + current.getName() + "-v0.avsc");
      assertThat(SchemaNormalization.parsingFingerprint64(v1))
          .isNotEqualTo(SchemaNormalization.parsingFingerprint64(current));
      assertThat(
              SchemaHistory.instance()
                  .findByFingerprint(SchemaNormalization.parsingFingerprint64(v1)))
          .isNotNull();
    }
  }

  @Test
  void everyV1SchemaInTheHistoryIsTheVersionBeforeNoSpeech() {
    for (Schema current :
        List.of(
            ModalityPrediction.getClassSchema(),
            FusedEmotion.getClassSchema(),
            PendingClip.getClassSchema())) {
      Schema v1 = SchemaHistory.load("/avro/history/" + current.getName() + "-v1.avsc");
      assertThat(v1.toString()).as(current.getName()).doesNotContain("NO_SPEECH");
      assertThat(SchemaNormalization.parsingFingerprint64(v1))
          .isNotEqualTo(SchemaNormalization.parsingFingerprint64(current));
      assertThat(
              SchemaHistory.instance()
                  .findByFingerprint(SchemaNormalization.parsingFingerprint64(v1)))
          .isNotNull();
    }
    assertThat(PredictionStatus.getClassSchema().getEnumSymbols()).endsWith("NO_SPEECH");
  }

  @Test
  void aPredictionWrittenBeforeNoSpeechReadsWithTheProductionSerde() throws Exception {
    Schema v1 = SchemaHistory.load("/avro/history/ModalityPrediction-v1.avsc");
    ModalityPrediction noFace =
        ModalityPrediction.newBuilder(prediction())
            .setStatus(PredictionStatus.NO_FACE)
            .setProbabilities(List.of())
            .setError("no face")
            .build();
    ByteBuffer v1Bytes =
        new BinaryMessageEncoder<ModalityPrediction>(SpecificData.get(), v1).encode(noFace);

    ModalityPrediction read = serde.deserialize("t", toBytes(v1Bytes));

    assertThat(read).isEqualTo(noFace);
  }

  @Test
  void noSpeechReadWithTheOldEnumFallsBackToTheDefaultError() throws Exception {
    Schema v1 = SchemaHistory.load("/avro/history/ModalityPrediction-v1.avsc");
    ModalityPrediction noSpeech =
        ModalityPrediction.newBuilder(prediction())
            .setStatus(PredictionStatus.NO_SPEECH)
            .setProbabilities(List.of())
            .setError("0.10 s of speech")
            .build();
    byte[] bytes = serde.serialize("t", noSpeech);

    GenericRecord readByOldReader =
        new BinaryMessageDecoder<GenericRecord>(GenericData.get(), v1, SchemaHistory.instance())
            .decode(bytes);

    assertThat(readByOldReader.get("status").toString()).isEqualTo("ERROR");
    assertThat(readByOldReader.get("probabilities")).asList().isEmpty();
  }

  @Test
  void aPendingClipWrittenBeforeWaitingOnWorkersReadsWithNoWaitAndNoExtraDeadline()
      throws Exception {
    Schema v1 = SchemaHistory.load("/avro/history/PendingClip-v1.avsc");
    assertThat(v1.getField("waitingSinceMs")).isNull();
    assertThat(v1.getField("deadlineMs")).isNull();
    PendingClip current =
        PendingClip.newBuilder()
            .setAudio(prediction())
            .setFirstSeenMs(42)
            .setWaitingSinceMs(43L)
            .setDeadlineMs(44L)
            .build();
    // v1's fields are a prefix of the current ones, so the record can be written with the v1 writer
    // schema
    // (which drops the new fields), as a state store or changelog written by the previous build
    // holds it.
    ByteBuffer v1Bytes =
        new BinaryMessageEncoder<PendingClip>(SpecificData.get(), v1).encode(current);

    PendingClip read = new AvroSerde<>(PendingClip.class).deserialize("store", toBytes(v1Bytes));

    assertThat(read.getFirstSeenMs()).isEqualTo(42);
    assertThat(read.getAudio()).isEqualTo(prediction());
    assertThat(read.getWaitingSinceMs()).isNull();
    assertThat(read.getDeadlineMs()).isNull();
    assertThat(SchemaNormalization.parsingFingerprint64(v1))
        .isNotEqualTo(SchemaNormalization.parsingFingerprint64(PendingClip.getClassSchema()));
  }

  @Test
  void workerProgressRoundTrips() {
    WorkerProgress progress =
        WorkerProgress.newBuilder()
            .setInputTopic("emostream.clips.frames")
            .setPartition(3)
            .setGroupId("g")
            .setInstance("tx-1")
            .setHeartbeatMs(10)
            .setPosition(5)
            .setEndOffset(9)
            .setCaughtUpAtMs(null)
            .build();
    AvroSerde<WorkerProgress> progressSerde = new AvroSerde<>(WorkerProgress.class);

    assertThat(progressSerde.deserialize("t", progressSerde.serialize("t", progress)))
        .isEqualTo(progress);
  }

  @Test
  void rejectsBytesThatAreNotARecordWithAClearError() {
    assertThatThrownBy(() -> serde.deserialize("t", new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not a valid ModalityPrediction");
  }

  @Test
  void rejectsARecordOfAnotherType() {
    byte[] manifestBytes = new AvroSerde<>(FrameBatch.class).encode(new FrameBatch("c", List.of()));
    assertThatThrownBy(() -> serde.deserialize("t", manifestBytes))
        .isInstanceOf(SerializationException.class);
  }
}
