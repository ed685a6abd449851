package io.emostream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TLS and SASL from the environment: the variables the README names become these client properties.
 */
class KafkaSettingsTest {

  private static final String JAAS =
      "org.apache.kafka.common.security.plain.PlainLoginModule required "
          + "username=\"emostream\" password=\"pl41n-s3cret\";";

  @Test
  void saslSslSettingsBecomeClientPropertiesAndSecretsAreMaskedInToString() {
    KafkaSettings settings =
        KafkaSettings.fromEnv(
            new Env(
                Map.of(
                    "KAFKA_BOOTSTRAP_SERVERS", "broker-1:9093,broker-2:9093",
                    "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                    "KAFKA_SASL_MECHANISM", "PLAIN",
                    "KAFKA_SASL_JAAS_CONFIG", JAAS,
                    "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
                    "KAFKA_SSL_TRUSTSTORE_PASSWORD", "tru5t-s3cret",
                    "KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12",
                    "KAFKA_SSL_KEYSTORE_PASSWORD", "k3y-s3cret",
                    "EMOSTREAM_SEGMENT_SECONDS", "4")));

    assertThat(settings.asMap())
        .containsOnly(
            Map.entry("bootstrap.servers", "broker-1:9093,broker-2:9093"),
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.mechanism", "PLAIN"),
            Map.entry("sasl.jaas.config", JAAS),
            Map.entry("ssl.truststore.location", "/etc/kafka/truststore.p12"),
            Map.entry("ssl.truststore.password", "tru5t-s3cret"),
            Map.entry("ssl.truststore.type", "PKCS12"),
            Map.entry("ssl.keystore.password", "k3y-s3cret"));
    assertThat(settings.with(Map.of("acks", "all")))
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("acks", "all");

    String shown = settings.toString();
    assertThat(shown)
        .doesNotContain("pl41n-s3cret", "tru5t-s3cret", "k3y-s3cret", "PlainLoginModule")
        .contains(
            "sasl.jaas.config=[hidden]",
            "ssl.truststore.password=[hidden]",
            "ssl.keystore.password=[hidden]")
        .contains(
            "security.protocol=SASL_SSL", "ssl.truststore.location=/etc/kafka/truststore.p12");
  }

  @Test
  void blankVariablesAreIgnoredAndTheBootstrapHasADefault() {
    KafkaSettings settings = KafkaSettings.fromEnv(new Env(Map.of("KAFKA_SASL_MECHANISM", " ")));
    assertThat(settings.asMap())
        .containsOnly(Map.entry("bootstrap.servers", KafkaSettings.DEFAULT_BOOTSTRAP));
  }
}
