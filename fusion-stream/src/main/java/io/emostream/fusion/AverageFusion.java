package io.emostream.fusion;

import java.util.List;

/**
 * AVERAGE (first paper, "Averaging Method"; the baseline late fusion): the element-wise mean of the
 * aligned audio and video vectors, renormalised to sum to 1 (inputs sum to 1 only within float
 * rounding). Pure. The label is the argmax, ties going to the first canonical label ({@link
 * FusedDistribution}).
 */
public final class AverageFusion implements FusionFunction {

  @Override
  public FusedDistribution fuse(
      List<String> labels, AlignedPrediction audio, AlignedPrediction video) {
    return new FusedDistribution(
        labels, FusionFunction.mix(audio.checked(labels), 0.5, video.checked(labels), 0.5));
  }
}
