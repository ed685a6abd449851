package io.emostream.schemas;

import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.strategy.TopicIdStrategy;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro class in the Confluent wire format, with its schema in a schema
 * registry ({@code EMOSTREAM_SCHEMA_REGISTRY_URL}): a magic byte {@code 0}, the 4-byte big-endian
 * schema id, then the Avro binary body. It is Apicurio Registry's own serde (2.x line), configured
 * so that:
 *
 * <ul>
 *   <li>the id in the payload is the registry's content id, which is the schema id of its
 *       Confluent-compatible API ({@code /apis/ccompat/v6/schemas/ids/{id}}), so Confluent-style
 *       consumers (Connect's AvroConverter, ksqlDB, Flink) resolve it as well as Apicurio's;
 *   <li>the subject of a topic's values is {@code <topic>-value} (TopicNameStrategy), group {@code
 *       default};
 *   <li>the writer registers its schema on first use (auto-register; a new version only when it
 *       differs, so the registry's compatibility rule decides whether it may);
 *   <li>the id travels in the payload, never in headers;
 *   <li>the reader decodes into the generated class, resolving the writer's schema against it.
 * </ul>
 *
 * One instance serves every topic of its type and is thread-safe; {@link #serializer()} and {@link
 * #deserializer()} hand out views whose {@code close()} does nothing, since the instance is shared
 * by every client of a {@code Topics} (a Kafka client closes the (de)serializers it was given).
 */
public final class RegistryAvroSerde<T extends SpecificRecord> implements Serde<T> {

  /** The path of Apicurio Registry's v2 REST API, which its serdes talk to. */
  public static final String API_PATH = "/apis/registry/v2";

  private final Class<T> type;
  private final Schema schema;
  private final String registryUrl;
  private final AvroKafkaSerializer<T> serializer = new AvroKafkaSerializer<>();
  private final AvroKafkaDeserializer<T> deserializer = new AvroKafkaDeserializer<>();

  /**
   * @param registryUrl the registry's v2 API, as {@link #apiUrl} gives it
   */
  public RegistryAvroSerde(Class<T> type, String registryUrl) {
    this.type = type;
    this.schema = SpecificData.getForClass(type).getSchema(type);
    this.registryUrl = registryUrl;
    Map<String, Object> config = config(registryUrl);
    serializer.configure(config, false);
    deserializer.configure(config, false);
  }

  /** The serde settings used with Apicurio Registry (see the class comment). */
  static Map<String, Object> config(String registryUrl) {
    return Map.of(
        SerdeConfig.REGISTRY_URL,
        registryUrl,
        SerdeConfig.ARTIFACT_RESOLVER_STRATEGY,
        TopicIdStrategy.class.getName(),
        SerdeConfig.AUTO_REGISTER_ARTIFACT,
        true,
        SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER,
        true,
        SerdeConfig.USE_ID,
        "contentId",
        SerdeConfig.ENABLE_HEADERS,
        false,
        AvroKafkaSerdeConfig.USE_SPECIFIC_AVRO_READER,
        true);
  }

  /**
   * The registry's v2 API from what a user gives: a registry's base URL ({@code
   * http://registry:8080}) gets {@value #API_PATH} appended; a URL with a path is taken as it is.
   *
   * @throws IllegalArgumentException naming {@code setting} unless it is an http(s) URL with a host
   */
  public static String apiUrl(String setting, String url) {
    String trimmed = url.trim();
    URI uri;
    try {
      uri = new URI(trimmed);
    } catch (URISyntaxException e) {
      throw badUrl(setting, url);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https"))
        || uri.getHost() == null
        || uri.getQuery() != null
        || uri.getFragment() != null) {
      throw badUrl(setting, url);
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String base = trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    return path.isEmpty() || path.equals("/") ? base + API_PATH : base;
  }

  private static IllegalArgumentException badUrl(String setting, String url) {
    return new IllegalArgumentException(
        setting
            + " must be the http(s) URL of an Apicurio Registry (e.g. http://registry:8080, or its"
            + " v2 API http://registry:8080"
            + API_PATH
            + "), got '"
            + url
            + "'");
  }

  public Class<T> type() {
    return type;
  }

  /** The schema this serde writes and reads into: the generated class's. */
  public Schema schema() {
    return schema;
  }

  /** The registry's v2 API this serde talks to. */
  public String registryUrl() {
    return registryUrl;
  }

  @Override
  public Serializer<T> serializer() {
    return serializer::serialize;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer::deserialize;
  }
}
