package io.emostream.cli;

import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.VideoDemuxer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The ingest stage of {@code bench}: {@link VideoDemuxer} (decode, 16 kHz mono PCM, the frames
 * ingest keeps as JPEGs at their largest side) against the ffmpeg CLI asked for the same outputs
 * from the same file, alternately. The CLI's CPU time is its own (user + system, from bash's {@code
 * times} after it exits); the demuxer's is the JVM's.
 */
final class IngestBench {

  /** What one side produced from the file: clips (ingest only), JPEG frames, PCM samples. */
  record Output(int clips, int frames, long samples) {}

  private final Alternation alternation;
  private final Duration budget;
  private final IngestConfig config;

  IngestBench(Alternation alternation, Duration budget, IngestConfig config) {
    this.alternation = alternation;
    this.budget = budget;
    this.config = config;
  }

  /** Frames per second ingest keeps: {@code framesPerSegment} over a segment. */
  double keptFps() {
    return config.framesPerSegment() * 1000.0 / config.segmentMs();
  }

  BenchFigures.Comparison compare(Path file, Path workDir, BenchFigures.Report report)
      throws Exception {
    Output[] last = new Output[2];
    BenchFigures.Comparison comparison =
        alternation.compare(
            "ingest",
            "file",
            "ingest VideoDemuxer",
            () ->
                () -> {
                  last[0] = demux(file);
                  return Alternation.Done.items(1);
                },
            "ffmpeg CLI",
            () ->
                () -> {
                  double[] cpuMs = new double[1];
                  last[1] = ffmpeg(file, workDir, cpuMs);
                  return new Alternation.Done(1, cpuMs[0]);
                },
            budget,
            2);
    report.figure("ingest", "ingestFrames", last[0].frames());
    report.figure("ingest", "ffmpegFrames", last[1].frames());
    report.figure("ingest", "ingestSamples", last[0].samples());
    report.figure("ingest", "ffmpegSamples", last[1].samples());
    report.figure("ingest", "keptFps", keptFps());
    return comparison;
  }

  Output demux(Path file) {
    int[] clips = new int[1];
    int[] frames = new int[1];
    long[] samples = new long[1];
    try (VideoDemuxer demuxer = new VideoDemuxer(config)) {
      demuxer.demux(
          file,
          clip -> {
            clips[0]++;
            frames[0] += clip.frames().size();
            samples[0] += clip.pcm16le().length / 2;
          });
    }
    return new Output(clips[0], frames[0], samples[0]);
  }

  /**
   * The ffmpeg CLI: 16 kHz mono s16le PCM and JPEGs at {@link #keptFps} no larger than
   * maxFrameSide, into {@code workDir}; {@code cpuMs[0]} gets its CPU time.
   */
  Output ffmpeg(Path file, Path workDir, double[] cpuMs) throws IOException, InterruptedException {
    Path frames = Files.createTempDirectory(workDir, "ffmpeg-frames-");
    Path pcm = workDir.resolve("ffmpeg-audio.pcm");
    try {
      int side = config.maxFrameSide();
      String script =
          String.format(
              Locale.ROOT,
              "ffmpeg -nostdin -v error -y -i \"$1\" -map 0:a:0 -ac 1 -ar %d -f s16le \"$2\""
                  + " -map 0:v:0 -vf 'fps=%s,scale=w=min(%d\\,iw):h=min(%d\\,ih)"
                  + ":force_original_aspect_ratio=decrease' -q:v 3 \"$3/%%06d.jpg\" && times",
              VideoDemuxer.SAMPLE_RATE,
              Double.toString(keptFps()),
              side,
              side);
      Process p =
          new ProcessBuilder(
                  "bash", "-c", script, "bench", file.toString(), pcm.toString(), frames.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IOException("the ffmpeg CLI failed on " + file + ": " + out.strip());
      }
      cpuMs[0] = childCpuMs(out);
      try (Stream<Path> jpegs = Files.list(frames)) {
        return new Output(0, (int) jpegs.count(), Files.size(pcm) / 2);
      }
    } finally {
      deleteAll(frames);
      Files.deleteIfExists(pcm);
    }
  }

  /**
   * User + system time of the children in the output of bash's {@code times} (its second line,
   * {@code 0m1.234s 0m0.056s}).
   */
  static double childCpuMs(String timesOutput) {
    List<String> lines = new ArrayList<>();
    for (String line : timesOutput.strip().split("\n")) {
      if (line.matches("\\s*\\d+m[\\d.]+s \\d+m[\\d.]+s\\s*")) {
        lines.add(line.strip());
      }
    }
    if (lines.size() < 2) {
      throw new IllegalArgumentException("no children's times in: " + timesOutput);
    }
    double ms = 0;
    for (String part : lines.get(lines.size() - 1).split(" ")) {
      int m = part.indexOf('m');
      ms +=
          (Integer.parseInt(part.substring(0, m)) * 60
                  + Double.parseDouble(part.substring(m + 1, part.length() - 1)))
              * 1000;
    }
    return ms;
  }

  private static void deleteAll(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }
}
