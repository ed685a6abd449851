package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.apicurio.registry.rest.client.RegistryClient;
import io.apicurio.registry.rest.client.RegistryClientFactory;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.types.RuleType;
import io.emostream.kafka.SchemaSubjects;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.testkit.TopicReader;
import io.emostream.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code EMOSTREAM_SCHEMA_REGISTRY_URL} against a real schema registry: Apicurio Registry 2.1.5 (in
 * memory) started as a child JVM ({@link RegistryServer}), the committed sample through the
 * embedded pipeline (ingest, both workers with the shipped models, fusion-stream) on the real
 * broker. The fused topic's values are read as an analytics consumer would: the Confluent framing
 * (magic byte 0, 4-byte schema id), the id resolved through the registry's Confluent-compatible API
 * to the FusedEmotion schema, the value decoded by a plain Apicurio deserializer (generic records,
 * no generated classes). Then the registry's BACKWARD rule on the subject, which the services set
 * at start, refuses an incompatible FusedEmotion change and accepts a compatible one; and a service
 * whose own schema the rule refuses fails at start, naming the subject.
 */
class SchemaRegistryIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static RegistryServer registry;
  static SampleRun run;
  static EmbeddedPlatform platform;

  /**
   * The fused records for the sample's clips, by clip id, as the pipeline's own reader got them.
   */
  static Map<String, FusedEmotion> fused;

  @BeforeAll
  static void runTheSampleThroughARegistryBackedPipeline() throws Exception {
    registry = RegistryServer.start(Path.of("target", "apicurio-registry.log"));
    run =
        SampleRun.start(
            "registry",
            Map.of("EMOSTREAM_SCHEMA_REGISTRY_URL", registry.baseUrl()),
            Duration.ofSeconds(180));
    platform = run.platform();
    fused = run.fused();
    assertThat(platform.topics().schemaRegistryUrl())
        .contains(registry.baseUrl() + RegistryAvroSerde.API_PATH);
    assertThat(fused).hasSize(2); // 4.5 s in 2 s segments
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void aConsumerWithOnlyTheRegistryReadsTheFusedRecordsInTheConfluentWireFormat() throws Exception {
    String topic = platform.topics().fused().name();
    List<ConsumerRecord<String, byte[]>> records =
        TopicReader.readCommitted(
            platform.kafka().bootstrapServers(),
            topic,
            fused.size(),
            Duration.ofSeconds(60),
            Duration.ofMillis(500));
    assertThat(records).hasSameSizeAs(fused.keySet());

    Map<String, Object> consumerConfig =
        Map.of(
            SerdeConfig.REGISTRY_URL,
            registry.baseUrl() + RegistryAvroSerde.API_PATH,
            SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER,
            true,
            SerdeConfig.USE_ID,
            "contentId");
    try (AvroKafkaDeserializer<GenericRecord> analytics = new AvroKafkaDeserializer<>()) {
      analytics.configure(consumerConfig, false);
      for (ConsumerRecord<String, byte[]> record : records) {
        byte[] value = record.value();
        assertThat(value[0]).as("Confluent magic byte").isZero();
        int schemaId = ByteBuffer.wrap(value, 1, 4).getInt();
        Schema writer = new Schema.Parser().parse(confluentSchema(schemaId));
        assertThat(writer.getFullName()).isEqualTo("io.emostream.schemas.FusedEmotion");
        assertThat(writer).isEqualTo(FusedEmotion.getClassSchema());

        GenericRecord read = analytics.deserialize(topic, value);
        FusedEmotion expected = fused.get(record.key());
        assertThat(expected).as("key %s is a fused clip id", record.key()).isNotNull();
        assertThat(read.getSchema().getFullName()).isEqualTo("io.emostream.schemas.FusedEmotion");
        assertThat(read.get("clipId").toString()).isEqualTo(expected.getClipId());
        assertThat(read.get("sourceName").toString()).isEqualTo("happy-speech.mp4");
        assertThat(read.get("label").toString()).isEqualTo(expected.getLabel());
        assertThat(read.get("status").toString()).isEqualTo(expected.getStatus().name());
        assertThat(read.get("segmentIndex")).isEqualTo(expected.getSegmentIndex());
        assertThat((List<?>) read.get("predictions")).hasSize(expected.getPredictions().size());
      }
    }
  }

  @Test
  void everyAvroTopicHasItsSubjectWithABackwardRule() throws Exception {
    Topics topics = platform.topics();
    RegistryClient client =
        RegistryClientFactory.create(registry.baseUrl() + RegistryAvroSerde.API_PATH);
    int avroTopics = 0;
    for (Topics.Topic<?> topic : topics.all()) {
      if (topic.valueSerde() instanceof RegistryAvroSerde<?> serde) {
        avroTopics++;
        String subject = SchemaSubjects.subject(topic.name());
        assertThat(client.getArtifactRuleConfig("default", subject, RuleType.COMPATIBILITY))
            .as(subject)
            .satisfies(rule -> assertThat(rule.getConfig()).isEqualTo("BACKWARD"));
        assertThat(
                new Schema.Parser()
                    .parse(client.getLatestArtifact("default", subject))
                    .getFullName())
            .isEqualTo(serde.schema().getFullName());
      } else {
        assertThat(topic.name()).isIn(topics.fusedJson().name(), topics.deadLetters().name());
      }
    }
    assertThat(avroTopics).isEqualTo(topics.all().size() - 2);
  }

  @Test
  void theRegistryRefusesAnIncompatibleFusedEmotionChangeAndAcceptsACompatibleOne()
      throws Exception {
    String subject = SchemaSubjects.subject(platform.topics().fused().name());

    ObjectNode required = fusedEmotionWith(JSON.createObjectNode().put("name", "speakerAge"));
    ((ObjectNode) ((ArrayNode) required.get("fields")).get(lastField(required))).put("type", "int");
    HttpResponse<String> refused = register(subject, required);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    assertThat(refused.body()).contains("Incompatible");

    ObjectNode optional = fusedEmotionWith(JSON.createObjectNode().put("name", "speakerAge"));
    ObjectNode field = (ObjectNode) ((ArrayNode) optional.get("fields")).get(lastField(optional));
    field.putArray("type").add("null").add("int");
    field.putNull("default");
    HttpResponse<String> accepted = register(subject, optional);
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
    int id = JSON.readTree(accepted.body()).get("id").asInt();
    assertThat(new Schema.Parser().parse(confluentSchema(id)).getField("speakerAge")).isNotNull();
  }

  @Test
  void aServiceWhoseSchemaTheRuleRefusesDoesNotStartAndSaysWhichSubject() throws Exception {
    Topics topics =
        new Topics(
            "refused-" + UUID.randomUUID().toString().substring(0, 8) + ".",
            1,
            registry.baseUrl() + RegistryAvroSerde.API_PATH);
    String subject = SchemaSubjects.subject(topics.fused().name());
    // an earlier FusedEmotion with one field: today's, with fields that have no default, cannot
    // read what it wrote
    ObjectNode earlier = (ObjectNode) JSON.readTree(FusedEmotion.getClassSchema().toString());
    ArrayNode fields = (ArrayNode) earlier.get("fields");
    ArrayNode clipIdOnly = JSON.createArrayNode().add(fields.get(0));
    earlier.set("fields", clipIdOnly);
    assertThat(register(subject, earlier).statusCode()).isEqualTo(200);
    HttpResponse<String> backward =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(registry.baseUrl() + "/apis/ccompat/v6/config/" + subject))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(backward.statusCode()).as(backward.body()).isEqualTo(200);

    assertThatThrownBy(() -> SchemaSubjects.ensure(topics))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refuses this version's FusedEmotion schema for subject " + subject);
  }

  /** FusedEmotion's schema with {@code field} added at the end. */
  private static ObjectNode fusedEmotionWith(ObjectNode field) throws Exception {
    ObjectNode schema = (ObjectNode) JSON.readTree(FusedEmotion.getClassSchema().toString());
    ((ArrayNode) schema.get("fields")).add(field);
    return schema;
  }

  private static int lastField(ObjectNode schema) {
    return schema.get("fields").size() - 1;
  }

  /** POST /subjects/{subject}/versions of the Confluent-compatible API, as Confluent tools do. */
  private static HttpResponse<String> register(String subject, ObjectNode schema) throws Exception {
    String body = JSON.writeValueAsString(Map.of("schema", JSON.writeValueAsString(schema)));
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    registry.baseUrl() + "/apis/ccompat/v6/subjects/" + subject + "/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The schema with this id, from the Confluent-compatible API ({@code /schemas/ids/{id}}). */
  private static String confluentSchema(int id) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(registry.baseUrl() + "/apis/ccompat/v6/schemas/ids/" + id))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body()).get("schema").asText();
  }
}
