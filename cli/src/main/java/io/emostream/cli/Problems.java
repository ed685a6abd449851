package io.emostream.cli;

import java.net.BindException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Turns an unexpected failure into one line: what went wrong and, where known, what to do. Pure.
 */
final class Problems {

  private Problems() {}

  static String explain(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "a port is already in use ("
            + t.getMessage()
            + "); stop the other process or choose free ports with "
            + "EMOSTREAM_KAFKA_PORT / EMOSTREAM_HTTP_PORT";
      }
      if (t instanceof TimeoutException) {
        return "Kafka did not answer in time ("
            + t.getMessage()
            + "); check KAFKA_BOOTSTRAP_SERVERS, or unset it "
            + "to use the in-JVM broker";
      }
      if (t instanceof UnsatisfiedLinkError) {
        return "a native library (ONNX Runtime's, FFmpeg's or RocksDB's) could not be loaded; it is"
            + " unpacked into the temporary folder ("
            + System.getProperty("java.io.tmpdir")
            + "), which may be full or not writable: free space there, or choose another with"
            + " EMOSTREAM_JAVA_OPTS=-Djava.io.tmpdir=DIR";
      }
      if (t instanceof OutOfMemoryError) {
        return "out of memory; give the JVM more with EMOSTREAM_JAVA_OPTS=-Xmx4g or analyse fewer files at once";
      }
    }
    return message(e);
  }

  /** The first meaningful message along the cause chain. */
  static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && (t.getMessage() == null || t instanceof ExecutionException)) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
