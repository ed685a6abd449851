package io.emostream.ingest;

import io.emostream.schemas.SourceKind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed upload on an ingest thread: reads the rest of the body blocking (after the head
 * {@link BodySpool} sniffed) through a {@link MediaStream}, which FFmpeg demuxes while it arrives,
 * and publishes each clip as soon as it is complete. The limits of a spooled upload hold while it
 * reads: EMOSTREAM_MAX_UPLOAD_BYTES (413), EMOSTREAM_UPLOAD_TIMEOUT and EMOSTREAM_UPLOAD_MIN_RATE
 * (checked after each read, 408), EMOSTREAM_HTTP_IDLE_TIMEOUT (Jetty fails the blocked read, 408);
 * a body cut off or abandoned publishes no clip it cut short. The clips published before an error
 * stay published, and the error answer names them ({@code clipsPublished}, {@code clips}).
 */
final class StreamedBody implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamedBody.class);

  private final UploadHandler uploads;
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final UploadRequest upload;
  private final String key;
  private final byte[] prefix;
  private final boolean last;
  private final String container;
  private final long startNanos;
  private volatile MediaStream body;
  private volatile UploadCutOff shutdown;
  private volatile boolean answered;

  /**
   * How long a body cut off at shutdown is left to reach its next read before the read is failed (a
   * client that has stopped sending never lets it return).
   */
  static final Duration UNBLOCK_AFTER = Duration.ofSeconds(2);

  StreamedBody(
      UploadHandler uploads,
      Request request,
      Response response,
      Callback callback,
      UploadRequest upload,
      String key,
      byte[] prefix,
      boolean last,
      String container,
      long startNanos) {
    this.uploads = uploads;
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.upload = upload;
    this.key = key;
    this.prefix = prefix;
    this.last = last;
    this.container = container;
    this.startNanos = startNanos;
  }

  @Override
  public void run() {
    InputStream head = new ByteArrayInputStream(prefix);
    MediaStream body =
        new MediaStream(
            last ? head : new SequenceInputStream(head, Content.Source.asInputStream(request)),
            uploads.config.maxUploadBytes(),
            this::guard);
    this.body = body;
    if (shutdown != null) {
      body.cutOff(shutdown); // cut off while it waited for an ingest thread
    }
    // Only a silence while a read waits for the client is its idleness: not one while a clip is
    // decoded or published (a slow Kafka), nor after the body's end.
    request.addIdleTimeoutListener(timeout -> body.inRead() && !body.ended());
    LOG.info("upload '{}': {} streamed, demuxed while it arrives", upload.name(), container);
    IdempotencyStore.Answer answer;
    try {
      IngestService.Result result =
          uploads.service.ingest(
              body,
              upload.name(),
              upload.rule(),
              upload.channels(),
              upload.audioStream(),
              upload.sourceId(),
              SourceKind.UPLOAD,
              key); // a retry after a crash names its clips as before
      LOG.info(
          "upload '{}' (streamed): source {}, {} segment(s)",
          result.sourceName(),
          result.sourceId(),
          result.clips().size());
      if (uploads.results != null) {
        uploads.results.uploaded(result);
      }
      answer = new IdempotencyStore.Answer(201, UploadHandler.created(result, true));
    } catch (IngestException e) {
      answer = failed(e, body);
    } catch (RuntimeException e) {
      LOG.error("streamed ingest of upload '{}' failed", upload.name(), e);
      answer =
          new IdempotencyStore.Answer(
              503, HttpAnswers.error("the clip could not be published; try again later"));
    }
    if (key != null) {
      uploads.idempotency.finish(key, answer);
    }
    answered = true;
    if (!body.ended() && shutdown == null && answer.status() != 503) {
      // The rest of the body is never read: the connection closes after this answer.
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    // Cut off by a shutdown or by Kafka not taking a clip (503: the client is to send it again), a
    // client still sending has the rest of its body read and dropped after the answer (Drain, up
    // to 16 MiB or 5 s): closing at once, with its bytes unread, sent a reset that could destroy
    // the answer before the client read it (curl: "Broken pipe", no status).
    uploads.answeredWithoutClips(upload.name(), answer.status(), answer.body());
    uploads.answers.respond(response, callback, answer.status(), answer.body());
  }

  /**
   * Cuts the body off from another thread (the server is shutting down): the read in progress ends
   * at once, and the clips complete before it stay published.
   */
  void cutOff(UploadCutOff why) {
    shutdown = why;
    MediaStream reading = body;
    if (reading != null && !reading.ended()) {
      reading.cutOff(why); // the next read ends the stream: a client still sending reaches it
      uploads.scheduler.schedule(
          () -> {
            if (!answered) {
              request.fail(why); // a read blocked on a client that sends nothing returns
            }
          },
          UNBLOCK_AFTER.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /** The answer to a stream that failed: why, and the clips published before it. */
  private IdempotencyStore.Answer failed(IngestException e, MediaStream body) {
    IngestService.Result published =
        e instanceof PartlyIngestedException partly ? partly.published() : null;
    int clips = published == null ? 0 : published.clips().size();
    IOException failure = body.failure();
    int status = 400;
    String why;
    if (failure instanceof UploadCutOff cut) {
      status = cut.status();
      if (status == 503) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, BodySpool.RETRY_AFTER_SHUTDOWN);
      }
      why = "the upload was cut off: " + cut.getMessage();
      if (cut.reason() != null) {
        uploads.answers.cutOff(cut.reason());
      }
    } else if (failure != null && UploadHandler.causedByTimeout(failure)) {
      status = 408;
      why =
          "no data arrived for "
              + uploads.limits.idleTimeout()
              + " (EMOSTREAM_HTTP_IDLE_TIMEOUT); the upload was cut off";
      uploads.answers.cutOff("idle-timeout");
    } else if (failure != null && shutdown != null) {
      // the server's stop cut the connection before the cut-off reached the read: its doing
      status = shutdown.status();
      response.getHeaders().put(HttpHeader.RETRY_AFTER, BodySpool.RETRY_AFTER_SHUTDOWN);
      why = "the upload was cut off: " + shutdown.getMessage();
    } else if (failure != null) {
      LOG.info(
          "streamed upload '{}' ended before its body was complete ({} bytes received)",
          upload.name(),
          body.bytesRead());
      why = "the upload ended before its body was complete";
    } else {
      // the media's fault, a shutdown or Kafka: the message says what was published before it
      why = null;
      if (PublishException.isUnavailable(e)) {
        status = 503;
        response.getHeaders().put(HttpHeader.RETRY_AFTER, BodySpool.RETRY_AFTER_SHUTDOWN);
      }
    }
    if (published != null && !published.clips().isEmpty()) {
      uploads.sourceIds.published(published.sourceId());
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    String error =
        why == null
            ? e.getMessage()
            : why
                + "; "
                + (clips == 0
                    ? "nothing was published"
                    : clips + " clip(s) complete before it were published and stay published");
    answer.put("error", error);
    if (published != null && uploads.results != null) {
      uploads.results.uploaded(published, error);
    }
    if (why == null && published == null) {
      return new IdempotencyStore.Answer(status, answer); // refused as a spooled upload is
    }
    if (published != null) {
      answer.put("sourceId", published.sourceId());
    }
    answer.put("clipsPublished", clips);
    answer.put("clips", published == null ? List.of() : published.clips());
    return new IdempotencyStore.Answer(status, answer);
  }

  /**
   * EMOSTREAM_UPLOAD_TIMEOUT (wall clock since the request came) and EMOSTREAM_UPLOAD_MIN_RATE,
   * after each read. The rate is over the time the reads waited for the client: the time the upload
   * was queued for an ingest thread and the time spent decoding and publishing are the server's,
   * and counting them cut off full-speed uploads as "too slow" while every ingest thread was busy.
   */
  private void guard(long received) throws UploadCutOff {
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
    if (elapsedMs > uploads.limits.uploadTimeout().toMillis()) {
      throw new UploadCutOff(
          408,
          "it took longer than " + uploads.limits.uploadTimeout() + " (EMOSTREAM_UPLOAD_TIMEOUT)",
          "upload-timeout");
    }
    long waitedMs = body.waitedNanos() / 1_000_000;
    if (uploads.limits.minUploadRate() > 0
        && waitedMs >= uploads.limits.minRateAfter().toMillis()
        && waitedMs > 0
        && received * 1000 / waitedMs < uploads.limits.minUploadRate()) {
      throw new UploadCutOff(
          408,
          "it arrived at "
              + received * 1000 / waitedMs
              + " bytes/s, below the minimum of "
              + uploads.limits.minUploadRate()
              + " bytes/s (EMOSTREAM_UPLOAD_MIN_RATE)",
          "min-rate");
    }
  }
}
