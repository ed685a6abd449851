package io.emostream.kafka.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM,
 * built from Kafka's own server classes. Used by {@code ./emostream} and by every {@code *IT}.
 *
 * <p>Storage is formatted with {@link Formatter} (not {@code StorageTool.main}, which calls {@code
 * System.exit}) at the latest <em>production</em> metadata version and production feature levels,
 * so the broker never boots an unreleased metadata version. Replication factors and the transaction
 * log's min ISR are 1, without which consumer groups and transactions hang on one node.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final int NODE_ID = 1;

  private final String host;
  private final int port;
  private final Path logDir;
  private final boolean deleteOnClose;
  private KafkaRaftServer server;

  private EmbeddedKafkaBroker(String host, int port, Path logDir, boolean deleteOnClose) {
    this.host = host;
    this.port = port;
    this.logDir = logDir;
    this.deleteOnClose = deleteOnClose;
  }

  /** A broker on a free loopback port with a temporary log directory removed on close. */
  public static EmbeddedKafkaBroker start() {
    return start("127.0.0.1", 0, null);
  }

  /**
   * Starts a broker on {@code host:port} (port 0 picks a free one). With a null {@code logDir} the
   * data lives in a temporary directory removed on close; otherwise it persists across restarts.
   */
  public static EmbeddedKafkaBroker start(String host, int port, Path logDir) {
    try {
      boolean temporary = logDir == null;
      // the pid in the name lets the next platform remove it when this process is killed (kill -9)
      Path dir =
          temporary
              ? Files.createTempDirectory("emostream-kafka-" + ProcessHandle.current().pid() + "-")
              : logDir;
      EmbeddedKafkaBroker broker =
          new EmbeddedKafkaBroker(host, port == 0 ? freePort(host) : port, dir, temporary);
      broker.startServer();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return host + ":" + port;
  }

  private void startServer() throws IOException {
    int controllerPort = freePort(host);
    Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    props.put(
        "listeners",
        "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + bootstrapServers());
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    // One node: every internal topic has one replica, or groups and transactions hang silently.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    props.put("num.partitions", "1");
    props.put("auto.create.topics.enable", "false");
    // Rebalance at once: a local broker has no stragglers to wait for.
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    props.put("message.max.bytes", Integer.toString(16 * 1024 * 1024 + 1024));
    KafkaConfig config = new KafkaConfig(props, false);

    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir, host + ":" + controllerPort);
    }
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    LOG.info(
        "In-JVM Kafka broker (KRaft) listening on {} with data in {}", bootstrapServers(), logDir);
  }

  private static void format(Path logDir, String controller) throws IOException {
    Files.createDirectories(logDir);
    try {
      new Formatter()
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setUnstableFeatureVersionsEnabled(false)
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .run();
    } catch (Exception e) {
      throw new IllegalStateException(
          "could not format Kafka storage in " + logDir + ": " + e.getMessage(), e);
    }
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
      LOG.info("In-JVM Kafka broker on {} stopped", bootstrapServers());
    }
    if (deleteOnClose) {
      deleteRecursively(logDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete {}", dir, e);
    }
  }
}
