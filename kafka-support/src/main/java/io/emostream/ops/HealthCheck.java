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
}
