package io.emostream.fusion;

import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.kafka.TopicsEnv;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import io.emostream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Typed, immutable settings of fusion-stream. In: environment variables ({@code
 * EMOSTREAM_FUSION_*}, {@code EMOSTREAM_LABELS}, {@code EMOSTREAM_TOPIC_*}, and every {@code
 * KAFKA_*} through {@link KafkaSettings}). Out: the values the topology and the Streams client are
 * built from.
 *
 * @param applicationId Streams application id: consumer group, transactional id and state prefix
 * @param defaultRule fusion rule for clips whose manifest asks for none
 * @param timeout how long after its first record a clip is fused with whatever has arrived, unless
 *     a missing modality's worker is alive and behind the clip (then it waits longer); also how
 *     long a worker may be silent before it counts as gone
 * @param punctuateInterval how often (wall clock) pending clips are checked against the timeout
 * @param doneRetention how long the marker of a fused clip is kept to recognise late predictions
 * @param maxWait the hard cap: a clip is fused with what arrived this long after its first record,
 *     however busy its workers are
 * @param labels canonical emotion labels, in output order (lower case, distinct)
 * @param rules settings of the rules: per-model weights, threshold, preferred modality, LR model
 * @param emitAllRules also publish every rule's result for each clip to the all-rules topic
 * @param emitJson also publish each fused record as JSON ({@code FusedSegmentJson}) to the fused
 *     JSON topic, in the same transaction
 * @param summary settings of the per-source summary ({@code EMOSTREAM_FUSION_SUMMARY_*})
 * @param topics topic catalogue (prefix and partition count)
 * @param kafka Kafka client settings
 *     <p>Over 300 lines: one field, environment variable and default per fusion setting, declared
 *     together next to the record as the service kit asks.
 */
public record FusionConfig(
    String applicationId,
    FusionRule defaultRule,
    Duration timeout,
    Duration punctuateInterval,
    Duration doneRetention,
    Duration maxWait,
    List<String> labels,
    FusionRules.Settings rules,
    boolean emitAllRules,
    boolean emitJson,
    SummarySettings summary,
    Topics topics,
    KafkaSettings kafka) {

  public static final String APP_ID_ENV = "EMOSTREAM_FUSION_APP_ID";
  public static final String RULE_ENV = "EMOSTREAM_FUSION_RULE";
  public static final String TIMEOUT_ENV = "EMOSTREAM_FUSION_TIMEOUT";
  public static final String PUNCTUATE_INTERVAL_ENV = "EMOSTREAM_FUSION_PUNCTUATE_INTERVAL";
  public static final String DONE_RETENTION_ENV = "EMOSTREAM_FUSION_DONE_RETENTION";
  public static final String MAX_WAIT_ENV = "EMOSTREAM_FUSION_MAX_WAIT";
  public static final String LABELS_ENV = "EMOSTREAM_LABELS";
  public static final String WEIGHTS_ENV = "EMOSTREAM_FUSION_WEIGHTS";
  public static final String THRESHOLD_ENV = "EMOSTREAM_FUSION_THRESHOLD";
  public static final String PREFERRED_ENV = "EMOSTREAM_FUSION_PREFERRED_MODALITY";
  public static final String LR_MODEL_ENV = "EMOSTREAM_FUSION_LR_MODEL";
  public static final String EMIT_ALL_RULES_ENV = "EMOSTREAM_FUSION_EMIT_ALL_RULES";

  /**
   * Off by default: the JSON view doubles what fusion writes per clip and is derived from the fused
   * topic, so it is written only where a consumer without the {@code .avsc} files (kcat | jq, a
   * Connect JsonConverter sink) reads it.
   */
  public static final String EMIT_JSON_ENV = "EMOSTREAM_FUSION_EMIT_JSON";

  public static final String DEFAULT_APP_ID = "emostream-fusion";
  public static final FusionRule DEFAULT_RULE = FusionRule.AVERAGE;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_DONE_RETENTION = Duration.ofMinutes(10);

  /**
   * Long enough for a long video's backlog on a CPU worker, short enough that nothing waits for
   * ever.
   */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofMinutes(30);

  /**
   * WEIGHTED_AVERAGE weights of the shipped models, by model name: the speech models'
   * speaker-independent CV accuracy on RAVDESS (v7, the default, v3's recipe with the speech
   * embedding's tail tuned and v5 averaged: 66.76 %; v6, v3 and v5 averaged: 66.02 %; v3: 65.19 %;
   * v5, the option for other corpora: 58.15 %; v2: 60.93 %; v1: 57.39 %; their model cards) and the
   * face models' reported accuracies (mini-XCEPTION 66 % on FER2013, MobileFaceNet 88.27 % on
   * RAF-DB; their model cards; other data sets, so only rough priors on RAVDESS).
   */
  public static final Map<String, Double> DEFAULT_WEIGHTS =
      Map.of(
          "speech-emotion-v7",
          0.6676,
          "speech-emotion-v6",
          0.6602,
          "speech-emotion-v3",
          0.6519,
          "speech-emotion-v5",
          0.5815,
          "speech-emotion-v2",
          0.6093,
          "speech-emotion-ravdess",
          0.5739,
          "fer-mini-xception",
          0.66,
          "fer-mobilefacenet",
          0.8827);

  /** The first paper's threshold on the video model's top probability. */
  public static final double DEFAULT_THRESHOLD = 0.7;

  /** The first paper prefers the video model (its more accurate one). */
  public static final Modality DEFAULT_PREFERRED = Modality.VIDEO;

  /** The RAVDESS emotions, in the dataset's order. */
  public static final List<String> DEFAULT_LABELS =
      List.of("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised");

  public FusionConfig {
    requireText(applicationId, "application id");
    Objects.requireNonNull(defaultRule, "defaultRule");
    requirePositive(timeout, TIMEOUT_ENV);
    requirePositive(punctuateInterval, PUNCTUATE_INTERVAL_ENV);
    requirePositive(doneRetention, DONE_RETENTION_ENV);
    requirePositive(maxWait, MAX_WAIT_ENV);
    if (maxWait.compareTo(timeout) < 0) {
      throw new IllegalArgumentException(
          MAX_WAIT_ENV
              + " ("
              + maxWait
              + ") must not be shorter than "
              + TIMEOUT_ENV
              + " ("
              + timeout
              + ")");
    }
    labels = normaliseLabels(labels);
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(summary, "summary");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(kafka, "kafka");
  }

  /** Reads every setting from {@code env}; a malformed value fails here, naming the variable. */
  public static FusionConfig fromEnv(Env env) {
    Duration maxWait = env.duration(MAX_WAIT_ENV, DEFAULT_MAX_WAIT);
    return new FusionConfig(
        env.string(APP_ID_ENV, DEFAULT_APP_ID),
        env.enumValue(RULE_ENV, FusionRule.class, DEFAULT_RULE),
        env.duration(TIMEOUT_ENV, DEFAULT_TIMEOUT),
        env.duration(PUNCTUATE_INTERVAL_ENV, DEFAULT_PUNCTUATE_INTERVAL),
        env.duration(DONE_RETENTION_ENV, DEFAULT_DONE_RETENTION),
        maxWait,
        labelsFromEnv(env),
        new FusionRules.Settings(
            env.optional(WEIGHTS_ENV).map(FusionConfig::parseWeights).orElse(DEFAULT_WEIGHTS),
            env.decimal(THRESHOLD_ENV, DEFAULT_THRESHOLD, 0, 1),
            env.enumValue(PREFERRED_ENV, Modality.class, DEFAULT_PREFERRED),
            env.optional(LR_MODEL_ENV)
                .map(Path::of)
                .map(LogisticRegressionModel::read)
                .orElse(null)),
        env.bool(EMIT_ALL_RULES_ENV, false),
        env.bool(EMIT_JSON_ENV, false),
        SummarySettings.fromEnv(env, maxWait),
        TopicsEnv.fromEnv(env),
        KafkaSettings.fromEnv(env));
  }

  /** For tests and embedded use: every default except the topics and the broker. */
  public static FusionConfig of(String applicationId, Topics topics, KafkaSettings kafka) {
    return of(
        applicationId,
        DEFAULT_RULE,
        DEFAULT_TIMEOUT,
        DEFAULT_PUNCTUATE_INTERVAL,
        DEFAULT_DONE_RETENTION,
        DEFAULT_LABELS,
        topics,
        kafka);
  }

  /** For tests and embedded use: explicit values, validated like {@link #fromEnv}. */
  public static FusionConfig of(
      String applicationId,
      FusionRule defaultRule,
      Duration timeout,
      Duration punctuateInterval,
      Duration doneRetention,
      List<String> labels,
      Topics topics,
      KafkaSettings kafka) {
    Duration maxWait = timeout.compareTo(DEFAULT_MAX_WAIT) > 0 ? timeout : DEFAULT_MAX_WAIT;
    return new FusionConfig(
        applicationId,
        defaultRule,
        timeout,
        punctuateInterval,
        doneRetention,
        maxWait,
        labels,
        FusionRules.Settings.defaults(),
        false,
        false,
        SummarySettings.defaults(maxWait),
        topics,
        kafka);
  }

  // The with* copies below repeat the canonical constructor's argument list: a record has no
  // copy-with syntax, and a builder would be more code than it saves (alike by design).
  /** The same settings with other rule settings and all-rules switch. */
  public FusionConfig withRules(FusionRules.Settings newRules, boolean newEmitAllRules) {
    return new FusionConfig(
        applicationId,
        defaultRule,
        timeout,
        punctuateInterval,
        doneRetention,
        maxWait,
        labels,
        newRules,
        newEmitAllRules,
        emitJson,
        summary,
        topics,
        kafka);
  }

  /** The same settings with the JSON view of the fused topic switched on or off. */
  public FusionConfig withEmitJson(boolean newEmitJson) {
    return new FusionConfig(
        applicationId,
        defaultRule,
        timeout,
        punctuateInterval,
        doneRetention,
        maxWait,
        labels,
        rules,
        emitAllRules,
        newEmitJson,
        summary,
        topics,
        kafka);
  }

  /** The same settings on another cluster and topic set (the embedded platform's broker). */
  public FusionConfig withKafka(KafkaSettings newKafka, Topics newTopics) {
    return new FusionConfig(
        applicationId,
        defaultRule,
        timeout,
        punctuateInterval,
        doneRetention,
        maxWait,
        labels,
        rules,
        emitAllRules,
        emitJson,
        summary,
        newTopics,
        newKafka);
  }

  /** The same settings with another hard cap on waiting for a busy worker. */
  public FusionConfig withMaxWait(Duration newMaxWait) {
    return new FusionConfig(
        applicationId,
        defaultRule,
        timeout,
        punctuateInterval,
        doneRetention,
        newMaxWait,
        labels,
        rules,
        emitAllRules,
        emitJson,
        summary,
        topics,
        kafka);
  }

  static List<String> parseLabels(String commaList) {
    return Arrays.stream(commaList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** {@code model=weight,model=weight}; a weight must be a number > 0. */
  static Map<String, Double> parseWeights(String list) {
    Map<String, Double> weights = new LinkedHashMap<>();
    for (String entry : list.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.lastIndexOf('=');
      String model = eq < 0 ? "" : entry.substring(0, eq).trim();
      double weight;
      try {
        weight = eq < 0 ? Double.NaN : Double.parseDouble(entry.substring(eq + 1).trim());
      } catch (NumberFormatException e) {
        weight = Double.NaN;
      }
      if (model.isEmpty()
          || !(weight > 0)
          || !Double.isFinite(weight)
          || weights.put(model, weight) != null) {
        throw new IllegalArgumentException(
            WEIGHTS_ENV
                + " must be model=weight pairs with distinct model names "
                + "and weights > 0, e.g. speech-emotion-ravdess=0.57,fer-mobilefacenet=0.88; got '"
                + list
                + "'");
      }
    }
    return weights;
  }

  /** The canonical labels as configured (EMOSTREAM_LABELS, else the default eight). */
  public static List<String> labelsFromEnv(Env env) {
    return env.optional(LABELS_ENV).map(FusionConfig::parseLabels).orElse(DEFAULT_LABELS);
  }

  private static List<String> normaliseLabels(List<String> labels) {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException(
          LABELS_ENV + " must name at least one label, e.g. " + String.join(",", DEFAULT_LABELS));
    }
    List<String> out = new ArrayList<>(labels.size());
    Set<String> seen = new HashSet<>();
    for (String label : labels) {
      String l = label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
      if (l.isEmpty() || !seen.add(l)) {
        throw new IllegalArgumentException(
            LABELS_ENV + " must be distinct non-empty labels, got " + labels);
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
      throw new IllegalArgumentException(
          variable + " must be a positive duration such as 500ms, 30s or 2m, got " + value);
    }
  }

  /** Settings without the Kafka client properties, which may hold secrets. */
  @Override
  public String toString() {
    return "FusionConfig[applicationId="
        + applicationId
        + ", defaultRule="
        + defaultRule
        + ", timeout="
        + timeout
        + ", punctuateInterval="
        + punctuateInterval
        + ", doneRetention="
        + doneRetention
        + ", maxWait="
        + maxWait
        + ", labels="
        + labels
        + ", emitAllRules="
        + emitAllRules
        + ", emitJson="
        + emitJson
        + ", summary="
        + summary
        + ", topicPrefix="
        + topics.prefix()
        + ", bootstrap="
        + kafka.bootstrapServers()
        + "]";
  }
}
