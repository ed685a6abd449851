package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import io.emostream.cli.Main.UsageException;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.LiveSources;
import io.emostream.schemas.FusedEmotion;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures how far fused records trail live sources on this machine: starts the embedded platform
 * and {@code --sources} FFmpeg RTMP listeners, each serving {@code --media} in real time, looped to
 * about {@code --seconds}; pulls them all at once ({@link LiveSources}) and prints, over every
 * segment but each source's last (which waits for the end of its stream), the time from the
 * segment's end in the stream to its fused record: p50, p95 and max. A segment's end is when ingest
 * completed it (its manifest's {@code ingestTimeMs}, taken when the first media past its end
 * arrived); its fused record's time is when this reader got it. The file is analysed once first and
 * not counted (warm-up). Needs {@code ffmpeg} on the PATH. Not a test: figures depend on the
 * machine and its load.
 */
@Command(
    name = "live-bench",
    header = "measure the latency of live sources: segment end to fused record, p50 and p95",
    description = {
      "Start the embedded platform and N FFmpeg RTMP servers playing a file in real time, pull them"
          + " at once as live sources and print, from each segment's end in the stream to its fused"
          + " record, p50, p95 and max (each source's last segment left out: it waits for the stream's"
          + " end). Needs ffmpeg. Not a test: figures depend on the machine and its load."
    })
public final class LiveBench extends CliCommand {

  @Option(
      names = "--sources",
      paramLabel = "N",
      defaultValue = "1",
      description = "live sources at once (default: ${DEFAULT-VALUE})")
  private int sources;

  @Option(
      names = "--seconds",
      paramLabel = "S",
      defaultValue = "20",
      description = "media per source, the file looped (default: ${DEFAULT-VALUE})")
  private int seconds;

  @Option(
      names = "--media",
      paramLabel = "FILE",
      description = "what each server plays (default: samples/happy-speech.mp4)")
  private Path media;

  @Override
  int execute() throws Exception {
    if (sources < 1 || sources > 64 || seconds < 1) {
      throw new UsageException("--sources takes 1 to 64, --seconds at least 1");
    }
    Path file = media != null ? media : home.resolve("samples/happy-speech.mp4");
    if (!Files.isRegularFile(file)) {
      throw new InputException("no such media file: " + file);
    }
    Preflight.checkModels(env, home);
    int loops = Math.max(1, (int) Math.ceil(seconds / mediaSeconds(file)));
    List<Process> servers = new ArrayList<>();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      int max = IngestConfig.LiveLimits.fromEnv(env).maxSources();
      if (sources > max) {
        throw new UsageException(
            "--sources " + sources + " is over EMOSTREAM_MAX_LIVE_SOURCES (" + max + ")");
      }
      warmUp(platform, reader, file);
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < sources; i++) {
        int port = freePort();
        String url = "rtmp://127.0.0.1:" + port + "/live/bench" + i;
        servers.add(ffmpeg(file, loops, url));
        ids.add(
            platform
                .live()
                .start(new LiveSources.Request(url, "bench-" + i, null, null, null))
                .sourceId());
      }
      err.printf(
          "live-bench: %d source(s), %s looped %d time(s) each, pulled at once%n",
          sources, file.getFileName(), loops);
      Map<String, List<long[]>> bySource = collect(platform, reader, ids);
      print(bySource);
    } finally {
      servers.forEach(Process::destroyForcibly);
    }
    return 0;
  }

  /**
   * Analyses the file once and waits for its fused records, so the figures are those of a platform
   * that has been up a while (workers and fusion have joined their groups, the models are warm).
   */
  private void warmUp(EmbeddedPlatform platform, FusedResultReader reader, Path file) {
    Set<String> clipIds = new HashSet<>();
    platform.ingest().ingest(file, "warm-up", null).clips().forEach(c -> clipIds.add(c.clipId()));
    reader.await(clipIds, Duration.ofSeconds(180), () -> {});
  }

  /** Per source, {segment index, latency ms} of each fused record, until every source is done. */
  private Map<String, List<long[]>> collect(
      EmbeddedPlatform platform, FusedResultReader reader, Set<String> ids) throws Exception {
    Map<String, List<long[]>> bySource = new HashMap<>();
    Set<String> seen = new HashSet<>();
    long quietSince = System.nanoTime();
    while (true) {
      for (FusedEmotion segment : reader.poll(Duration.ofMillis(100))) {
        long now = System.currentTimeMillis();
        String source = segment.getSourceId();
        if (ids.contains(source) && seen.add(segment.getClipId())) {
          quietSince = System.nanoTime();
          long latency = now - segment.getIngestTimeMs().toEpochMilli();
          bySource
              .computeIfAbsent(source, k -> new ArrayList<>())
              .add(new long[] {segment.getSegmentIndex(), latency});
        }
      }
      boolean ended = ids.stream().allMatch(id -> platform.live().done(id).orElseThrow().isDone());
      if (ended) {
        int published = 0;
        for (String id : ids) {
          published += platform.live().done(id).orElseThrow().get().result().clips().size();
        }
        if (seen.size() >= published
            || System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(60)) {
          return bySource;
        }
      }
    }
  }

  private void print(Map<String, List<long[]>> bySource) {
    List<Long> latencies = new ArrayList<>();
    for (List<long[]> segments : bySource.values()) {
      long last = segments.stream().mapToLong(s -> s[0]).max().orElse(-1);
      segments.stream().filter(s -> s[0] != last).forEach(s -> latencies.add(s[1]));
    }
    latencies.sort(null);
    if (latencies.isEmpty()) {
      out.println("no fused segments to measure (each source's last is left out)");
      return;
    }
    out.printf(
        Locale.ROOT,
        "sources  segments  p50 ms  p95 ms  max ms%n%7d  %8d  %6d  %6d  %6d%n",
        bySource.size(),
        latencies.size(),
        percentile(latencies, 50),
        percentile(latencies, 95),
        latencies.get(latencies.size() - 1));
  }

  /** The nearest-rank percentile of sorted values. */
  static long percentile(List<Long> sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  private static double mediaSeconds(Path file) {
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
      g.start();
      return Math.max(0.5, g.getLengthInTime() / 1e6);
    } catch (FrameGrabber.Exception e) {
      throw new InputException("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static Process ffmpeg(Path file, int loops, String url) throws IOException {
    try {
      return new ProcessBuilder(
              "ffmpeg",
              "-hide_banner",
              "-nostdin",
              "-loglevel",
              "error",
              "-re",
              "-stream_loop",
              Integer.toString(loops - 1),
              "-i",
              file.toString(),
              "-c",
              "copy",
              "-f",
              "flv",
              "-listen",
              "1",
              url)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new InputException("live-bench needs ffmpeg on the PATH: " + e.getMessage());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
