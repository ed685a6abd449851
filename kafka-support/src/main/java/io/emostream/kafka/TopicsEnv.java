package io.emostream.kafka;

import io.emostream.topics.Topics;

/** The topic set every service uses: EMOSTREAM_TOPIC_PREFIX (default {@value Topics#DEFAULT_PREFIX}) and EMOSTREAM_TOPIC_PARTITIONS (default 6). */
public final class TopicsEnv {

  private TopicsEnv() {
  }

  public static Topics fromEnv(Env env) {
    return new Topics(env.string("EMOSTREAM_TOPIC_PREFIX", Topics.DEFAULT_PREFIX),
        env.integer("EMOSTREAM_TOPIC_PARTITIONS", Topics.DEFAULT_PARTITIONS, 1, 10_000));
  }

  /** EMOSTREAM_TOPIC_REPLICATION (default 1): replication factor of topics the services create. */
  public static short replication(Env env) {
    return (short) env.integer("EMOSTREAM_TOPIC_REPLICATION", 1, 1, 32);
  }
}
