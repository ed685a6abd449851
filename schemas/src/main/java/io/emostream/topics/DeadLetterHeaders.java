package io.emostream.topics;

/** Header names on a dead-letter record: why it failed and where it came from. */
public final class DeadLetterHeaders {
  public static final String REASON = "emostream.dlq.reason";
  public static final String ERROR_CLASS = "emostream.dlq.error.class";
  public static final String SOURCE_TOPIC = "emostream.dlq.source.topic";
  public static final String SOURCE_PARTITION = "emostream.dlq.source.partition";
  public static final String SOURCE_OFFSET = "emostream.dlq.source.offset";
  public static final String SERVICE = "emostream.dlq.service";

  private DeadLetterHeaders() {}
}
