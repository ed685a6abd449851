package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OrtGuardTest {

  private final OrtGuard guard = new OrtGuard("model m");

  @Test
  void callsPassUntilClosedAndAreRefusedAfter() throws Exception {
    assertThat(guard.call(() -> 42)).isEqualTo(42);

    assertThat(guard.close(Duration.ZERO)).isTrue();

    assertThat(guard.isClosed()).isTrue();
    assertThatThrownBy(() -> guard.call(() -> 1))
        .isInstanceOf(OrtGuard.Closed.class)
        .hasMessageContaining("model m is closed");
    assertThat(guard.close(Duration.ZERO)).as("closing again").isTrue();
  }

  @Test
  void closeWaitsForTheCallInFlightAndLaterCallsAreRefused() throws Exception {
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Integer> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return guard.call(
                    () -> {
                      inCall.countDown();
                      try {
                        assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                      return 7;
                    });
              } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(inCall.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(guard.close(Duration.ofMillis(50))).as("a call is still in flight").isFalse();
    assertThat(guard.isClosed()).isFalse();
    CompletableFuture<Boolean> closing =
        CompletableFuture.supplyAsync(() -> guard.close(Duration.ofSeconds(30)));
    assertThat(closing).isNotDone();
    release.countDown();

    assertThat(running.get(30, TimeUnit.SECONDS)).as("the call in flight completes").isEqualTo(7);
    assertThat(closing.get(30, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> guard.call(() -> 1)).isInstanceOf(OrtGuard.Closed.class);
  }
}
