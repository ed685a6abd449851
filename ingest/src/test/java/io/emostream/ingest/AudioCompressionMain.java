package io.emostream.ingest;

import io.emostream.schemas.AudioSegment;
import io.emostream.topics.Topics;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Measures what producer compression would do to the audio topic's records: raw 16 kHz mono PCM
 * (s16le, as ingest publishes it) cut into 4 s clips, each wrapped in its {@link AudioSegment}
 * record exactly as {@link ClipPublisher#records} writes it, then each compressed as a batch of its
 * own (one clip's audio record per transaction, hence per batch) with every codec Kafka has. Prints
 * the size ratio and the CPU time per clip to compress and to decompress. Not a test (no timing
 * belongs in one); run it by hand, e.g.
 *
 * <pre>
 * ffmpeg -f concat -safe 0 -i list.txt -ac 1 -ar 16000 -f s16le speech.pcm
 * mvn -q -o -pl ingest -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp ingest/target/test-classes:ingest/target/classes:$(cat ingest/target/cp.txt) \
 *     io.emostream.ingest.AudioCompressionMain speech.pcm 5
 * </pre>
 */
public final class AudioCompressionMain {

  private static final int CLIP_BYTES = 4 * VideoDemuxer.SAMPLE_RATE * 2;

  private AudioCompressionMain() {}

  public static void main(String[] args) throws IOException {
    byte[] pcm = Files.readAllBytes(Path.of(args[0]));
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Topics topics = Topics.defaults();
    List<byte[]> values = new ArrayList<>();
    for (int at = 0; at + CLIP_BYTES <= pcm.length; at += CLIP_BYTES) {
      byte[] clip = Arrays.copyOfRange(pcm, at, at + CLIP_BYTES);
      String clipId = "clip-" + values.size();
      AudioSegment audio =
          new AudioSegment(clipId, VideoDemuxer.SAMPLE_RATE, 1, ByteBuffer.wrap(clip), at / 32L);
      ProducerRecord<String, byte[]> record = topics.audio().record(clipId, audio);
      values.add(record.value());
    }
    System.out.printf(
        Locale.ROOT,
        "%d clips of 4 s, %d B per audio record%n",
        values.size(),
        values.get(0).length);
    long none = measure("none", Compression.NONE, values, rounds, 0);
    measure("gzip", Compression.gzip().build(), values, rounds, none);
    measure("snappy", Compression.snappy().build(), values, rounds, none);
    measure("lz4", Compression.lz4().build(), values, rounds, none);
    measure("zstd (3)", Compression.zstd().build(), values, rounds, none);
    measure("zstd (1)", Compression.zstd().level(1).build(), values, rounds, none);
  }

  /** Prints one codec's figures; its bytes per clip. */
  private static long measure(
      String name, Compression compression, List<byte[]> values, int rounds, long none) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long bytes = 0;
    long raw = 0;
    long compressNs = Long.MAX_VALUE;
    long decompressNs = Long.MAX_VALUE;
    for (int round = 0; round <= rounds; round++) { // round 0 warms up
      List<MemoryRecords> batches = new ArrayList<>(values.size());
      long t0 = threads.getCurrentThreadCpuTime();
      for (byte[] value : values) {
        batches.add(
            MemoryRecords.withRecords(
                compression, new SimpleRecord(Instant.now().toEpochMilli(), null, value)));
      }
      long t1 = threads.getCurrentThreadCpuTime();
      long readBack = 0;
      for (MemoryRecords batch : batches) {
        for (RecordBatch b : batch.batches()) {
          try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
              readBack += it.next().valueSize();
            }
          }
        }
      }
      long t2 = threads.getCurrentThreadCpuTime();
      if (round > 0) {
        compressNs = Math.min(compressNs, t1 - t0);
        decompressNs = Math.min(decompressNs, t2 - t1);
      }
      bytes = batches.stream().mapToLong(MemoryRecords::sizeInBytes).sum();
      raw = readBack;
    }
    long perClip = bytes / values.size();
    if (raw != values.stream().mapToLong(v -> v.length).sum()) {
      throw new IllegalStateException(name + ": read back " + raw + " value bytes");
    }
    System.out.printf(
        Locale.ROOT,
        "%-9s %,9d B/clip  size %5.1f %%  compress %6.3f CPU ms/clip  decompress %6.3f CPU ms/clip%n",
        name,
        perClip,
        none == 0 ? 100.0 : 100.0 * perClip / none,
        compressNs / 1e6 / values.size(),
        decompressNs / 1e6 / values.size());
    return perClip;
  }
}
