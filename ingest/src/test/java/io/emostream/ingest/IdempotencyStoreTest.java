package io.emostream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdempotencyStoreTest {

  private static final Duration TTL = Duration.ofHours(24);
  private Instant now = Instant.parse("2026-11-28T22:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };

  private final IdempotencyStore.Answer created =
      new IdempotencyStore.Answer(201, Map.of("sourceId", "s-1"));

  @Test
  void theFirstClaimOwnsTheKeyAndRetriesSeeItPendingThenDone() {
    IdempotencyStore store = new IdempotencyStore(clock, TTL, 10);
    assertThat(store.lookup("k", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
    assertThat(store.claim("k", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
    IdempotencyStore.Found pending = store.claim("k", "q");
    assertThat(pending).isInstanceOf(IdempotencyStore.Pending.class);
    store.finish("k", created);
    assertThat(((IdempotencyStore.Pending) pending).answer()).isCompletedWithValue(created);
    assertThat(store.claim("k", "q")).isEqualTo(new IdempotencyStore.Done(created));
    assertThat(store.lookup("k", "other query")).isInstanceOf(IdempotencyStore.Mismatch.class);
  }

  @Test
  void aKeptAnswerExpiresAfterTheTtl() {
    IdempotencyStore store = new IdempotencyStore(clock, TTL, 10);
    store.claim("k", "q");
    store.finish("k", created);
    now = now.plus(TTL).minusMillis(1);
    assertThat(store.lookup("k", "q")).isInstanceOf(IdempotencyStore.Done.class);
    now = now.plusMillis(1);
    assertThat(store.lookup("k", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
    assertThat(store.size()).isZero();
  }

  /**
   * A failure (bad media 400, Kafka down 503) is handed to the waiting retries, then forgotten: a
   * later retry runs.
   */
  @Test
  void aFailedAnswerReachesTheWaitersButIsNotKept() {
    IdempotencyStore store = new IdempotencyStore(clock, TTL, 10);
    store.claim("k", "q");
    IdempotencyStore.Pending waiting = (IdempotencyStore.Pending) store.claim("k", "q");
    IdempotencyStore.Answer failed =
        new IdempotencyStore.Answer(503, Map.of("error", "try again later"));
    store.finish("k", failed);
    assertThat(waiting.answer()).isCompletedWithValue(failed);
    assertThat(store.claim("k", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
  }

  @Test
  void beyondMaxKeysTheOldestFinishedAnswersGoFirstAndPendingOnesStay() {
    IdempotencyStore store = new IdempotencyStore(clock, TTL, 2);
    store.claim("pending", "q");
    for (String key : new String[] {"a", "b", "c"}) {
      store.claim(key, "q");
      store.finish(key, created);
    }
    assertThat(store.lookup("pending", "q")).isInstanceOf(IdempotencyStore.Pending.class);
    assertThat(store.lookup("a", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
    assertThat(store.lookup("b", "q")).isInstanceOf(IdempotencyStore.Fresh.class);
    assertThat(store.lookup("c", "q")).isInstanceOf(IdempotencyStore.Done.class);
  }

  @Test
  void finishingAKeyNobodyClaimedIsABug() {
    IdempotencyStore store = new IdempotencyStore(clock, TTL, 10);
    assertThatThrownBy(() -> store.finish("k", created)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void keysArePrintableAsciiUpTo255() {
    assertThat(RequestChecks.validIdempotencyKey("4f1c7a0e-upload-7")).isTrue();
    assertThat(RequestChecks.validIdempotencyKey("k".repeat(255))).isTrue();
    assertThat(RequestChecks.validIdempotencyKey("k".repeat(256))).isFalse();
    assertThat(RequestChecks.validIdempotencyKey("")).isFalse();
    assertThat(RequestChecks.validIdempotencyKey("a\tb")).isFalse();
    assertThat(RequestChecks.validIdempotencyKey("caf\u00e9")).isFalse();
  }
}
