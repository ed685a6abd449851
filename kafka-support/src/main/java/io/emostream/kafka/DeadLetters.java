package io.emostream.kafka;

import io.emostream.topics.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * Builds dead-letter records: the original key and value byte for byte, with why and where in
 * headers.
 */
public final class DeadLetters {

  private DeadLetters() {}

  public static ProducerRecord<String, byte[]> of(
      String deadLetterTopic,
      String service,
      ConsumerRecord<String, byte[]> failed,
      Throwable error) {
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(deadLetterTopic, failed.key(), failed.value());
    failed.headers().forEach(record.headers()::add);
    describe(record.headers(), service, error, failed.topic(), failed.partition(), failed.offset());
    return record;
  }

  /**
   * Adds (replacing earlier values) the reason, the error class, the source coordinates and the
   * service.
   */
  public static Headers describe(
      Headers headers, String service, Throwable error, String topic, int partition, long offset) {
    put(headers, DeadLetterHeaders.REASON, reason(error));
    put(headers, DeadLetterHeaders.ERROR_CLASS, error.getClass().getName());
    put(headers, DeadLetterHeaders.SOURCE_TOPIC, String.valueOf(topic));
    put(headers, DeadLetterHeaders.SOURCE_PARTITION, Integer.toString(partition));
    put(headers, DeadLetterHeaders.SOURCE_OFFSET, Long.toString(offset));
    put(headers, DeadLetterHeaders.SERVICE, service);
    return headers;
  }

  static String reason(Throwable error) {
    String message = error.getMessage();
    return message == null ? error.getClass().getSimpleName() : message;
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
