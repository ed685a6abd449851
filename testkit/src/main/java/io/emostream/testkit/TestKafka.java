package io.emostream.testkit;

import io.emostream.kafka.embedded.EmbeddedKafkaBroker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The one broker an integration-test JVM shares: Testcontainers' Kafka (apache/kafka image) when a
 * Docker engine answers and {@code EMOSTREAM_TEST_BROKER} is not {@code embedded}, otherwise the
 * in-JVM KRaft broker. Started on first use, stopped at JVM exit.
 */
public final class TestKafka {

  private static final Logger LOG = LoggerFactory.getLogger(TestKafka.class);
  private static String bootstrap;

  private TestKafka() {}

  public static synchronized String bootstrapServers() {
    if (bootstrap == null) {
      bootstrap = startBroker();
    }
    return bootstrap;
  }

  private static String startBroker() {
    String choice = System.getenv().getOrDefault("EMOSTREAM_TEST_BROKER", "auto");
    if (!"embedded".equals(choice) && dockerAvailable()) {
      // Same broker version as the build (version.kafka) and docker-compose.yml.
      KafkaContainer container = new KafkaContainer("apache/kafka:4.3.1");
      container.start();
      Runtime.getRuntime()
          .addShutdownHook(new Thread(container::stop, "test-kafka-container-stop"));
      LOG.info("Integration tests use Testcontainers Kafka at {}", container.getBootstrapServers());
      return container.getBootstrapServers();
    }
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
    Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "test-kafka-embedded-stop"));
    LOG.info("Integration tests use the in-JVM KRaft broker at {}", broker.bootstrapServers());
    return broker.bootstrapServers();
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
