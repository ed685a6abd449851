package io.emostream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batch runner with a hand-written "model": item {@code x} gives the row {@code [x]}, a
 * negative item fails.
 */
class BatchRunnerTest {

  private final List<List<Integer>> runs = new ArrayList<>();

  private float[][] model(List<Integer> chunk) {
    runs.add(List.copyOf(chunk));
    float[][] rows = new float[chunk.size()][];
    for (int i = 0; i < chunk.size(); i++) {
      if (chunk.get(i) < 0) {
        throw new IllegalArgumentException("bad item " + chunk.get(i));
      }
      rows[i] = new float[] {chunk.get(i)};
    }
    return rows;
  }

  @Test
  void itemsGoThroughInRunsOfTheRunSizeInOrder() {
    BatchRunner<Integer> runner = new BatchRunner<>("model m", 2, this::model);

    List<BatchRunner.Row> rows = runner.run(List.of(1, 2, 3, 4, 5));

    assertThat(runs).containsExactly(List.of(1, 2), List.of(3, 4), List.of(5));
    assertThat(rows).extracting(r -> r.probabilities()[0]).containsExactly(1f, 2f, 3f, 4f, 5f);
    assertThat(rows).noneMatch(BatchRunner.Row::failed);
    assertThat(runner.runs()).isEqualTo(3);
    assertThat(runner.run(List.of())).isEmpty();
  }

  @Test
  void aFailedRunIsRetriedItemByItemSoOnlyTheBadItemFails() {
    BatchRunner<Integer> runner = new BatchRunner<>("model m", 3, this::model);

    List<BatchRunner.Row> rows = runner.run(List.of(1, -2, 3, 4));

    assertThat(runs)
        .containsExactly(List.of(1, -2, 3), List.of(1), List.of(-2), List.of(3), List.of(4));
    assertThat(rows.get(1).failure()).hasMessage("bad item -2");
    assertThat(rows.get(0).probabilities()).containsExactly(1f);
    assertThat(rows.get(2).probabilities()).containsExactly(3f);
    assertThat(rows.get(3).probabilities()).containsExactly(4f);
  }

  @Test
  void aRunWithTheWrongRowCountIsRetriedAndFailsEachItemThatStillGetsOne() {
    BatchRunner<Integer> runner = new BatchRunner<>("model m", 2, chunk -> new float[][] {{1f}});

    List<BatchRunner.Row> rows = runner.run(List.of(7, 8, 9));

    assertThat(rows.get(0).probabilities())
        .containsExactly(1f); // alone, one row for one item: fine
    assertThat(rows.get(1).probabilities()).containsExactly(1f);
    assertThat(rows.get(2).probabilities()).containsExactly(1f);
    BatchRunner<Integer> none = new BatchRunner<>("model m", 1, chunk -> new float[0][]);
    assertThat(none.run(List.of(1)).get(0).failure())
        .hasMessage("model m returned 0 rows for a batch of 1");
  }

  @Test
  void runAllGivesEveryRowOrThrowsTheFirstFailure() throws Exception {
    BatchRunner<Integer> runner = new BatchRunner<>("model m", 4, this::model);

    assertThat(runner.runAll(List.of(1, 2))).isDeepEqualTo(new float[][] {{1f}, {2f}});
    assertThatThrownBy(() -> runner.runAll(List.of(1, -5, -6))).hasMessage("bad item -5");
    assertThatThrownBy(() -> new BatchRunner<Integer>("model m", 0, this::model))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }

  @Test
  void aClipsRowsGatherTheirProbabilitiesAndTimeOrTheFirstFailure() {
    BatchRunner.Row bad = new BatchRunner.Row(null, 0, new IllegalStateException("first"));
    BatchRunner.Row worse = new BatchRunner.Row(null, 0, new IllegalStateException("second"));
    BatchRunner.Row one = new BatchRunner.Row(new float[] {1f}, 1.5, null);
    BatchRunner.Row two = new BatchRunner.Row(new float[] {2f}, 2.0, null);

    BatchRunner.ClipRows ok = BatchRunner.ClipRows.of(List.of(one, two));
    BatchRunner.ClipRows failed = BatchRunner.ClipRows.of(List.of(one, bad, two, worse));

    assertThat(ok.failed()).isFalse();
    assertThat(ok.probabilities()).containsExactly(new float[] {1f}, new float[] {2f});
    assertThat(ok.inferenceMs()).isEqualTo(3.5);
    assertThat(failed.failed()).isTrue();
    assertThat(failed.failure()).hasMessage("first");
    assertThat(BatchRunner.ClipRows.of(List.of()).probabilities()).isEmpty();
  }
}
