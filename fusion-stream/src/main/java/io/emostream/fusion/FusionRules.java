package io.emostream.fusion;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.Modality;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fusion function of each {@link FusionRule} symbol, built from the rule settings of {@link
 * FusionConfig}. Pure. The switch is exhaustive, so adding a symbol to the schema fails the build
 * here until the rule exists.
 *
 * <p>One usable modality: no rule fuses it; {@link #single} returns that modality's aligned
 * distribution (renormalised), whatever rule the clip asked for, and the fused status says
 * AUDIO_ONLY or VIDEO_ONLY.
 */
public final class FusionRules {

  /** The settings the rules read. */
  public record Settings(
      Map<String, Double> weights,
      double threshold,
      Modality preferred,
      LogisticRegressionModel logisticRegression) {

    public static Settings defaults() {
      return new Settings(
          FusionConfig.DEFAULT_WEIGHTS,
          FusionConfig.DEFAULT_THRESHOLD,
          FusionConfig.DEFAULT_PREFERRED,
          null);
    }
  }

  private final Map<FusionRule, FusionFunction> functions = new EnumMap<>(FusionRule.class);

  public FusionRules(Settings settings) {
    for (FusionRule rule : FusionRule.values()) {
      functions.put(rule, build(rule, settings));
    }
  }

  private static FusionFunction build(FusionRule rule, Settings s) {
    return switch (rule) {
      case AVERAGE -> new AverageFusion();
      case WEIGHTED_AVERAGE -> new WeightedAverageFusion(s.weights());
      case CONFIDENCE_THRESHOLD -> new ConfidenceThresholdFusion(s.threshold(), s.preferred());
      case DYNAMIC_CONFIDENCE -> new DynamicConfidenceFusion();
      case RULE_BASED -> new RuleBasedFusion(s.preferred());
      case LOGISTIC_REGRESSION -> new LogisticRegressionFusion(s.logisticRegression());
    };
  }

  public FusionFunction forRule(FusionRule rule) {
    return functions.get(rule);
  }

  /** The result of a clip with one usable prediction: its aligned distribution, renormalised. */
  public static FusedDistribution single(List<String> labels, AlignedPrediction only) {
    double[] p = only.checked(labels);
    return new FusedDistribution(labels, FusionFunction.mix(p, 1, p, 0));
  }

  /**
   * Parses a rule name as users type it ({@code rule-based}, {@code Weighted_Average}); the error
   * lists all.
   */
  public static FusionRule parse(String raw) {
    String name = raw == null ? "" : raw.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (FusionRule rule : FusionRule.values()) {
      if (rule.name().equals(name)) {
        return rule;
      }
    }
    throw new IllegalArgumentException(
        "unknown fusion rule '" + raw + "'; accepted: " + Arrays.toString(FusionRule.values()));
  }
}
