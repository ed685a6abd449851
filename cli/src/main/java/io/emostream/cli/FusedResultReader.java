package io.emostream.cli;

import io.emostream.kafka.KafkaClients;
import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.FusedEmotion;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Reads the fused-result topic like any analytics consumer would ({@code read_committed}), from the
 * current end of every partition, and collects the results of the clips it is asked to wait for.
 * Open it <em>before</em> ingesting so no result can slip past.
 */
public final class FusedResultReader implements AutoCloseable {

  private final KafkaConsumer<String, FusedEmotion> consumer;

  public FusedResultReader(KafkaSettings kafka, Topics topics) {
    consumer =
        KafkaClients.readerFromEnd(
            kafka, "emostream-cli-", topics.fused()); // before anything is ingested
  }

  /**
   * Waits until every clip id has a result, or until {@code timeout} passes without a new one
   * (fusion waits for workers that are behind, so a long backlog keeps results coming, just later);
   * returns what arrived, keyed by clip id.
   */
  public Map<String, FusedEmotion> await(
      Set<String> clipIds, Duration timeout, Runnable onProgress) {
    return await(clipIds, timeout, (Consumer<FusedEmotion>) segment -> onProgress.run());
  }

  /**
   * As {@link #await(Set, Duration, Runnable)}, handing each awaited result to {@code onResult} as
   * it arrives.
   */
  public Map<String, FusedEmotion> await(
      Set<String> clipIds, Duration timeout, Consumer<FusedEmotion> onResult) {
    Map<String, FusedEmotion> results = new LinkedHashMap<>();
    Instant deadline = Instant.now().plus(timeout);
    while (results.size() < clipIds.size() && Instant.now().isBefore(deadline)) {
      for (ConsumerRecord<String, FusedEmotion> record : consumer.poll(Duration.ofMillis(200))) {
        if (clipIds.contains(record.key())
            && results.putIfAbsent(record.key(), record.value()) == null) {
          deadline = Instant.now().plus(timeout);
          onResult.accept(record.value());
        }
      }
    }
    return results;
  }

  /** The results that arrive within {@code wait}, in the order read. */
  public java.util.List<FusedEmotion> poll(Duration wait) {
    java.util.List<FusedEmotion> results = new java.util.ArrayList<>();
    consumer.poll(wait).forEach(record -> results.add(record.value()));
    return results;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
