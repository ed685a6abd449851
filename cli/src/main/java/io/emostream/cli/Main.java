package io.emostream.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.emostream.ingest.IngestException;
import io.emostream.ingest.IngestService;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusionRule;

/**
 * {@code ./emostream}: the embedded default.
 *
 * <pre>
 * emostream analyze [--json] [--rule RULE] [--timeout 120s] [--verbose] FILE|DIR...
 * emostream up                       (broker on 127.0.0.1:9092, ingest HTTP on 127.0.0.1:8080)
 * </pre>
 */
public final class Main {

  static final String USAGE = """
      usage: emostream analyze [--json] [--rule RULE] [--timeout DURATION] [--verbose] FILE|DIR...
             emostream up [--verbose]
        analyze  start the embedded platform (in-JVM Kafka + ingest, audio-worker, video-worker, fusion-stream),
                 run the files through it, print the fused emotion of every segment, and exit
        up       keep the embedded platform running: Kafka on $EMOSTREAM_KAFKA_PORT (9092),
                 ingest HTTP on $EMOSTREAM_HTTP_PORT (8080): POST /clips with a video body,
                 metrics and health on $EMOSTREAM_METRICS_PORT (9464): /metrics, /health/live, /health/ready
      """;

  private final PrintStream out;
  private final PrintStream err;
  private final Env env;
  private final Path home;

  Main(PrintStream out, PrintStream err, Env env, Path home) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.home = home;
  }

  public static void main(String[] args) {
    Path home = Path.of(System.getProperty("emostream.home", "."));
    int code = new Main(System.out, System.err, Env.system(), home).run(args);
    System.exit(code);
  }

  int run(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    boolean verbose = rest.remove("--verbose");
    if (rest.isEmpty() || rest.contains("--help") || rest.contains("-h")) {
      out.print(USAGE);
      return rest.isEmpty() ? 2 : 0;
    }
    String command = rest.remove(0);
    try {
      return switch (command) {
        case "analyze" -> analyze(rest);
        case "up" -> up();
        default -> usage("unknown command '" + command + "'");
      };
    } catch (UsageException e) {
      return usage(e.getMessage());
    } catch (Exception e) {
      err.println("emostream: " + message(e));
      if (verbose) {
        e.printStackTrace(err);
      } else {
        err.println("(run again with --verbose for details)");
      }
      return 1;
    }
  }

  private int usage(String problem) {
    err.println("emostream: " + problem);
    err.print(USAGE);
    return 2;
  }

  private static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException)) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private int analyze(List<String> args) throws Exception {
    boolean json = false;
    FusionRule rule = null;
    Duration timeout = Duration.ofSeconds(180);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--json" -> json = true;
        case "--rule" -> rule = parseRule(value(args, ++i, a));
        case "--timeout" -> timeout = new Env(Map.of("t", value(args, ++i, a))).duration("t", timeout);
        default -> {
          if (a.startsWith("--")) {
            throw new UsageException("unknown option '" + a + "'");
          }
          files.addAll(expand(Path.of(a)));
        }
      }
    }
    if (files.isEmpty()) {
      throw new UsageException("analyze needs at least one video or audio file");
    }
    List<FusedEmotion> results = new ArrayList<>();
    int failed = 0;
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      Set<String> clipIds = new LinkedHashSet<>();
      for (Path file : files) {
        try {
          IngestService.Result result = platform.ingest().ingest(file, file.getFileName().toString(), rule);
          result.clips().forEach(c -> clipIds.add(c.clipId()));
          err.printf("ingested %s: %d segment(s)%n", file, result.clips().size());
        } catch (IngestException e) {
          failed++;
          err.printf("emostream: %s: %s%n", file, e.getMessage());
        }
      }
      int[] done = {0};
      Map<String, FusedEmotion> fused = reader.await(clipIds, timeout,
          () -> err.printf("fused %d/%d segments%n", ++done[0], clipIds.size()));
      for (String clipId : clipIds) {
        if (fused.containsKey(clipId)) {
          results.add(fused.get(clipId));
        } else {
          failed++;
          err.printf("emostream: no fused result for segment %s within %s%n", clipId, timeout);
        }
      }
    }
    print(results, json);
    return failed == 0 ? 0 : 1;
  }

  private void print(List<FusedEmotion> results, boolean json) throws Exception {
    if (json) {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      out.println(mapper.writeValueAsString(results.stream().map(ResultFormat::json).toList()));
    } else {
      out.print(ResultFormat.table(results));
    }
  }

  private int up() throws Exception {
    int kafkaPort = env.integer("EMOSTREAM_KAFKA_PORT", 9092, 1, 65535);
    EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, kafkaPort);
    int httpPort = platform.startHttp(env.string("EMOSTREAM_HTTP_HOST", "127.0.0.1"),
        env.integer("EMOSTREAM_HTTP_PORT", 8080, 0, 65535));
    io.emostream.ops.OpsServer ops = platform.startOps(
        io.emostream.ops.OpsConfig.fromEnv(env, io.emostream.ops.OpsConfig.EMBEDDED_PORT));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      err.println("emostream: stopping");
      platform.close();
      stopped.countDown();
    }, "emostream-up-shutdown"));
    err.printf("emostream is up: Kafka at %s, upload with%n"
        + "  curl --data-binary @clip.mp4 -H 'Content-Type: video/mp4' http://%s:%d/clips%n"
        + "fused results on topic %s; metrics on %s, health on %s; Ctrl-C to stop%n",
        platform.kafka().bootstrapServers(), env.string("EMOSTREAM_HTTP_HOST", "127.0.0.1"), httpPort,
        platform.topics().fused().name(), ops.url("/metrics"), ops.url("/health/ready"));
    stopped.await();
    return 0;
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  private static FusionRule parseRule(String raw) {
    try {
      return FusionRule.valueOf(raw.toUpperCase().replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new UsageException("unknown fusion rule '" + raw + "'; accepted: " + java.util.Arrays.toString(FusionRule.values()));
    }
  }

  /** A directory stands for the media files in it (sorted); a missing path is a usage error. */
  static List<Path> expand(Path path) throws java.io.IOException {
    if (Files.isDirectory(path)) {
      try (var stream = Files.list(path)) {
        return stream.filter(Files::isRegularFile)
            .filter(p -> p.getFileName().toString().matches("(?i).*\\.(mp4|mkv|webm|mov|avi|wav|flac|mp3|m4a|ogg)$"))
            .sorted().toList();
      }
    }
    if (!Files.exists(path)) {
      throw new UsageException("no such file: " + path);
    }
    return List.of(path);
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
