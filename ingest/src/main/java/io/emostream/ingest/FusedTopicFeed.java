package io.emostream.ingest;

import io.emostream.kafka.KafkaClients;
import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.FusedEmotion;
import io.emostream.topics.Topics;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the fused topic ({@code read_committed}, every partition, from its end when created, no
 * consumer group offsets) into a {@link FusedSegmentStore}, on its own thread. A record that cannot
 * be decoded is logged with its topic, partition and offset and skipped (the topic's own consumers
 * decide about it; this view only shows results). {@link #close} wakes the consumer, which ends the
 * loop and closes it.
 */
public final class FusedTopicFeed implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FusedTopicFeed.class);

  /** Polls that may fail in a row (a broker away for a while) before the feed gives up. */
  static final int MAX_FAILURES_IN_A_ROW = 30;

  private final KafkaConsumer<String, FusedEmotion> consumer;
  private final FusedSegmentStore store;
  private final Thread thread;

  public FusedTopicFeed(KafkaSettings kafka, Topics topics, FusedSegmentStore store) {
    this.store = store;
    consumer = KafkaClients.readerFromEnd(kafka, "emostream-results-", topics.fused());
    thread = new Thread(this, "fused-results-feed");
    thread.setDaemon(true);
  }

  /** Starts reading on the feed's own thread. */
  public FusedTopicFeed start() {
    thread.start();
    return this;
  }

  @Override
  public void run() {
    int failuresInARow = 0;
    try {
      while (true) {
        try {
          for (ConsumerRecord<String, FusedEmotion> record : consumer.poll(Duration.ofSeconds(1))) {
            if (record.value() != null) {
              store.add(record.value());
            }
          }
          failuresInARow = 0;
        } catch (RecordDeserializationException e) {
          LOG.warn(
              "skipping an undecodable fused record at {} offset {}",
              e.topicPartition(),
              e.offset(),
              e);
          consumer.seek(e.topicPartition(), e.offset() + 1);
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          if (++failuresInARow >= MAX_FAILURES_IN_A_ROW) {
            LOG.error(
                "the fused results feed stopped after {} failed polls in a row; GET /sources answers what it "
                    + "had",
                failuresInARow,
                e);
            return;
          }
          LOG.warn("reading the fused topic failed ({} in a row); trying again", failuresInARow, e);
        }
      }
    } catch (WakeupException e) {
      // close(): the loop ends
    } finally {
      consumer.close();
    }
  }

  /** Wakes the consumer and waits for the loop to close it. */
  @Override
  public void close() {
    consumer.wakeup();
    if (thread.isAlive()) {
      try {
        thread.join(Duration.ofSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else if (thread.getState() == Thread.State.NEW) {
      consumer.close();
    }
  }
}
