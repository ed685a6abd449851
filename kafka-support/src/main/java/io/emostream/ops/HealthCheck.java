package io.emostream.ops;

/**
 * What a component says about itself. Live: it is not broken beyond repair (a failed liveness probe
 * restarts the process). Ready: it is doing its work (consuming, serving), so traffic or a rollout
 * may proceed.
 */
public interface HealthCheck {

  String name();

  boolean isLive();

  boolean isReady();

  /**
   * Whether it ended by itself, broken for good, with no stop asked for: its process should exit so
   * that its supervisor restarts it ({@link ServiceRunner#run}). By default, not live.
   */
  default boolean failed() {
    return !isLive();
  }
}
