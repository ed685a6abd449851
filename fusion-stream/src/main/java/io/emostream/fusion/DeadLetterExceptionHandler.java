package io.emostream.fusion;

import io.emostream.kafka.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deserialization and processing exception handler of fusion-stream. In: a record Streams could not
 * decode or process, with the failure. Out: the raw source record, byte for byte, for the
 * dead-letter topic (named by {@value StreamsConfig#ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG})
 * with {@link io.emostream.topics.DeadLetterHeaders} (the same headers the workers write), produced
 * by Streams in the task's transaction; then processing resumes.
 *
 * <p>Policy: every deserialization failure, and every processing failure caused by the record
 * itself ({@link IllegalArgumentException}, {@link SerializationException}), is dead-lettered and
 * skipped, so a poison record never stops a partition. Any other processing failure (a state store
 * error, a bug) fails the task, so the record is retried from the last commit by a replacement
 * thread instead of being lost. A failure in a punctuator has no source record: it is logged, and
 * Streams resumes. A poison record of the global store's topic ({@code workers.progress}) is logged
 * and skipped, not dead-lettered: Streams cannot produce from its global thread.
 */
public final class DeadLetterExceptionHandler
    implements DeserializationExceptionHandler, ProcessingExceptionHandler {

  public static final String SERVICE = "fusion-stream";
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);

  private String deadLetterTopic;

  @Override
  public void configure(Map<String, ?> configs) {
    Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    this.deadLetterTopic = topic == null || topic.toString().isBlank() ? null : topic.toString();
  }

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (isGlobal(context)) {
      LOG.error(
          "cannot deserialize record {}-{}@{} (key {}) of a global store's topic; skipped (a global"
              + " store's thread cannot write to {}; the record stays on its topic)",
          record.topic(),
          record.partition(),
          record.offset(),
          text(record.key()),
          deadLetterTopic,
          exception);
      return DeserializationExceptionHandler.Response.resume();
    }
    LOG.error(
        "cannot deserialize record {}-{}@{} (clip {}); sending it to {}",
        record.topic(),
        record.partition(),
        record.offset(),
        text(record.key()),
        deadLetterTopic,
        exception);
    return DeserializationExceptionHandler.Response.resume(deadLetters(context, exception));
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (context.topic() == null) {
      LOG.error(
          "punctuation in task {} (processor {}) failed; resuming",
          context.taskId(),
          context.processorNodeId(),
          exception);
      return ProcessingExceptionHandler.Response.resume();
    }
    if (isGlobal(context) && isCausedByRecord(exception)) {
      LOG.error(
          "cannot process record {}-{}@{} of a global store's topic; skipped (a global store's"
              + " thread cannot write to {})",
          context.topic(),
          context.partition(),
          context.offset(),
          deadLetterTopic,
          exception);
      return ProcessingExceptionHandler.Response.resume();
    }
    if (!isCausedByRecord(exception)) {
      LOG.error(
          "processing record {}-{}@{} (clip {}) failed; failing the task so it is retried",
          context.topic(),
          context.partition(),
          context.offset(),
          record == null ? null : record.key(),
          exception);
      return ProcessingExceptionHandler.Response.fail();
    }
    LOG.error(
        "cannot process record {}-{}@{} (clip {}); sending it to {}",
        context.topic(),
        context.partition(),
        context.offset(),
        record == null ? null : record.key(),
        deadLetterTopic,
        exception);
    return ProcessingExceptionHandler.Response.resume(deadLetters(context, exception));
  }

  /**
   * Whether the record was read by the global stream thread (fusion's {@code worker-progress}
   * store): Streams runs it under task id {@code -1_-1} and cannot produce a handler's dead letters
   * there (it casts the global context to a task's and the global thread dies, for good on a
   * compacted topic: issue found by a poison record on {@code workers.progress}).
   */
  static boolean isGlobal(ErrorHandlerContext context) {
    TaskId task = context.taskId();
    return task != null && task.subtopology() < 0;
  }

  static boolean isCausedByRecord(Exception exception) {
    return exception instanceof IllegalArgumentException
        || exception instanceof SerializationException;
  }

  private List<ProducerRecord<byte[], byte[]>> deadLetters(
      ErrorHandlerContext context, Exception exception) {
    if (deadLetterTopic == null) {
      LOG.warn(
          "no dead-letter topic configured ({}); the record is skipped",
          StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
      return List.of();
    }
    return List.of(deadLetter(deadLetterTopic, context, exception));
  }

  /**
   * The raw source record with the original headers plus {@link
   * io.emostream.topics.DeadLetterHeaders}.
   */
  static ProducerRecord<byte[], byte[]> deadLetter(
      String topic, ErrorHandlerContext context, Exception exception) {
    Headers headers = new RecordHeaders();
    if (context.headers() != null) {
      context.headers().forEach(headers::add);
    }
    DeadLetters.describe(
        headers, SERVICE, exception, context.topic(), context.partition(), context.offset());
    return new ProducerRecord<>(
        topic, null, context.sourceRawKey(), context.sourceRawValue(), headers);
  }

  private static String text(byte[] key) {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }
}
