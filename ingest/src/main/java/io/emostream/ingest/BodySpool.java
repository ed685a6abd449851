package io.emostream.ingest;

import io.emostream.schemas.SourceKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one upload's body into its spool file without holding a thread (Jetty calls back when bytes
 * arrive), then hands it to the ingest pool. Exactly one of: answered after ingest, answered with
 * an error (spool deleted, nothing published), or the client left (nothing published). Over 300
 * lines: one state machine per upload (head sniffed, then spooled or streamed, finished exactly
 * once) with its limits.
 */
final class BodySpool {

  /** The spool files' name prefix, {@code emostream-upload-<pid>-}. */
  public static final String SPOOL_PREFIX = "emostream-upload-";

  /** Retry-After on the answer to an upload cut off by a shutdown (a restart's time). */
  static final String RETRY_AFTER_SHUTDOWN = "30";

  static final String NOT_STORED =
      "the server could not store the upload (its EMOSTREAM_WORK_DIR is missing, full or not"
          + " writable: see its log); try again later, or tell its operator";

  /**
   * This process's spool file prefix: with the pid in it, so that a later start can tell the spools
   * of a killed process (which it deletes) from those of a running one.
   */
  static String spoolPrefix() {
    return SPOOL_PREFIX + ProcessHandle.current().pid() + "-";
  }

  private static final Logger LOG = LoggerFactory.getLogger(BodySpool.class);

  private static final Pattern SPOOL_FILE =
      Pattern.compile(Pattern.quote(SPOOL_PREFIX) + "(\\d+)-.*\\.media");

  /**
   * Deletes the spool files in {@code dir} whose process is gone (killed: no hook ran to delete
   * them), so a crashed upload's copy does not stay on disk; a start of the ingest service does it
   * ({@code ./emostream} sweeps the same files and more). Never fails.
   *
   * @param alive whether a process id is running
   * @return how many files were deleted
   */
  static int deleteKilledSpools(Path dir, LongPredicate alive) {
    int deleted = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, SPOOL_PREFIX + "*")) {
      for (Path entry : entries) {
        Matcher spool = SPOOL_FILE.matcher(entry.getFileName().toString());
        if (spool.matches()
            && !alive.test(Long.parseLong(spool.group(1)))
            && Files.deleteIfExists(entry)) {
          deleted++;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("no sweep of killed uploads' spool files in {}", dir, e);
    }
    if (deleted > 0) {
      LOG.info("deleted {} spool file(s) of killed ingest processes from {}", deleted, dir);
    }
    return deleted;
  }

  /** {@link #deleteKilledSpools(Path, LongPredicate)} with this machine's processes. */
  static int deleteKilledSpools(Path dir) {
    return deleteKilledSpools(
        dir, pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
  }

  private final UploadHandler uploads;
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final UploadRequest upload;
  private final String key;
  private final String fingerprint;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final long startNanos = System.nanoTime();
  private Path spool;
  private FileChannel channel;
  private final byte[] head = new byte[StreamSniffer.WINDOW];
  private int headLength;
  private boolean decided;
  private long received;
  private Scheduler.Task deadline;
  private volatile StreamedBody streamed;

  BodySpool(
      UploadHandler uploads,
      Request request,
      Response response,
      Callback callback,
      UploadRequest upload,
      String key,
      String fingerprint) {
    this.uploads = uploads;
    this.request = request;
    this.response = response;
    // no longer being read once answered, whichever way
    this.callback = Callback.from(callback, () -> uploads.reading.remove(this));
    this.upload = upload;
    this.key = key;
    this.fingerprint = fingerprint;
  }

  void start() {
    uploads.reading.add(this);
    deadline =
        uploads.scheduler.schedule(
            () ->
                fail(
                    408,
                    "the upload took longer than "
                        + uploads.limits.uploadTimeout()
                        + " (EMOSTREAM_UPLOAD_TIMEOUT); it was cut off and nothing was published",
                    "upload-timeout"),
            uploads.limits.uploadTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    read();
  }

  private void read() {
    while (!finished.get()) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(this::read);
        return;
      }
      try {
        if (!accept(chunk)) {
          return;
        }
      } finally {
        chunk.release();
      }
    }
  }

  /** Takes one chunk; false once the body is over (complete, refused or failed). */
  private synchronized boolean accept(Content.Chunk chunk) {
    if (finished.get()) {
      return false;
    }
    if (Content.Chunk.isFailure(chunk)) {
      Throwable failure = chunk.getFailure();
      if (failure instanceof TimeoutException) {
        fail(
            408,
            "no data arrived for "
                + uploads.limits.idleTimeout()
                + " (EMOSTREAM_HTTP_IDLE_TIMEOUT); the upload was "
                + "cut off and nothing was published",
            "idle-timeout");
      } else {
        LOG.info(
            "upload '{}' ended before its body was complete ({} bytes received): nothing published",
            upload.name(),
            received);
        fail(400, "the upload ended before its body was complete; nothing was published", null);
      }
      return false;
    }
    try {
      ByteBuffer bytes = chunk.getByteBuffer();
      received += bytes.remaining();
      if (received > uploads.config.maxUploadBytes()) {
        fail(413, uploads.tooLarge(), null);
        return false;
      }
      if (!decided && !decide(bytes, chunk.isLast())) {
        return !finished.get();
      }
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    } catch (IOException e) {
      LOG.error("cannot spool an upload to {}", uploads.config.workDir(), e);
      fail(503, NOT_STORED, null);
      return false;
    }
    if (chunk.isLast()) {
      complete();
      return false;
    }
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
    if (uploads.limits.minUploadRate() > 0
        && elapsedMs >= uploads.limits.minRateAfter().toMillis()
        && elapsedMs > 0
        && received * 1000 / elapsedMs < uploads.limits.minUploadRate()) {
      fail(
          408,
          "the upload arrived at "
              + received * 1000 / elapsedMs
              + " bytes/s, below the minimum of "
              + uploads.limits.minUploadRate()
              + " bytes/s (EMOSTREAM_UPLOAD_MIN_RATE); it was cut off and nothing was "
              + "published",
          "min-rate");
      return false;
    }
    return true;
  }

  /**
   * Gathers the head of the body until {@link StreamSniffer} decides: true to spool (the head is
   * written, {@code bytes} follows), false while undecided or once the body went to {@link #stream}
   * (which then reads the rest itself).
   */
  private boolean decide(ByteBuffer bytes, boolean last) throws IOException {
    int take = Math.min(bytes.remaining(), head.length - headLength);
    bytes.get(head, headLength, take);
    headLength += take;
    StreamSniffer.Sniff sniff = StreamSniffer.sniff(head, headLength, last);
    if (sniff.verdict() == StreamSniffer.Verdict.MORE) {
      return false;
    }
    decided = true;
    if (sniff.verdict() == StreamSniffer.Verdict.STREAM) {
      byte[] prefix = Arrays.copyOf(head, headLength + bytes.remaining());
      bytes.get(prefix, headLength, bytes.remaining());
      stream(prefix, last, sniff.container());
      return false;
    }
    try {
      spool = Files.createTempFile(uploads.config.workDir(), spoolPrefix(), ".media");
      channel = FileChannel.open(spool, StandardOpenOption.WRITE);
    } catch (IOException e) {
      LOG.error("cannot spool an upload to {}", uploads.config.workDir(), e);
      fail(503, NOT_STORED, null);
      return false;
    }
    ByteBuffer first = ByteBuffer.wrap(head, 0, headLength);
    while (first.hasRemaining()) {
      channel.write(first);
    }
    return true;
  }

  /**
   * A container FFmpeg reads without seeking: from here an ingest thread reads the rest of the body
   * itself, blocking, and publishes each clip as soon as it is complete ({@link StreamedBody}).
   */
  private void stream(byte[] prefix, boolean last, String container) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    deadline.cancel(); // StreamedBody's guard keeps the upload timeout from here
    if (key != null) {
      IdempotencyStore.Found found = uploads.idempotency.claim(key, fingerprint);
      if (!(found instanceof IdempotencyStore.Fresh)) {
        uploads.answeredFromStore(found, request, response, callback);
        return;
      }
    }
    try {
      streamed =
          new StreamedBody(
              uploads,
              request,
              response,
              callback,
              upload,
              key,
              prefix,
              last,
              container,
              startNanos);
      // Unread while it waits for an ingest thread: that silence is the server's, not the
      // client's (StreamedBody's own listener takes over once it reads). It was taken for an idle
      // client: 408 after 30 s queued behind busy threads, and the upload was lost.
      request.addIdleTimeoutListener(timeout -> false);
      uploads.ingestPool.execute(streamed);
    } catch (RejectedExecutionException e) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
      IdempotencyStore.Answer busy =
          new IdempotencyStore.Answer(
              503,
              HttpAnswers.error(
                  "ingest is busy with "
                      + IngestConfig.HttpLimits.INGEST_QUEUE
                      + " uploads waiting; retry later"));
      if (key != null) {
        uploads.idempotency.finish(key, busy);
      }
      uploads.answeredWithoutClips(upload.name(), busy.status(), busy.body());
      uploads.answers.respond(response, callback, busy.status(), busy.body());
    }
  }

  /** The whole body is in: claim the key (if any) and queue the ingest. */
  private void complete() {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    deadline.cancel();
    closeChannel();
    // From here the client waits for the analysis, which may take minutes: silence is not
    // idleness any more.
    request.addIdleTimeoutListener(timeout -> false);
    if (key != null) {
      IdempotencyStore.Found found = uploads.idempotency.claim(key, fingerprint);
      if (!(found instanceof IdempotencyStore.Fresh)) {
        deleteSpool();
        uploads.answeredFromStore(found, request, response, callback);
        return;
      }
    }
    try {
      uploads.ingestPool.execute(this::ingest);
    } catch (RejectedExecutionException e) {
      deleteSpool();
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
      answer(
          new IdempotencyStore.Answer(
              503,
              HttpAnswers.error(
                  "ingest is busy with "
                      + IngestConfig.HttpLimits.INGEST_QUEUE
                      + " uploads waiting; retry later")));
    }
  }

  private void ingest() {
    int status;
    Object body;
    try {
      IngestService.Result result =
          uploads.service.ingest(
              spool,
              upload.name(),
              upload.rule(),
              upload.channels(),
              upload.audioStream(),
              upload.sourceId(),
              SourceKind.UPLOAD,
              key); // a retry after a crash names its clips as before
      status = 201;
      body = UploadHandler.created(result, false);
      LOG.info(
          "upload '{}': source {}, {} segment(s)",
          result.sourceName(),
          result.sourceId(),
          result.clips().size());
      if (uploads.results != null) {
        uploads.results.uploaded(result);
      }
    } catch (PartlyIngestedException e) {
      // the media failed after some clips (a truncated file), the server is shutting down or Kafka
      // did not take a clip: they stay published, the answer names them as a streamed upload's does
      status = shutdownStatus(e, 400);
      IngestService.Result published = e.published();
      if (!published.clips().isEmpty()) {
        uploads.sourceIds.published(published.sourceId());
      }
      Map<String, Object> answer = new LinkedHashMap<>();
      String error = RequestChecks.withoutServerPaths(e.getMessage(), spool, upload.name());
      answer.put("error", error);
      answer.put("sourceId", published.sourceId());
      answer.put("clipsPublished", published.clips().size());
      answer.put("clips", published.clips());
      body = answer;
      if (uploads.results != null) {
        uploads.results.uploaded(published, error);
      }
    } catch (IngestException e) {
      status = shutdownStatus(e, 400);
      body =
          HttpAnswers.error(RequestChecks.withoutServerPaths(e.getMessage(), spool, upload.name()));
    } catch (RuntimeException e) {
      LOG.error("ingest of upload '{}' failed", upload.name(), e);
      status = 503;
      body = HttpAnswers.error("the clip could not be published; try again later");
    } finally {
      deleteSpool();
    }
    // Answered only once the spooled copy is gone.
    answer(new IdempotencyStore.Answer(status, body));
  }

  /**
   * 503 with Retry-After for an ingest stopped by a shutdown or by Kafka not taking a clip, else
   * {@code otherwise}.
   */
  private int shutdownStatus(IngestException e, int otherwise) {
    if (!PublishException.isUnavailable(e)) {
      return otherwise;
    }
    response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SHUTDOWN);
    return 503;
  }

  private void answer(IdempotencyStore.Answer answer) {
    if (key != null) {
      uploads.idempotency.finish(key, answer);
    }
    uploads.answeredWithoutClips(upload.name(), answer.status(), answer.body());
    uploads.answers.respond(response, callback, answer.status(), answer.body());
  }

  /**
   * The server is shutting down: a body still arriving is cut off and answered 503 (a spooled one
   * published nothing; a streamed one names the clips it published). One that arrived whole is left
   * to be ingested and answered.
   */
  void shutDown() {
    StreamedBody reader;
    synchronized (this) {
      if (!finished.get()) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SHUTDOWN);
        fail(
            503,
            "the server is shutting down and the upload had not arrived whole; nothing was"
                + " published; send it again",
            "shutdown");
        return;
      }
      reader = streamed;
    }
    if (reader != null) {
      reader.cutOff(new UploadCutOff(503, "the server is shutting down", "shutdown"));
    }
  }

  /** Ends the upload before its body was complete: nothing is ingested, the spool goes. */
  private void fail(int status, String message, String cutOffReason) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (deadline != null) {
      deadline.cancel();
    }
    closeChannel();
    deleteSpool();
    if (cutOffReason != null) {
      uploads.answers.cutOff(cutOffReason);
    }
    // The rest of the body is never read: the connection closes after this answer.
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    uploads.answeredWithoutClips(upload.name(), status, HttpAnswers.error(message));
    uploads.answers.respond(response, callback, status, HttpAnswers.error(message));
  }

  private void closeChannel() {
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      LOG.warn("closing the spool file of upload '{}' failed", upload.name(), e);
    }
  }

  private void deleteSpool() {
    try {
      if (spool != null) {
        Files.deleteIfExists(spool);
      }
    } catch (IOException e) {
      LOG.warn("could not delete the spool file of upload '{}'", upload.name(), e);
    }
  }
}
