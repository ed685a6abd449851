package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

/**
 * The first signal goes to a command that asked for it ({@code analyze URL}: Ctrl-C ends the live
 * source and keeps its last segments), not to the stop. Only the intercepted path is exercised: an
 * uncaught signal here would stop the test JVM.
 */
class OrderlyStopTest {

  @Test
  void whileAnInterceptionIsOpenTheFirstSignalRunsItAndDoesNotStop() throws Exception {
    List<String> calls = new ArrayList<>();
    try (AutoCloseable interception = OrderlyStop.interceptFirstSignal(() -> calls.add("live"))) {
      OrderlyStop.onSignal(new Signal("INT"));
    }
    assertThat(calls).containsExactly("live");
    assertThat(OrderlyStop.stopping()).isFalse();
  }

  @Test
  void closingAnOldInterceptionLeavesANewerOneInPlace() throws Exception {
    List<String> calls = new ArrayList<>();
    AutoCloseable old = OrderlyStop.interceptFirstSignal(() -> calls.add("old"));
    try (AutoCloseable current = OrderlyStop.interceptFirstSignal(() -> calls.add("current"))) {
      old.close();
      OrderlyStop.onSignal(new Signal("TERM"));
    }
    assertThat(calls).containsExactly("current");
    assertThat(OrderlyStop.stopping()).isFalse();
  }

  @Test
  void tasksBeforeTheWorkersRunInOrderUntilRemovedAndAFailureStopsNone() throws Exception {
    List<String> calls = new ArrayList<>();
    try (AutoCloseable first = OrderlyStop.beforeWorkers(() -> calls.add("intake"));
        AutoCloseable failing =
            OrderlyStop.beforeWorkers(
                () -> {
                  throw new IllegalStateException("broken");
                });
        AutoCloseable last = OrderlyStop.beforeWorkers(() -> calls.add("drain"))) {
      OrderlyStop.runBeforeWorkers();
    }
    assertThat(calls).containsExactly("intake", "drain");
    calls.clear();
    OrderlyStop.runBeforeWorkers();
    assertThat(calls).isEmpty();
  }
}
