package io.emostream.kafka;

import io.apicurio.registry.rest.client.RegistryClient;
import io.apicurio.registry.rest.client.RegistryClientFactory;
import io.apicurio.registry.rest.client.exception.RuleAlreadyExistsException;
import io.apicurio.registry.rest.client.exception.RuleViolationException;
import io.apicurio.registry.rest.v2.beans.IfExists;
import io.apicurio.registry.rest.v2.beans.Rule;
import io.apicurio.registry.types.ArtifactType;
import io.apicurio.registry.types.RuleType;
import io.emostream.schemas.RegistryAvroSerde;
import io.emostream.topics.Topics;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With a schema registry ({@value TopicsEnv#SCHEMA_REGISTRY_URL_ENV}), registers each Avro topic's
 * schema under its subject {@code <topic>-value} and gives the subject a BACKWARD compatibility
 * rule when it has no compatibility rule yet (an operator's own rule is kept): every service does
 * this at start, with the topics, so a service whose schema the rule refuses fails at start naming
 * the topic, instead of at its first record. BACKWARD: a consumer on the new schema reads records
 * written with the previous one (add a field only with a default; remove one only if it had a
 * default).
 */
public final class SchemaSubjects {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaSubjects.class);

  /** The group the serdes' TopicIdStrategy registers into. */
  static final String GROUP = "default";

  static final String COMPATIBILITY = "BACKWARD";

  private SchemaSubjects() {}

  /** The subject (Apicurio: artifact id) of a topic's values. */
  public static String subject(String topic) {
    return topic + "-value";
  }

  /** Does nothing without a registry. */
  public static void ensure(Topics topics) {
    if (topics.schemaRegistryUrl().isEmpty()) {
      return;
    }
    String url = topics.schemaRegistryUrl().get();
    RegistryClient client = RegistryClientFactory.create(url);
    int subjects = 0;
    for (Topics.Topic<?> topic : topics.all()) {
      if (topic.valueSerde() instanceof RegistryAvroSerde<?> serde) {
        ensure(client, url, subject(topic.name()), serde);
        subjects++;
      }
    }
    LOG.info("{} schema subjects registered on {}", subjects, url);
  }

  private static void ensure(
      RegistryClient client, String url, String subject, RegistryAvroSerde<?> serde) {
    byte[] schema = serde.schema().toString().getBytes(StandardCharsets.UTF_8);
    try {
      client.createArtifact(
          GROUP,
          subject,
          null,
          ArtifactType.AVRO,
          IfExists.RETURN_OR_UPDATE,
          false,
          new ByteArrayInputStream(schema));
    } catch (RuleViolationException e) {
      throw new IllegalStateException(
          "the schema registry "
              + url
              + " refuses this version's "
              + serde.type().getSimpleName()
              + " schema for subject "
              + subject
              + ": "
              + e.getMessage()
              + " (an incompatible schema change: see docs/schema-registry.md)",
          e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "could not register subject "
              + subject
              + " with the schema registry "
              + url
              + " ("
              + TopicsEnv.SCHEMA_REGISTRY_URL_ENV
              + "): "
              + e,
          e);
    }
    if (!client.listArtifactRules(GROUP, subject).contains(RuleType.COMPATIBILITY)) {
      try {
        Rule rule = new Rule();
        rule.setType(RuleType.COMPATIBILITY);
        rule.setConfig(COMPATIBILITY);
        client.createArtifactRule(GROUP, subject, rule);
      } catch (RuleAlreadyExistsException raced) {
        // another service starting at the same time set it
      }
    }
  }
}
