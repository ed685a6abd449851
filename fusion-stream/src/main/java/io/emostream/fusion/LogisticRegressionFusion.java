package io.emostream.fusion;

import java.util.List;

/**
 * LOGISTIC_REGRESSION (second paper, section 3.4): the stacking fusion of a {@link
 * LogisticRegressionModel} trained on labelled predictions. Pure. Without a configured model
 * ({@code EMOSTREAM_FUSION_LR_MODEL}) the rule fails with a message naming the variable and the
 * command that trains one.
 */
public final class LogisticRegressionFusion implements FusionFunction {

  private final LogisticRegressionModel model;

  /**
   * @param model null when none is configured
   */
  public LogisticRegressionFusion(LogisticRegressionModel model) {
    this.model = model;
  }

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    double[] a = audio.checked(labels);
    double[] v = video.checked(labels);
    if (model == null) {
      throw new IllegalArgumentException(
          "LOGISTIC_REGRESSION needs a trained model: set "
              + FusionConfig.LR_MODEL_ENV
              + " to a file written by './emostream train-fusion DIR --out FILE'");
    }
    if (!model.labels().equals(labels)) {
      throw new IllegalArgumentException(
          "the logistic-regression model was trained on labels "
              + model.labels()
              + " but fusion uses "
              + labels);
    }
    return new FusedDistribution(labels, model.predict(a, v));
  }
}
