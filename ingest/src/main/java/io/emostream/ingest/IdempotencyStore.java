package io.emostream.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The answers to uploads sent with an {@code Idempotency-Key}, so that a client's retry gets the
 * first attempt's answer instead of a second analysis of the same file.
 *
 * <p>States of a key (scoped by the caller, e.g. to the bearer token): <em>absent</em> → {@link
 * #claim claimed} by the first attempt whose body arrived completely (<em>pending</em>: its ingest
 * runs) → {@link #finish finished}: a {@code 201} answer is kept for the TTL, any other answer (a
 * bad file, Kafka down) is handed to the retries waiting for it and then forgotten, so a later
 * retry runs again. An attempt whose body never arrived never claims its key. A key sent again with
 * a different request (its {@link Answer fingerprint} differs) is a client error.
 *
 * <p>In memory, per process: a retry that reaches another ingest instance is analysed again. At
 * most {@code maxKeys} answers are kept; beyond that the oldest finished ones go first.
 */
final class IdempotencyStore {

  /** What an upload was answered: status and JSON body. */
  record Answer(int status, Object body) {}

  /** What {@link #lookup} or {@link #claim} found for a key. */
  sealed interface Found permits Fresh, Pending, Done, Mismatch {}

  /** Nobody has the key: with {@link #claim} the caller now owns it and must {@link #finish} it. */
  record Fresh() implements Found {}

  /** Another attempt with the key is being ingested: its answer arrives through {@code answer}. */
  record Pending(CompletableFuture<Answer> answer) implements Found {}

  /** The key's first attempt was answered {@code answer}. */
  record Done(Answer answer) implements Found {}

  /** The key was used for a request with other parameters. */
  record Mismatch() implements Found {}

  private static final class Entry {
    final String fingerprint;
    final CompletableFuture<Answer> answer = new CompletableFuture<>();
    Instant expires;

    Entry(String fingerprint) {
      this.fingerprint = fingerprint;
    }
  }

  private final Clock clock;
  private final Duration ttl;
  private final int maxKeys;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  IdempotencyStore(Clock clock, Duration ttl, int maxKeys) {
    this.clock = clock;
    this.ttl = ttl;
    this.maxKeys = maxKeys;
  }

  /** What is known about {@code key}, without claiming it. */
  synchronized Found lookup(String key, String fingerprint) {
    expire();
    Entry entry = entries.get(key);
    if (entry == null) {
      return new Fresh();
    }
    if (!entry.fingerprint.equals(fingerprint)) {
      return new Mismatch();
    }
    return entry.answer.isDone() ? new Done(entry.answer.join()) : new Pending(entry.answer);
  }

  /** Claims {@code key} when nobody has it ({@link Fresh}); else what {@link #lookup} would say. */
  synchronized Found claim(String key, String fingerprint) {
    Found found = lookup(key, fingerprint);
    if (found instanceof Fresh) {
      entries.put(key, new Entry(fingerprint));
    }
    return found;
  }

  /**
   * The claimed key's attempt was answered: waiting retries get {@code answer}; only a 201 is kept.
   */
  void finish(String key, Answer answer) {
    Entry entry;
    synchronized (this) {
      entry = entries.get(key);
      if (entry == null || entry.answer.isDone()) {
        throw new IllegalStateException("idempotency key not claimed: " + key);
      }
      if (answer.status() == 201) {
        entry.expires = clock.instant().plus(ttl);
        evictOverLimit();
      } else {
        entries.remove(key);
      }
    }
    entry.answer.complete(answer);
  }

  synchronized int size() {
    return entries.size();
  }

  private void expire() {
    Instant now = clock.instant();
    entries.values().removeIf(e -> e.expires != null && !now.isBefore(e.expires));
  }

  private void evictOverLimit() {
    Iterator<Entry> oldest = entries.values().iterator();
    while (entries.size() > maxKeys && oldest.hasNext()) {
      if (oldest.next().answer.isDone()) {
        oldest.remove();
      }
    }
  }
}
