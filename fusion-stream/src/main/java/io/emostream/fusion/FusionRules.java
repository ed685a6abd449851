package io.emostream.fusion;

import io.emostream.schemas.FusionRule;

/**
 * The fusion function for each {@link FusionRule} symbol. Pure. The switch is exhaustive, so adding a symbol to
 * the schema fails the build here until the rule is implemented.
 */
public final class FusionRules {

  private static final FusionFunction AVERAGE = new AverageFusion();

  private FusionRules() {
  }

  public static FusionFunction forRule(FusionRule rule) {
    return switch (rule) {
      case AVERAGE -> AVERAGE;
    };
  }
}
