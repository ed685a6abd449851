package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.BindException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class ProblemsTest {

  @Test
  void aPortInUseSaysWhichVariablesChooseThePorts() {
    String line =
        Problems.explain(
            new IllegalStateException("start failed", new BindException("Address already in use")));
    assertThat(line)
        .contains("a port is already in use", "EMOSTREAM_KAFKA_PORT", "EMOSTREAM_HTTP_PORT");
  }

  @Test
  void aKafkaTimeoutPointsAtTheBootstrapServers() {
    assertThat(
            Problems.explain(
                new ExecutionException(new TimeoutException("Timed out waiting for a node"))))
        .contains("KAFKA_BOOTSTRAP_SERVERS");
  }

  /** A full temporary folder: ONNX Runtime's library could not be unpacked (a hostile pass). */
  @Test
  void aNativeLibraryThatCannotLoadPointsAtTheTemporaryFolder() {
    assertThat(
            Problems.explain(
                new UnsatisfiedLinkError("no onnxruntime in java.library.path: /usr/lib")))
        .contains(
            "a native library",
            "could not be loaded",
            System.getProperty("java.io.tmpdir"),
            "EMOSTREAM_JAVA_OPTS=-Djava.io.tmpdir=DIR");
  }

  @Test
  void otherwiseTheFirstMeaningfulMessage() {
    assertThat(
            Problems.explain(
                new ExecutionException(new IllegalStateException("model x outputs 3 classes"))))
        .isEqualTo("model x outputs 3 classes");
    assertThat(Problems.explain(new NullPointerException())).isEqualTo("NullPointerException");
  }
}
