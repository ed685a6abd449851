package io.emostream.cli;

import io.emostream.kafka.KafkaClients;
import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.FusedEmotion;
import io.emostream.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
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
  public List<FusedEmotion> poll(Duration wait) {
    List<FusedEmotion> results = new ArrayList<>();
    consumer.poll(wait).forEach(record -> results.add(record.value()));
    return results;
  }

  /**
   * Waits for the results of an ingest still running: every result whose clip id is in {@code
   * clipIds} (which may grow while it waits) or whose source id is in {@code sourceIds} is handed
   * to {@code onResult} as it arrives, also before the ingest that publishes it has returned. Ends
   * once {@code ingestDone} says so and every clip id in {@code clipIds} has a result, or once
   * {@code timeout} has passed after the ingest ended without a new one; returns what arrived.
   */
  public Map<String, FusedEmotion> awaitWhileIngesting(
      Set<String> clipIds,
      Set<String> sourceIds,
      BooleanSupplier ingestDone,
      Duration timeout,
      Consumer<FusedEmotion> onResult) {
    Map<String, FusedEmotion> seen = new LinkedHashMap<>();
    Map<String, FusedEmotion> results = new LinkedHashMap<>();
    Instant deadline = null;
    while (deadline == null || Instant.now().isBefore(deadline)) {
      boolean done = ingestDone.getAsBoolean();
      for (ConsumerRecord<String, FusedEmotion> record : consumer.poll(Duration.ofMillis(200))) {
        seen.putIfAbsent(record.key(), record.value());
      }
      boolean progress = false;
      for (Map.Entry<String, FusedEmotion> e : seen.entrySet()) {
        if (!results.containsKey(e.getKey())
            && (clipIds.contains(e.getKey())
                || sourceIds.contains(String.valueOf(e.getValue().getSourceId())))) {
          results.put(e.getKey(), e.getValue());
          onResult.accept(e.getValue());
          progress = true;
        }
      }
      if (done && results.keySet().containsAll(clipIds)) {
        break;
      }
      if (done && (deadline == null || progress)) {
        deadline = Instant.now().plus(timeout);
      }
    }
    return results;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
