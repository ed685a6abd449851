package io.emostream.fusion;

import io.emostream.schemas.WorkerProgress;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@value FusionTopology#PROGRESS_STORE} global store: the latest {@link WorkerProgress}
 * per input partition, from the compacted progress topic (a tombstone forgets the partition).
 */
final class WorkerProgressUpdater implements Processor<String, WorkerProgress, Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerProgressUpdater.class);

  private KeyValueStore<String, WorkerProgress> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(FusionTopology.PROGRESS_STORE);
  }

  @Override
  public void process(Record<String, WorkerProgress> record) {
    if (record.key() == null) {
      // not thrown: a failure in the global thread would stop every task; such a record can only be
      // foreign
      LOG.warn(
          "ignoring a worker progress record without a key (the key must be '<input topic>/<partition>')");
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
    } else {
      store.put(record.key(), record.value());
    }
  }
}
