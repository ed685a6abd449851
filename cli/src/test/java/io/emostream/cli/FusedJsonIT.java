package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.testkit.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fused JSON view ({@code EMOSTREAM_FUSION_EMIT_JSON=true}) on the real pipeline and a real
 * broker: the committed sample through ingest, both workers with the shipped models and
 * fusion-stream; the JSON topic is read {@code read_committed} by Kafka Connect's own {@link
 * JsonConverter} ({@code schemas.enable=false}, as a Connect sink is configured) and by {@code kcat
 * -C | jq}, and each value is the fused record's {@link FusedSegmentJson}.
 */
class FusedJsonIT {

  static SampleRun run;
  static EmbeddedPlatform platform;

  /** The Avro records of the fused topic for the sample's clips, by clip id. */
  static Map<String, FusedEmotion> fused;

  @BeforeAll
  static void runTheSampleThroughThePipeline() throws Exception {
    run =
        SampleRun.start(
            "json", Map.of("EMOSTREAM_FUSION_EMIT_JSON", "true"), Duration.ofSeconds(120));
    platform = run.platform();
    fused = run.fused();
    assertThat(fused).hasSize(2); // 4.5 s in 2 s segments
  }

  @AfterAll
  static void stopPlatform() {
    if (run != null) {
      run.close();
    }
  }

  @Test
  void connectsJsonConverterReadsEachFusedSegmentAsItsDocumentedJson() {
    List<ConsumerRecord<String, byte[]>> records =
        TopicReader.readCommitted(
            platform.kafka().bootstrapServers(),
            platform.topics().fusedJson().name(),
            fused.size(),
            Duration.ofSeconds(60),
            Duration.ofMillis(500));
    assertThat(records).hasSameSizeAs(fused.keySet());
    try (JsonConverter converter = new JsonConverter()) {
      converter.configure(Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, "false"), false);
      Map<String, Map<?, ?>> byKey = new HashMap<>();
      for (ConsumerRecord<String, byte[]> record : records) {
        SchemaAndValue data =
            converter.toConnectData(record.topic(), record.headers(), record.value());
        assertThat(data.schema()).as("schemaless, as JsonConverter gives plain JSON").isNull();
        assertThat(data.value()).isInstanceOf(Map.class);
        byKey.put(record.key(), (Map<?, ?>) data.value());
        FusedEmotion avro = fused.get(record.key());
        assertThat(avro).as("key %s is a fused clip id", record.key()).isNotNull();
        assertThat(new String(record.value(), StandardCharsets.UTF_8))
            .isEqualTo(FusedSegmentJson.line(avro));
      }
      assertThat(byKey.keySet()).containsExactlyInAnyOrderElementsOf(fused.keySet());
      for (Map.Entry<String, Map<?, ?>> e : byKey.entrySet()) {
        FusedEmotion avro = fused.get(e.getKey());
        Map<?, ?> segment = e.getValue();
        assertThat(segment.get("clipId")).isEqualTo(e.getKey());
        assertThat(segment.get("sourceName")).isEqualTo("happy-speech.mp4");
        assertThat(segment.get("status")).isEqualTo(avro.getStatus().name());
        assertThat(segment.get("label")).isEqualTo(avro.getLabel());
        assertThat(((Number) segment.get("segmentIndex")).intValue())
            .isEqualTo(avro.getSegmentIndex());
        // a schemaless Connect value is a plain Map: key order is not kept (the raw bytes above
        // keep it)
        assertThat(
                ((Map<?, ?>) segment.get("distribution"))
                    .keySet().stream().map(Object::toString).toList())
            .containsExactlyInAnyOrderElementsOf(avro.getLabels());
        assertThat((List<?>) segment.get("predictions")).hasSize(avro.getPredictions().size());
      }
    }
  }

  @Test
  void kcatPipedIntoJqReadsTheJsonTopicAsItIs(@TempDir Path dir) throws Exception {
    Optional<Path> kcat = Kcat.find();
    assumeTrue(
        kcat.isPresent(), "kcat not found on PATH: skipping kcat | jq (apt-get install -y kcat)");
    Optional<Path> jq = Kcat.onPath("jq");
    assumeTrue(jq.isPresent(), "jq not found on PATH: skipping kcat | jq (apt-get install -y jq)");
    String topic = platform.topics().fusedJson().name();
    // kcat -b BROKER -C -t emostream.fused.json -X isolation.level=read_committed -o beginning -e
    // -q -f '%s\n'
    List<String> consume =
        new ArrayList<>(
            List.of(
                kcat.get().toString(),
                "-b",
                platform.kafka().bootstrapServers(),
                "-C",
                "-t",
                topic,
                "-X",
                "isolation.level=read_committed",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%s\\n"));
    byte[] values = Kcat.run(consume, new byte[0], dir);

    // | jq -r '[.clipId, .status, .label, (.distribution | keys_unsorted | length)] | @tsv'
    byte[] table =
        Kcat.run(
            List.of(
                jq.get().toString(),
                "-r",
                "[.clipId, .status, .label, (.distribution | keys_unsorted | length)] | @tsv"),
            values,
            dir);

    List<String> rows = new String(table, StandardCharsets.UTF_8).lines().toList();
    List<String> expected =
        fused.values().stream()
            .map(
                f ->
                    String.join(
                        "\t",
                        f.getClipId(),
                        f.getStatus().name(),
                        f.getLabel(),
                        Integer.toString(f.getLabels().size())))
            .toList();
    assertThat(rows).containsExactlyInAnyOrderElementsOf(expected);
  }
}
