package io.emostream.cli;

import io.emostream.audio.AudioWorkerMain;
import io.emostream.inference.VadConfig;
import io.emostream.inference.WorkerConfig;
import io.emostream.ingest.IngestConfig;
import io.emostream.schemas.FusionStatus;
import io.emostream.topics.Topics;
import io.emostream.video.FaceConfig;
import io.emostream.video.VideoWorkerMain;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./emostream bench [STAGE...]}: each stage of the pipeline next to its natural limit, run
 * alternately in the same process and window, with absolute figures, the ratio and (with {@code
 * --json FILE}) JSON for tracking. Not a test: figures depend on the machine and its load, which
 * the output records.
 *
 * <p>Just over 300 lines, most of them its options' help and the printing of each stage's figures;
 * the stages themselves are {@link InferenceBench}, {@link IngestBench}, {@link FusionBench} and
 * {@link PipelineBench}.
 */
@Command(
    name = "bench",
    header = "measure each stage next to its natural limit on this machine",
    description = {
      "Stages (default all): audio (the audio worker's predictor, voice activity on, vs bare ONNX"
          + " Runtime running the same VAD batches and speech model; then the VAD with a poll's clips"
          + " together vs one clip at a time), face (the video worker's"
          + " face path vs bare ONNX Runtime on the same frames), ingest (VideoDemuxer vs the ffmpeg"
          + " CLI on the same file; skipped without ffmpeg), fusion (the topology on the test"
          + " driver vs a bare decode + fuse + encode loop), broker (fusion through the in-JVM"
          + " broker, exactly-once), e2e (one media file through the whole platform: core-seconds"
          + " per media-second, and each worker's CPU per item against its bare ONNX Runtime loop"
          + " on the same media's clips), payload (bytes per clip per topic). Compared stages alternate"
          + " subject and limit for --seconds each. Not a test: figures depend on the machine and"
          + " its load."
    })
public final class BenchCommand extends CliCommand {

  /** The stages, in the order they run. */
  enum Stage {
    AUDIO,
    FACE,
    INGEST,
    FUSION,
    BROKER,
    E2E,
    PAYLOAD
  }

  @Parameters(
      paramLabel = "STAGE",
      arity = "0..*",
      description = "audio, face, ingest, fusion, broker, e2e, payload (default: all)")
  private List<String> stageNames = new ArrayList<>();

  @Option(
      names = "--seconds",
      paramLabel = "N",
      defaultValue = "8",
      description = "wall seconds per compared stage (default: ${DEFAULT-VALUE})")
  private int seconds;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "also write every figure as JSON to FILE")
  private Path json;

  @Option(
      names = "--media",
      paramLabel = "FILE",
      description =
          "media for ingest, e2e and payload (default: samples/happy-speech.mp4 looped to"
              + " --media-seconds at 1280x720 by ffmpeg, or the sample itself without ffmpeg)")
  private Path media;

  @Option(
      names = "--media-seconds",
      paramLabel = "N",
      defaultValue = "60",
      description = "length of the synthetic media (default: ${DEFAULT-VALUE})")
  private int mediaSeconds;

  @Option(
      names = "--e2e-warmup",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "e2e: passes of the media after the first (cold) one that warm the platform up and are"
              + " not measured (default: ${DEFAULT-VALUE})")
  private int e2eWarmup;

  @Option(
      names = "--e2e-passes",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "e2e: passes measured after the warm-up, for the steady-state figures (default:"
              + " ${DEFAULT-VALUE})")
  private int e2ePasses;

  @Option(
      names = "--fusion-clips",
      paramLabel = "N",
      defaultValue = "2000",
      description = "clips per fusion round on the test driver (default: ${DEFAULT-VALUE})")
  private int fusionClips;

  @Option(
      names = "--broker-clips",
      paramLabel = "N",
      defaultValue = "40000",
      description =
          "clips sent through the broker, timed after a quarter as many untimed (default:"
              + " ${DEFAULT-VALUE})")
  private int brokerClips;

  static Set<Stage> parseStages(List<String> names) {
    if (names.isEmpty()) {
      return EnumSet.allOf(Stage.class);
    }
    Set<Stage> stages = EnumSet.noneOf(Stage.class);
    for (String name : names) {
      try {
        stages.add(Stage.valueOf(name.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new Main.UsageException(
            "unknown stage '"
                + name
                + "'; stages are audio, face, ingest, fusion, broker, e2e, payload");
      }
    }
    return stages;
  }

  @Override
  int execute() throws Exception {
    Set<Stage> stages = parseStages(stageNames);
    if (seconds < 1 || mediaSeconds < 1 || fusionClips < 1 || brokerClips < 1 || e2ePasses < 1) {
      throw new Main.UsageException(
          "--seconds, --media-seconds, --fusion-clips, --broker-clips and --e2e-passes must be 1"
              + " or more");
    }
    if (e2eWarmup < 0) {
      throw new Main.UsageException("--e2e-warmup must be 0 or more");
    }
    if (media != null && !Files.isRegularFile(media)) {
      throw new Main.UsageException("--media " + media + " is not a file");
    }
    WorkerConfig audioConfig =
        WorkerConfig.fromEnv(env, "AUDIO", home.resolve(AudioWorkerMain.DEFAULT_MODEL));
    WorkerConfig videoConfig =
        WorkerConfig.fromEnv(env, "VIDEO", home.resolve(VideoWorkerMain.DEFAULT_MODEL));
    IngestConfig ingestConfig = IngestConfig.fromEnv(env);
    VadConfig vadConfig = VadConfig.fromEnv(env, home.resolve(VadConfig.DEFAULT_MODEL));
    Topics topics = Topics.defaults();
    Duration budget = Duration.ofSeconds(seconds);
    Alternation alternation = Alternation.ofThisProcess();
    BenchFigures.Report report = new BenchFigures.Report();
    describeMachine(report, audioConfig.threads());
    Path work = Files.createTempDirectory("emostream-bench-");
    try {
      boolean ffmpeg = BenchMedia.hasFfmpeg();
      Map<String, List<byte[]>> sampleRecords =
          stages.contains(Stage.FACE)
              ? BenchMedia.records(ingestConfig, topics, inferenceSamples())
              : Map.of();
      InferenceBench inference = new InferenceBench(alternation, budget, audioConfig.threads());
      if (stages.contains(Stage.AUDIO)) {
        List<BenchFigures.Comparison> audioStage =
            inference.audio(
                audioConfig.model(),
                vadConfig,
                audioConfig.maxPollRecords(),
                BenchMedia.records(ingestConfig, topics, audioSamples()).get(topics.audio().name()),
                true);
        audioStage.forEach(comparison -> print(report, comparison));
      }
      if (stages.contains(Stage.FACE)) {
        BenchFigures.Comparison face =
            inference.face(
                videoConfig.model(),
                sampleRecords.get(topics.frames().name()),
                videoConfig.maxBatch(),
                FaceConfig.fromEnv(env));
        print(report, face);
      }
      Path file =
          stages.contains(Stage.INGEST)
                  || stages.contains(Stage.E2E)
                  || stages.contains(Stage.PAYLOAD)
              ? media(ffmpeg, work)
              : null;
      if (stages.contains(Stage.INGEST)) {
        if (ffmpeg) {
          print(
              report,
              new IngestBench(alternation, budget, ingestConfig).compare(file, work, report));
        } else {
          skipped(report, "ingest", "no ffmpeg");
        }
      }
      FusionBench fusion = new FusionBench(alternation, budget, fusionClips);
      if (stages.contains(Stage.FUSION)) {
        Path state = Files.createTempDirectory(work, "fusion-");
        for (BenchFigures.Comparison comparison : fusion.driverVsBare(state)) {
          print(report, comparison);
        }
      }
      if (stages.contains(Stage.BROKER)) {
        broker(report, fusion, Files.createTempDirectory(work, "broker-"));
      }
      if (stages.contains(Stage.E2E)) {
        // the workers' bare ONNX Runtime limits on the very clips the e2e passes stream (the
        // audio and face stages run on the samples, whose frames are mostly smaller)
        Map<String, List<byte[]>> e2eRecords =
            BenchMedia.records(ingestConfig, topics, List.of(file));
        BenchFigures.Comparison audioLimit =
            renamed(
                inference
                    .audio(
                        audioConfig.model(),
                        vadConfig,
                        audioConfig.maxPollRecords(),
                        e2eRecords.get(topics.audio().name()),
                        false)
                    .get(0),
                "audio-e2e-media");
        print(report, audioLimit);
        BenchFigures.Comparison faceLimit =
            renamed(
                inference.face(
                    videoConfig.model(),
                    e2eRecords.get(topics.frames().name()),
                    videoConfig.maxBatch(),
                    FaceConfig.fromEnv(env)),
                "face-e2e-media");
        print(report, faceLimit);
        endToEnd(report, file, ingestConfig.framesPerSegment(), audioLimit, faceLimit);
      }
      if (stages.contains(Stage.PAYLOAD)) {
        payload(report, ingestConfig, topics, file);
      }
    } finally {
      deleteRecursively(work);
    }
    if (json != null) {
      BenchFigures.JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report.toJson());
      out.println("JSON: " + json);
    }
    return 0;
  }

  private static BenchFigures.Comparison renamed(BenchFigures.Comparison comparison, String stage) {
    return new BenchFigures.Comparison(
        stage, comparison.item(), comparison.subject(), comparison.limit());
  }

  private List<Path> inferenceSamples() {
    List<Path> samples = new ArrayList<>();
    samples.add(home.resolve("samples/happy-speech.mp4"));
    Path ravdess = home.resolve("samples/labelled/01-01-01-01-01-01-01.mp4");
    if (Files.isRegularFile(ravdess)) {
      samples.add(ravdess);
    }
    return samples;
  }

  /**
   * The audio stage's clips: the face samples and every labelled sample (samples/labelled: 14
   * RAVDESS clips, 4 s each), enough for the worker's polls of 8.
   */
  private List<Path> audioSamples() throws IOException {
    List<Path> samples = new ArrayList<>(inferenceSamples());
    Path labelled = home.resolve("samples/labelled");
    if (Files.isDirectory(labelled)) {
      try (var files = Files.list(labelled)) {
        files
            .filter(f -> f.getFileName().toString().endsWith(".mp4") && !samples.contains(f))
            .sorted()
            .forEach(samples::add);
      }
    }
    return samples;
  }

  private Path media(boolean ffmpeg, Path work) throws Exception {
    if (media != null) {
      return media;
    }
    Path sample = home.resolve("samples/happy-speech.mp4");
    if (!ffmpeg) {
      out.println("media: " + sample + " (no ffmpeg to make a longer synthetic one)");
      return sample;
    }
    Path synthetic = BenchMedia.synthetic(sample, mediaSeconds, work);
    out.printf(
        "media: %s looped to %d s at 1280x720 (H.264 + AAC, made by ffmpeg)%n",
        sample, mediaSeconds);
    return synthetic;
  }

  private void broker(BenchFigures.Report report, FusionBench fusion, Path state) throws Exception {
    FusionBench.BrokerRun run = fusion.throughBroker(brokerClips, state, Duration.ofMinutes(5));
    out.println("broker: fusion-stream (exactly-once) on the in-JVM broker");
    out.printf(
        Locale.ROOT,
        "  %d clips in %.2f s: %.0f clips/s, %.0f clips per CPU-second of the process"
            + " (broker, producer and reader included), %.0f per CPU-second of fusion-stream's"
            + " own threads%n",
        run.clips(),
        run.wallMs() / 1000,
        run.clipsPerSecond(),
        run.clipsPerCpuSecond(),
        run.clipsPerFusionCpuSecond());
    out.printf(
        Locale.ROOT,
        "  at the last fused record read (%.2f s in; the summary's work on the last clips not"
            + " yet done): %.0f per CPU-second of fusion-stream's own threads%n",
        run.fusedWallMs() / 1000,
        run.clipsPerFusionCpuSecondToFused());
    report.figure("broker", "clips", run.clips());
    report.figure("broker", "clipsPerSecond", run.clipsPerSecond());
    report.figure("broker", "clipsPerCpuSecond", run.clipsPerCpuSecond());
    report.figure("broker", "clipsPerFusionCpuSecond", run.clipsPerFusionCpuSecond());
    report.figure("broker", "clipsPerFusionCpuSecondToFused", run.clipsPerFusionCpuSecondToFused());
  }

  /**
   * {@code audio} and {@code face}: the workers' predictors against their bare ONNX Runtime loops
   * on this media's own clips, whose bare side per item is the limit the workers' threads are
   * compared with.
   */
  private void endToEnd(
      BenchFigures.Report report,
      Path file,
      int framesPerSegment,
      BenchFigures.Comparison audio,
      BenchFigures.Comparison face)
      throws Exception {
    PipelineBench.Passes passes =
        PipelineBench.endToEnd(env, home, file, e2eWarmup, e2ePasses, Duration.ofMinutes(10));
    out.println("e2e: " + file.getFileName() + " through the embedded platform");
    printPass("first pass after start (cold)", passes.first());
    PipelineBench.Run steady = passes.steadyTotal();
    printPass(
        "steady state, "
            + passes.steady().size()
            + " passes after "
            + passes.warmupPasses()
            + " unmeasured",
        steady);
    figures(report, "", passes.first());
    figures(report, "steady", steady);
    Map<String, Double> byGroup = new LinkedHashMap<>(passes.steadyCpu());
    double threads = byGroup.values().stream().mapToDouble(Double::doubleValue).sum();
    if (threads > 0) {
      // a thread that ended in between took its time with it: FFmpeg's decoder threads, per file
      byGroup.put(
          "ended threads (FFmpeg decoders, one set per file)", steady.cpuSeconds() - threads);
      out.println("  steady state CPU by thread group (core-seconds per media-second, share):");
      byGroup.forEach(
          (group, cpu) -> {
            out.printf(
                Locale.ROOT,
                "    %-52s %.4f %5.1f %%%n",
                group,
                cpu / steady.mediaSeconds(),
                100 * cpu / steady.cpuSeconds());
            report.figure(
                "e2e", "steadyCoreSecondsPerMediaSecond " + group, cpu / steady.mediaSeconds());
          });
      throughKafka(
          report,
          ThreadCpu.AUDIO_WORKER,
          "clip",
          "steadyAudioWorkerCpuMsPerClip",
          byGroup.get(ThreadCpu.AUDIO_WORKER) * 1000 / steady.segments(),
          audio);
      throughKafka(
          report,
          ThreadCpu.VIDEO_WORKER,
          "frame",
          "steadyVideoWorkerCpuMsPerFrame",
          byGroup.get(ThreadCpu.VIDEO_WORKER)
              * 1000
              / ((double) steady.segments() * framesPerSegment),
          face);
    }
  }

  /**
   * A worker's own threads' CPU per item in the steady passes (consuming from the broker, decoding,
   * inference, producing, committing: the worker as deployed), beside the bare ONNX Runtime loop's
   * CPU per item on the same media.
   */
  private void throughKafka(
      BenchFigures.Report report,
      String worker,
      String item,
      String key,
      double cpuMsPerItem,
      BenchFigures.Comparison stage) {
    report.figure("e2e", key, cpuMsPerItem);
    BenchFigures.Side bare = stage.limit();
    double bareMs = bare.meanCpuMs() / bare.itemsPerRound();
    out.printf(
        Locale.ROOT,
        "  %s through Kafka (steady): %.2f CPU ms per %s, %.2fx %s's %.2f%n",
        worker,
        cpuMsPerItem,
        item,
        cpuMsPerItem / bareMs,
        bare.name(),
        bareMs);
    report.figure("e2e", key + "RatioToBareOrt", cpuMsPerItem / bareMs);
  }

  private void printPass(String name, PipelineBench.Run run) {
    out.printf(
        Locale.ROOT,
        "  %s: %.1f s of media, %d segments in %.1f s wall, %.1f CPU-s: %.3f core-seconds per"
            + " media-second, %.2f real-time streams per core; %.1f %% COMPLETE %s%n",
        name,
        run.mediaSeconds(),
        run.segments(),
        run.wallSeconds(),
        run.cpuSeconds(),
        run.coreSecondsPerMediaSecond(),
        run.realTimeStreamsPerCore(),
        100 * run.completeShare(),
        run.statuses());
  }

  /** The figures of one run under {@code prefix} ("" for the first pass: the keys as before). */
  private static void figures(BenchFigures.Report report, String prefix, PipelineBench.Run run) {
    BiConsumer<String, Number> figure =
        (name, value) ->
            report.figure(
                "e2e",
                prefix.isEmpty()
                    ? name
                    : prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1),
                value.doubleValue());
    figure.accept("mediaSeconds", run.mediaSeconds());
    figure.accept("wallSeconds", run.wallSeconds());
    figure.accept("cpuSeconds", run.cpuSeconds());
    figure.accept("coreSecondsPerMediaSecond", run.coreSecondsPerMediaSecond());
    figure.accept("realTimeStreamsPerCore", run.realTimeStreamsPerCore());
    figure.accept("completeShare", run.completeShare());
    figure.accept("fusedBytesPerClip", run.fusedBytes() / (double) run.segments());
    for (FusionStatus status : FusionStatus.values()) {
      figure.accept("segments" + status, run.statuses().getOrDefault(status, 0));
    }
  }

  private void payload(BenchFigures.Report report, IngestConfig config, Topics topics, Path file) {
    Map<String, List<byte[]>> records = BenchMedia.records(config, topics, List.of(file));
    int clips = records.get(topics.manifests().name()).size();
    out.printf("payload: bytes per clip by topic (%d clips of %s)%n", clips, file.getFileName());
    PipelineBench.bytesPerClip(records, clips)
        .forEach(
            (topic, bytes) -> {
              out.printf(Locale.ROOT, "  %-28s %10.0f bytes/clip%n", topic, bytes);
              report.figure("payload", topic, bytes);
            });
  }

  private void print(BenchFigures.Report report, BenchFigures.Comparison comparison) {
    out.println(comparison.stage() + ":");
    comparison.lines().forEach(out::println);
    report.add(comparison);
  }

  private void skipped(BenchFigures.Report report, String stage, String why) {
    out.println(stage + ": skipped: " + why);
    report.skipped(stage, why);
  }

  private void describeMachine(BenchFigures.Report report, int threads) {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cpus = Runtime.getRuntime().availableProcessors();
    out.printf(
        Locale.ROOT,
        "bench: %d CPUs, load average %.2f at start, ONNX Runtime intra-op threads %s,"
            + " %d s per compared stage%n",
        cpus,
        load,
        threads == 0 ? "default" : Integer.toString(threads),
        seconds);
    report.machine().put("cpus", cpus);
    BenchFigures.putNumber(report.machine(), "loadAverage", load);
    report.machine().put("inferenceThreads", threads);
    report.machine().put("secondsPerStage", seconds);
    report.machine().put("javaVersion", System.getProperty("java.version"));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
