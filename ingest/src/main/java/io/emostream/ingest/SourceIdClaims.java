package io.emostream.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The source ids clients chose ({@code POST /clips?sourceId=}, {@code POST /streams}) that this
 * ingest instance has used: an upload or a live source is one source, and a second upload under the
 * same id would mix two timelines in {@code GET /sources/{id}} and lose its own per-source summary
 * (fusion-stream's summary drops the events of a source it has already ended). An id is claimed
 * when its upload starts; an attempt answered otherwise than {@code 201} that published nothing
 * gives it back, so a failed upload can be retried under its id; a {@code 201}, or a failure after
 * some clips were published (a streamed upload cut off, a truncated file: {@link #published}),
 * keeps it for {@code ttl} (EMOSTREAM_IDEMPOTENCY_TTL), and at most {@code maxIds} of them are
 * kept, the oldest finished ones going first. A retry with the attempt's own {@code
 * Idempotency-Key} is its owner and may go on (the idempotency store answers it), except after a
 * failure that published clips: resending the media would publish its first segments again under
 * new clip ids and lose the rest from the source's summary, which the first attempt's end already
 * wrote. In memory: one instance, not across instances or restarts.
 */
final class SourceIdClaims {

  private static final class Claim {
    final String owner;
    Instant expires; // null while the upload runs
    boolean published; // a failed attempt published clips under the id

    Claim(String owner) {
      this.owner = owner;
    }
  }

  private final Clock clock;
  private final Duration ttl;
  private final int maxIds;
  private final Map<String, Claim> claims = new LinkedHashMap<>();

  SourceIdClaims(Clock clock, Duration ttl, int maxIds) {
    this.clock = clock;
    this.ttl = ttl;
    this.maxIds = maxIds;
  }

  /** The answer to a request whose source id {@link #claim} refused (409). */
  static String inUse(String sourceId) {
    return "sourceId '"
        + sourceId
        + "' is already used on this instance (by another upload or live source, or by an upload"
        + " that failed after publishing clips); each source needs its own: choose another sourceId"
        + " (to retry an upload that published nothing, resend it with the same "
        + IngestHttpServer.IDEMPOTENCY_KEY
        + ")";
  }

  /**
   * The answer to a retry under an {@code Idempotency-Key} whose first attempt failed after
   * publishing clips under the source id derived from the key (409).
   */
  static String keyUsed(String sourceId) {
    return "this "
        + IngestHttpServer.IDEMPOTENCY_KEY
        + "'s upload failed after publishing clips as source '"
        + sourceId
        + "' (its answer listed them), and sending it again would publish its first segments twice:"
        + " to send it again, use another "
        + IngestHttpServer.IDEMPOTENCY_KEY
        + " (or none)";
  }

  /**
   * Claims {@code sourceId} for an upload; {@code owner} is its scoped idempotency key, or null.
   *
   * @return false when another upload has it (running, or answered {@code 201} within the ttl)
   */
  synchronized boolean claim(String sourceId, String owner) {
    Instant now = clock.instant();
    claims.values().removeIf(c -> c.expires != null && !now.isBefore(c.expires));
    Claim held = claims.get(sourceId);
    if (held != null) {
      return owner != null && Objects.equals(owner, held.owner) && !held.published;
    }
    claims.put(sourceId, new Claim(owner));
    return true;
  }

  /**
   * The upload that claimed {@code sourceId} failed after publishing clips under it: the id stays
   * used when it is answered.
   */
  synchronized void published(String sourceId) {
    Claim held = claims.get(sourceId);
    if (held != null && held.expires == null) {
      held.published = true;
    }
  }

  /**
   * The upload that claimed {@code sourceId} was answered with {@code status}: a 201, or any answer
   * after {@link #published}, keeps the id for the ttl; anything else gives it back.
   */
  synchronized void finish(String sourceId, int status) {
    Claim held = claims.get(sourceId);
    if (held == null || held.expires != null) {
      return; // a retry of its owner finishing after the first attempt: the first one decides
    }
    if (status == 201 || held.published) {
      held.expires = clock.instant().plus(ttl);
      Iterator<Claim> oldest = claims.values().iterator();
      while (claims.size() > maxIds && oldest.hasNext()) {
        if (oldest.next().expires != null) {
          oldest.remove();
        }
      }
    } else {
      claims.remove(sourceId);
    }
  }
}
