package io.emostream.cli;

import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.IngestService;
import io.emostream.schemas.FusedEmotion;
import java.io.PrintStream;
import java.util.Locale;

/**
 * What {@code ./emostream up} prints on stderr while it runs: one line per upload (source id, name,
 * segments) and one per fused segment (source, segment, label, confidence, status), so results can
 * be followed without a Kafka client. The lines are pure functions of the records; {@link
 * #listener} prints them.
 */
final class UpLog {

  private UpLog() {}

  /** E.g. {@code upload call.mp4: source 3f0c…, 2 segment(s); GET /sources/3f0c… for results}. */
  static String upload(IngestService.Result upload) {
    return String.format(
        Locale.ROOT,
        "upload %s: source %s, %d segment(s); GET /sources/%s for results",
        upload.sourceName(),
        upload.sourceId(),
        upload.clips().size(),
        upload.sourceId());
  }

  /**
   * E.g. {@code upload call.mp4 FAILED after 2 segment(s) were published (source 3f0c…): the upload
   * was cut off: ...; GET /sources/3f0c… for those}.
   */
  static String failedUpload(IngestService.Result published, String error) {
    return String.format(
        Locale.ROOT,
        "upload %s FAILED after %d segment(s) were published (source %s): %s; GET /sources/%s for"
            + " those",
        published.sourceName(),
        published.clips().size(),
        published.sourceId(),
        error,
        published.sourceId());
  }

  /**
   * E.g. {@code upload call.mkv refused (408): the upload was cut off: ...; nothing was published}.
   */
  static String refusedUpload(String name, int status, String error) {
    return String.format(Locale.ROOT, "upload %s refused (%d): %s", name, status, error);
  }

  /**
   * E.g. {@code fused call.mp4 (source call-42) segment 1 [customer] 4.0-8.0 s: happy 0.80
   * COMPLETE}.
   */
  static String segment(FusedEmotion s) {
    String verdict =
        s.getLabel() == null
            ? "no label"
            : String.format(Locale.ROOT, "%s %.2f", s.getLabel(), s.getConfidence());
    return String.format(
        Locale.ROOT,
        "fused %s (source %s) segment %d%s %.1f-%.1f s: %s %s",
        s.getSourceName(),
        s.getSourceId(),
        s.getSegmentIndex(),
        s.getSpeakerRole() == null ? "" : " [" + s.getSpeakerRole() + "]",
        s.getStartMs() / 1000.0,
        s.getEndMs() / 1000.0,
        verdict,
        s.getStatus().name());
  }

  /** Prints a line for every upload and fused segment the store keeps. */
  static FusedSegmentStore.Listener listener(PrintStream err) {
    return new FusedSegmentStore.Listener() {
      @Override
      public void uploaded(IngestService.Result upload) {
        err.println(UpLog.upload(upload));
      }

      @Override
      public void failedAfter(IngestService.Result published, String error) {
        err.println(UpLog.failedUpload(published, error));
      }

      @Override
      public void refused(String name, int status, String error) {
        err.println(UpLog.refusedUpload(name, status, error));
      }

      @Override
      public void fused(FusedEmotion segment) {
        err.println(UpLog.segment(segment));
      }
    };
  }
}
