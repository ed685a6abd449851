package io.emostream.fusion;

import java.util.List;

/**
 * One late-fusion rule. Pure. In: the canonical labels and the aligned vectors (see {@link LabelAligner}) of the
 * usable predictions of one clip, at least one. Out: the fused distribution over the canonical labels.
 */
@FunctionalInterface
public interface FusionFunction {

  FusedDistribution fuse(List<String> labels, List<double[]> aligned);
}
