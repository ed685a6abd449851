package io.emostream.fusion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.schemas.FusionRule;
import io.emostream.topics.Topics;

/**
 * Typed, immutable settings of fusion-stream. In: environment variables ({@code EMOSTREAM_FUSION_*},
 * {@code EMOSTREAM_LABELS}, {@code EMOSTREAM_TOPIC_*}, and every {@code KAFKA_*} through
 * {@link KafkaSettings}). Out: the values the topology and the Streams client are built from.
 *
 * @param applicationId     Streams application id: consumer group, transactional id and state prefix
 * @param defaultRule       fusion rule for clips whose manifest asks for none
 * @param timeout           how long after its first record a clip is fused with whatever has arrived
 * @param punctuateInterval how often (wall clock) pending clips are checked against the timeout
 * @param doneRetention     how long the marker of a fused clip is kept to recognise late predictions
 * @param labels            canonical emotion labels, in output order (lower case, distinct)
 * @param topics            topic catalogue (prefix and partition count)
 * @param kafka             Kafka client settings
 */
public record FusionConfig(String applicationId, FusionRule defaultRule, Duration timeout, Duration punctuateInterval,
    Duration doneRetention, List<String> labels, Topics topics, KafkaSettings kafka) {

  public static final String APP_ID_ENV = "EMOSTREAM_FUSION_APP_ID";
  public static final String RULE_ENV = "EMOSTREAM_FUSION_RULE";
  public static final String TIMEOUT_ENV = "EMOSTREAM_FUSION_TIMEOUT";
  public static final String PUNCTUATE_INTERVAL_ENV = "EMOSTREAM_FUSION_PUNCTUATE_INTERVAL";
  public static final String DONE_RETENTION_ENV = "EMOSTREAM_FUSION_DONE_RETENTION";
  public static final String LABELS_ENV = "EMOSTREAM_LABELS";

  public static final String DEFAULT_APP_ID = "emostream-fusion";
  public static final FusionRule DEFAULT_RULE = FusionRule.AVERAGE;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_DONE_RETENTION = Duration.ofMinutes(10);
  /** The RAVDESS emotions, in the dataset's order. */
  public static final List<String> DEFAULT_LABELS =
      List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");

  public FusionConfig {
    requireText(applicationId, "application id");
    Objects.requireNonNull(defaultRule, "defaultRule");
    requirePositive(timeout, TIMEOUT_ENV);
    requirePositive(punctuateInterval, PUNCTUATE_INTERVAL_ENV);
    requirePositive(doneRetention, DONE_RETENTION_ENV);
    labels = normaliseLabels(labels);
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(kafka, "kafka");
  }

  /** Reads every setting from {@code env}; a malformed value fails here, naming the variable. */
  public static FusionConfig fromEnv(Env env) {
    return new FusionConfig(
        env.string(APP_ID_ENV, DEFAULT_APP_ID),
        env.enumValue(RULE_ENV, FusionRule.class, DEFAULT_RULE),
        env.duration(TIMEOUT_ENV, DEFAULT_TIMEOUT),
        env.duration(PUNCTUATE_INTERVAL_ENV, DEFAULT_PUNCTUATE_INTERVAL),
        env.duration(DONE_RETENTION_ENV, DEFAULT_DONE_RETENTION),
        env.optional(LABELS_ENV).map(FusionConfig::parseLabels).orElse(DEFAULT_LABELS),
        TopicsEnv.fromEnv(env),
        KafkaSettings.fromEnv(env));
  }

  /** For tests and embedded use: every default except the topics and the broker. */
  public static FusionConfig of(String applicationId, Topics topics, KafkaSettings kafka) {
    return of(applicationId, DEFAULT_RULE, DEFAULT_TIMEOUT, DEFAULT_PUNCTUATE_INTERVAL, DEFAULT_DONE_RETENTION,
        DEFAULT_LABELS, topics, kafka);
  }

  /** For tests and embedded use: explicit values, validated like {@link #fromEnv}. */
  public static FusionConfig of(String applicationId, FusionRule defaultRule, Duration timeout,
      Duration punctuateInterval, Duration doneRetention, List<String> labels, Topics topics, KafkaSettings kafka) {
    return new FusionConfig(applicationId, defaultRule, timeout, punctuateInterval, doneRetention, labels, topics,
        kafka);
  }

  /** The same settings on another cluster and topic set (the embedded platform's broker). */
  public FusionConfig withKafka(KafkaSettings newKafka, Topics newTopics) {
    return new FusionConfig(applicationId, defaultRule, timeout, punctuateInterval, doneRetention, labels, newTopics,
        newKafka);
  }

  static List<String> parseLabels(String commaList) {
    return Arrays.stream(commaList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static List<String> normaliseLabels(List<String> labels) {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException(LABELS_ENV + " must name at least one label, e.g. " + String.join(",", DEFAULT_LABELS));
    }
    List<String> out = new ArrayList<>(labels.size());
    Set<String> seen = new HashSet<>();
    for (String label : labels) {
      String l = label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
      if (l.isEmpty() || !seen.add(l)) {
        throw new IllegalArgumentException(LABELS_ENV + " must be distinct non-empty labels, got " + labels);
      }
      out.add(l);
    }
    return List.copyOf(out);
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }

  private static void requirePositive(Duration value, String variable) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(variable + " must be a positive duration such as 500ms, 30s or 2m, got " + value);
    }
  }

  /** Settings without the Kafka client properties, which may hold secrets. */
  @Override
  public String toString() {
    return "FusionConfig[applicationId=" + applicationId + ", defaultRule=" + defaultRule + ", timeout=" + timeout
        + ", punctuateInterval=" + punctuateInterval + ", doneRetention=" + doneRetention + ", labels=" + labels
        + ", topicPrefix=" + topics.prefix() + ", bootstrap=" + kafka.bootstrapServers() + "]";
  }
}
