package io.emostream.kafka;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Kafka client properties taken from the environment, the way the official Kafka images do it:
 * every {@code KAFKA_*} variable becomes a client property, lower-cased with {@code _} turned into
 * {@code .} ({@code KAFKA_SECURITY_PROTOCOL=SASL_SSL} → {@code security.protocol=SASL_SSL}, {@code
 * KAFKA_SASL_JAAS_CONFIG} → {@code sasl.jaas.config}). {@link #toString()} masks secrets.
 */
public final class KafkaSettings {

  public static final String BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS";
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  private static final Set<String> SECRET_MARKERS =
      Set.of("password", "secret", "jaas", "key", "token", "credential");

  private final Map<String, Object> common;

  private KafkaSettings(Map<String, Object> common) {
    this.common = Map.copyOf(common);
  }

  public static KafkaSettings fromEnv(Env env) {
    Map<String, Object> props = new HashMap<>();
    env.asMap()
        .forEach(
            (name, value) -> {
              if (name.startsWith("KAFKA_") && value != null && !value.isBlank()) {
                props.put(
                    name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                    value.trim());
              }
            });
    props.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP);
    return new KafkaSettings(props);
  }

  public static KafkaSettings bootstrap(String bootstrapServers) {
    return new KafkaSettings(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  public String bootstrapServers() {
    return (String) common.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
  }

  /** The common properties plus {@code overrides} (overrides win). */
  public Map<String, Object> with(Map<String, Object> overrides) {
    Map<String, Object> merged = new HashMap<>(common);
    merged.putAll(overrides);
    return merged;
  }

  public Map<String, Object> asMap() {
    return common;
  }

  @Override
  public String toString() {
    Map<String, Object> shown = new TreeMap<>();
    common.forEach((k, v) -> shown.put(k, isSecret(k) ? "[hidden]" : v));
    return shown.toString();
  }

  static boolean isSecret(String property) {
    String p = property.toLowerCase(Locale.ROOT);
    return SECRET_MARKERS.stream().anyMatch(p::contains);
  }
}
