package io.emostream.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * Every writer schema this build can read, looked up by fingerprint: the current schemas of the
 * generated classes plus each earlier published version kept under {@code avro/history/} as a
 * self-contained {@code .avsc}. When a record's schema changes (also through a type it embeds, such
 * as an enum that gains a symbol), its previous {@code .avsc} is copied into {@code
 * src/main/resources/avro/history} and listed in {@link #HISTORY}.
 */
public final class SchemaHistory {

  /** Earlier versions, as resources under {@code avro/history/}. */
  static final List<String> HISTORY =
      List.of(
          // v0: the first published contracts: FusionRule had only AVERAGE, no speakerRole;
          // PendingClip embeds both.
          "ClipManifest-v0.avsc",
          "FusedEmotion-v0.avsc",
          "PendingClip-v0.avsc",
          // v1: before PredictionStatus gained NO_SPEECH (FusedEmotion and PendingClip embed
          // ModalityPrediction) and
          // PendingClip gained waitingSinceMs and deadlineMs (fusion waiting on a worker's
          // progress).
          "ModalityPrediction-v1.avsc",
          "FusedEmotion-v1.avsc",
          "PendingClip-v1.avsc");

  private static final SchemaStore.Cache INSTANCE = build(HISTORY);

  private SchemaHistory() {}

  public static SchemaStore.Cache instance() {
    return INSTANCE;
  }

  static SchemaStore.Cache build(List<String> historyResources) {
    SchemaStore.Cache cache = new SchemaStore.Cache();
    for (Schema schema :
        List.of(
            ClipManifest.getClassSchema(),
            AudioSegment.getClassSchema(),
            FrameBatch.getClassSchema(),
            ModalityPrediction.getClassSchema(),
            FusedEmotion.getClassSchema(),
            PendingClip.getClassSchema(),
            WorkerProgress.getClassSchema())) {
      cache.addSchema(schema);
    }
    for (String resource : historyResources) {
      cache.addSchema(load("/avro/history/" + resource));
    }
    return cache;
  }

  static Schema load(String resource) {
    try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("schema resource missing: " + resource);
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
