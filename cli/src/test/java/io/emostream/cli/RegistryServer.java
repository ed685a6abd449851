package io.emostream.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Apicurio Registry (2.1.5.Final, in-memory storage) as a child JVM on a free port: the
 * runnable jar that the {@code registry-server} module builds ({@code mvn verify} builds it before
 * cli). {@link #start} waits (polling) until {@code /health/ready} answers 200; {@link #close}
 * stops the process.
 */
final class RegistryServer implements AutoCloseable {

  static final Path JAR = Path.of("..", "registry-server", "target", "registry-server-runner.jar");
  static final Duration READY_WITHIN = Duration.ofSeconds(180);

  private final Process process;
  private final Path log;
  private final String baseUrl;

  private RegistryServer(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.baseUrl = "http://127.0.0.1:" + port;
  }

  /** Starts the registry, its output to {@code log}, and waits until it is ready. */
  static RegistryServer start(Path log) throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(
          JAR.toAbsolutePath().normalize()
              + " is missing: the schema-registry tests start the registry that the registry-server"
              + " module builds. Build it with `mvn -B -pl registry-server package` (a root `mvn"
              + " verify` builds it before cli).");
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Xmx384m",
                    "-XX:TieredStopAtLevel=1",
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + port,
                    "-jar",
                    JAR.toAbsolutePath().toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RegistryServer server = new RegistryServer(process, log, port);
    try {
      server.awaitReady();
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitReady() {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create(baseUrl + "/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build();
    await("Apicurio Registry ready at " + baseUrl + " (log: " + log + ")")
        .atMost(READY_WITHIN)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "the registry exited with " + process.exitValue() + ": " + tail());
              }
              try {
                return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
              } catch (IOException notYet) {
                return false;
              }
            });
  }

  private String tail() throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /** The registry's base URL, {@code http://127.0.0.1:PORT}. */
  String baseUrl() {
    return baseUrl;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
