package io.emostream.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

import io.emostream.audio.AudioWorkerMain;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.FusionRules;
import io.emostream.fusion.LogisticRegressionModel;
import io.emostream.inference.ModelManifest;
import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.FusedSegmentStore;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.IngestException;
import io.emostream.ingest.IngestService;
import io.emostream.ingest.Ingestor;
import io.emostream.kafka.Env;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.schemas.FusionRule;
import io.emostream.video.VideoWorkerMain;

/**
 * {@code ./emostream}: the embedded default.
 *
 * <pre>
 * emostream analyze [--json|--json-array] [--report FILE.html] [--rule RULE] [--channel MODE] [--timeout 180s]
 *                   [--verbose] [--source-id ID] FILE|DIR|@LIST... [--from LIST]
 * emostream up                       (broker on 127.0.0.1:9092, ingest HTTP on 127.0.0.1:8080)
 * emostream evaluate [--rule all|RULE] [--json] [--report FILE.html] [--timeout D] DIR
 * emostream train-fusion [--out FILE] [--timeout D] DIR
 * </pre>
 *
 * Progress goes to stderr (a redrawn bar when stderr is a terminal, plain lines otherwise, see {@link Terminal}),
 * results to stdout: a table, or with {@code --json} one JSON line per fused segment as soon as it is fused. A failure
 * is one line saying what went wrong and what to do; {@code --verbose} adds the trace.
 */
public final class Main {

  static final String USAGE = """
      usage: emostream analyze [options] FILE|DIR|@LIST...
             emostream up [--verbose]
             emostream evaluate [--rule all|RULE] [--json] [--report FILE.html] [--timeout DURATION] DIR
             emostream train-fusion [--out FILE] [--timeout DURATION] DIR
        analyze  start the embedded platform (in-JVM Kafka + ingest, audio-worker, video-worker, fusion-stream),
                 run the files through it, print the fused emotion of every segment, and exit
          FILE          a video (mp4, mkv, webm, mov, avi, flv, m4v, mpg, 3gp, wmv) or audio file (wav, flac,
                        mp3, m4a, aac, ogg, opus, wma)
          DIR           the media files in it (not recursive)
          @LIST         the files named in LIST, one per line (# comments and blank lines ignored)
          --from LIST   the same as @LIST
          --json        print JSON lines instead of a table: one object per segment, as soon as it is fused
          --json-array  print one JSON array of every segment at the end instead
          --report F    also write an HTML report (timeline and per-modality distributions) to F
          --rule RULE   fusion rule (AVERAGE)
          --channel M   audio channel of a stereo call: mix, left, right or both ($EMOSTREAM_AUDIO_CHANNEL;
                        with $EMOSTREAM_CHANNEL_ROLES such as left:agent,right:customer the default is the customer's)
          --timeout D   how long to wait for the next fused result (180s)
          --source-id I the source id of the results (one file; letters, digits, . _ -; default: a new UUID)
          --verbose     stack traces on errors
        up       keep the embedded platform running: Kafka on $EMOSTREAM_KAFKA_PORT (9092),
                 ingest HTTP on $EMOSTREAM_HTTP_PORT (8080): POST /clips with a video body,
                 GET /sources/ID the fused segments of a source so far, GET / the endpoints,
                 metrics and health on $EMOSTREAM_METRICS_PORT (9464): /metrics, /health/live, /health/ready
        evaluate run every labelled file in DIR (RAVDESS, CREMA-D or EmoDB names, or listed in DIR/labels.csv
                 as file,label,speaker; video, or audio-only files)
                 through the platform and print the accuracy of each modality and fusion rule (--rule all, the
                 default, scores all six on the same clips), the confusion matrix and per-class precision and
                 recall of the best; --json the same as JSON; --report also writes an HTML page with charts;
                 without EMOSTREAM_FUSION_LR_MODEL, LOGISTIC_REGRESSION is cross-validated on DIR's own clips
                 (out-of-fold, subject-wise folds; one fold per file for a single speaker)
        train-fusion  train the LOGISTIC_REGRESSION fusion on the labelled clips in DIR (labelled as for evaluate;
                 segments with both a face and speech are the examples; subject-wise
                 cross-validation, then a fit on all) and write it to FILE (default fusion-lr.json);
                 use it with EMOSTREAM_FUSION_LR_MODEL=FILE
      """;

  private final PrintStream out;
  private final PrintStream err;
  private final Env env;
  private final Path home;
  private final boolean interactive;
  private boolean verbose;

  Main(PrintStream out, PrintStream err, Env env, Path home) {
    this(out, err, env, home, false);
  }

  /** {@code interactive}: stderr is a terminal, so progress is a bar redrawn in place. */
  Main(PrintStream out, PrintStream err, Env env, Path home, boolean interactive) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.home = home;
    this.interactive = interactive;
  }

  public static void main(String[] args) {
    // every command runs the workers in this JVM: on a signal they stop before ONNX Runtime frees its environment
    io.emostream.inference.OrderlyStop.installSignalHandlers();
    Path home = Path.of(System.getProperty("emostream.home", "."));
    int code = new Main(System.out, System.err, Env.system(), home, Terminal.stderrIsTerminal()).run(args);
    System.exit(code);
  }

  int run(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    verbose = rest.remove("--verbose");
    if (rest.isEmpty() || rest.contains("--help") || rest.contains("-h")) {
      out.print(USAGE);
      return rest.isEmpty() ? 2 : 0;
    }
    String command = rest.remove(0);
    try {
      return switch (command) {
        case "analyze" -> analyze(rest);
        case "up" -> up();
        case "evaluate" -> evaluate(rest);
        case "train-fusion" -> trainFusion(rest);
        default -> usage("unknown command '" + command + "'");
      };
    } catch (UsageException e) {
      return usage(e.getMessage());
    } catch (InputException e) {
      err.println("emostream: " + e.getMessage());
      if (verbose && e.getCause() != null) {
        e.getCause().printStackTrace(err);
      }
      return 2;
    } catch (Exception e) {
      err.println("emostream: " + Problems.explain(e));
      if (verbose) {
        e.printStackTrace(err);
      } else {
        err.println("(run again with --verbose for details)");
      }
      return 1;
    }
  }

  /** The problem in one line, and where the usage is (printing all of it would scroll the problem away). */
  private int usage(String problem) {
    err.println("emostream: " + problem);
    err.println("(./emostream --help lists the commands and their options)");
    return 2;
  }

  /** How {@code analyze} prints the fused segments on stdout. */
  enum Output {
    /** A table for people, once every segment is in. */
    TABLE,
    /** {@code --json}: one JSON object per line ({@link FusedSegmentJson}), each written as its segment is fused. */
    JSON_LINES,
    /** {@code --json-array}: one JSON array of every segment, in input order, once every segment is in. */
    JSON_ARRAY
  }

  /** What {@code analyze} was asked for; {@code rule} null for the fusion default. */
  record AnalyzeArgs(Output output, Path report, FusionRule rule, String channel, Duration timeout, String sourceId,
      List<Path> files) {
    AnalyzeArgs withFiles(List<Path> newFiles) {
      return new AnalyzeArgs(output, report, rule, channel, timeout, sourceId, List.copyOf(newFiles));
    }
  }

  /** Parses {@code analyze}'s options and expands its inputs (missing files are an {@link InputException}). */
  static AnalyzeArgs parseAnalyze(List<String> args) throws java.io.IOException {
    Output output = Output.TABLE;
    Path report = null;
    FusionRule rule = null;
    String channel = null;
    Duration timeout = Duration.ofSeconds(180);
    String sourceId = null;
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--json", "--json-array" -> output = jsonOutput(output, a);
        case "--report" -> report = Path.of(value(args, ++i, a));
        case "--rule" -> rule = parseRule(value(args, ++i, a));
        case "--channel" -> channel = value(args, ++i, a);
        case "--source-id" -> sourceId = checkSourceId(value(args, ++i, a));
        case "--from" -> files.addAll(Inputs.fromList(Path.of(value(args, ++i, a))));
        case "--timeout" -> timeout = new Env(Map.of("--timeout", value(args, ++i, a))).duration("--timeout", timeout);
        default -> {
          if (a.startsWith("--")) {
            throw new UsageException("unknown option '" + a + "'");
          }
          files.addAll(a.startsWith("@") && a.length() > 1 ? Inputs.fromList(Path.of(a.substring(1)))
              : Inputs.expand(Path.of(a)));
        }
      }
    }
    if (files.isEmpty()) {
      throw new UsageException("analyze needs at least one video or audio file");
    }
    if (sourceId != null && files.size() > 1) {
      throw new InputException("--source-id names one source, but " + files.size() + " files were given; analyse "
          + "each file with its own --source-id, or leave it out for generated ids");
    }
    return new AnalyzeArgs(output, report, rule, channel, timeout, sourceId, List.copyOf(files));
  }

  private static Output jsonOutput(Output before, String option) {
    Output asked = option.equals("--json") ? Output.JSON_LINES : Output.JSON_ARRAY;
    if (before != Output.TABLE && before != asked) {
      throw new UsageException("--json (JSON lines as segments are fused) and --json-array (one array at the end) "
          + "exclude each other; choose one");
    }
    return asked;
  }

  private int analyze(List<String> args) throws Exception {
    AnalyzeArgs parsed = parseAnalyze(args);
    Output output = parsed.output();
    Path report = parsed.report();
    String channel = parsed.channel();
    Duration timeout = parsed.timeout();
    List<Path> files = parsed.files();
    ChannelSelection channels = channelSelection(channel);
    checkReportTarget(report);
    Preflight.checkModels(env, home);
    Preflight.checkFusionRule(env, parsed.rule());
    List<Path> usable = Preflight.usableMedia(env, files, channel, err, verbose);
    if (usable.isEmpty()) {
      return 2; // each file's problem is on stderr; nothing was started
    }
    int failed = files.size() - usable.size();
    files = usable;
    parsed = parsed.withFiles(usable);
    List<FusedEmotion> results = new ArrayList<>();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      Set<String> clipIds = new LinkedHashSet<>();
      Progress ingestProgress = new Progress(err, interactive, "ingest", "files", files.size(), System::nanoTime);
      failed += ingestAll(platform.ingest(), parsed, channels, clipIds, ingestProgress);
      ingestProgress.finish();
      Progress fuseProgress = new Progress(err, interactive, "fusion", "segments", clipIds.size(), System::nanoTime);
      Map<String, FusedEmotion> fused = reader.await(clipIds, timeout, segment -> {
        if (output == Output.JSON_LINES) {
          fuseProgress.clear(); // a terminal shared by both streams shows the line, then the bar again
          out.println(FusedSegmentJson.line(segment));
          out.flush();
        }
        fuseProgress.step(null);
      });
      fuseProgress.finish();
      for (String clipId : clipIds) {
        if (fused.containsKey(clipId)) {
          results.add(fused.get(clipId));
        } else {
          failed++;
          err.printf("emostream: no fused result for segment %s (none arrived for %s); try a longer --timeout%n",
              clipId, timeout);
        }
      }
    }
    print(results, output);
    if (report != null) {
      Files.writeString(report, HtmlReport.render(results), StandardCharsets.UTF_8);
      err.printf("report written to %s%n", report);
    }
    return failed == 0 ? 0 : 1;
  }

  /**
   * Ingests each file of {@code args} with its rule (null: the fusion default) and channels, adding the clip ids to
   * {@code clipIds}; a file that cannot be read is a note, not the end of the run. Returns how many failed.
   */
  static int ingestAll(Ingestor ingestor, AnalyzeArgs args, ChannelSelection channels, Set<String> clipIds,
      Progress progress) {
    int failed = 0;
    for (Path file : args.files()) {
      try {
        IngestService.Result result = ingestor.ingest(file, file.getFileName().toString(), args.rule(), channels, null,
            args.sourceId());
        result.clips().forEach(c -> clipIds.add(c.clipId()));
        progress.step(file.getFileName() + ": " + result.clips().size() + " segment(s)");
      } catch (IngestException e) {
        failed++;
        progress.step(file.getFileName() + ": failed");
        progress.note("emostream: " + file + ": " + e.getMessage());
      }
    }
    return failed;
  }

  private ChannelSelection channelSelection(String channel) {
    try {
      return ChannelSelection.parse(env.optional(IngestConfig.AUDIO_CHANNEL_ENV).orElse(null),
          env.optional(IngestConfig.CHANNEL_ROLES_ENV).orElse(null)).withMode(channel);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
  }

  private static void checkReportTarget(Path report) {
    if (report == null) {
      return;
    }
    Path dir = report.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new InputException("cannot write the report to " + report + ": its folder does not exist or is not "
          + "writable; choose another path for --report");
    }
  }

  /** What is printed once every segment is in (JSON lines were printed as they came). */
  private void print(List<FusedEmotion> results, Output output) throws Exception {
    switch (output) {
      case TABLE -> out.print(ResultFormat.table(results));
      case JSON_ARRAY -> out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(FusedSegmentJson.toJson(results)));
      case JSON_LINES -> out.flush();
    }
  }

  private int up() throws Exception {
    int kafkaPort = env.integer(EmbeddedPlatform.KAFKA_PORT_ENV, EmbeddedPlatform.DEFAULT_KAFKA_PORT, 1, 65535);
    String httpHost = env.string(IngestConfig.HTTP_HOST_ENV, IngestConfig.DEFAULT_HTTP_HOST);
    int httpPortSetting = env.integer(IngestConfig.HTTP_PORT_ENV, IngestConfig.DEFAULT_HTTP_PORT, 0, 65535);
    if (env.optional(io.emostream.kafka.KafkaSettings.BOOTSTRAP_ENV).isEmpty()) {
      Preflight.checkPortFree(env.string(EmbeddedPlatform.KAFKA_HOST_ENV, EmbeddedPlatform.DEFAULT_KAFKA_HOST), kafkaPort,
          "Kafka", EmbeddedPlatform.KAFKA_PORT_ENV);
    }
    Preflight.checkPortFree(httpHost, httpPortSetting, "ingest HTTP", IngestConfig.HTTP_PORT_ENV);
    Preflight.checkModels(env, home);
    FusedSegmentStore.Limits resultLimits = resultLimits();
    EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, kafkaPort);
    int httpPort;
    io.emostream.ops.OpsServer ops;
    try {
      FusedSegmentStore results = platform.startResults(resultLimits, UpLog.listener(err));
      httpPort = platform.startHttp(httpHost, httpPortSetting, results);
      ops = platform.startOps(io.emostream.ops.OpsConfig.fromEnv(env, io.emostream.ops.OpsConfig.EMBEDDED_PORT));
    } catch (Exception e) {
      platform.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      err.println("emostream: stopping");
      platform.close();
      stopped.countDown();
    }, "emostream-up-shutdown"));
    String base = "http://" + env.string(IngestConfig.HTTP_HOST_ENV, IngestConfig.DEFAULT_HTTP_HOST) + ":" + httpPort;
    err.printf("emostream is up: Kafka at %s, upload with%n"
        + "  curl --data-binary @clip.mp4 -H 'Content-Type: video/mp4'%s %s/clips%n"
        + "a line per upload and per fused segment follows here; a source's results: GET %s/sources/ID "
        + "(endpoints: GET %s/); fused results on topic %s; metrics on %s, health on %s; Ctrl-C to stop%n",
        platform.kafka().bootstrapServers(), env.optional(io.emostream.ingest.IngestConfig.TOKEN_ENV).isPresent()
            ? " -H \"Authorization: Bearer $EMOSTREAM_INGEST_TOKEN\"" : "", base, base, base,
        platform.topics().fused().name(), ops.url("/metrics"), ops.url("/health/ready"));
    stopped.await();
    return 0;
  }

  private FusedSegmentStore.Limits resultLimits() {
    try {
      return FusedSegmentStore.Limits.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
  }

  private int evaluate(List<String> args) throws Exception {
    boolean json = false;
    String ruleArg = "all";
    Path report = null;
    Duration timeout = Duration.ofMinutes(30);
    Path dir = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--json" -> json = true;
        case "--rule" -> ruleArg = value(args, ++i, a);
        case "--report" -> report = Path.of(value(args, ++i, a));
        case "--timeout" -> timeout = new Env(Map.of("t", value(args, ++i, a))).duration("t", timeout);
        default -> dir = positional(a, dir);
      }
    }
    FusionRule rule;
    try {
      rule = "all".equalsIgnoreCase(ruleArg) ? null : parseRule(ruleArg);
    } catch (UsageException e) {
      throw new UsageException(e.getMessage() + ", or all (every rule, the default)");
    }
    Selection selection = labelledFiles(dir, "evaluate");
    List<DatasetLabels.LabelledFile> files = selection.files();
    String lrModel = env.optional(FusionConfig.LR_MODEL_ENV).orElse(null);
    boolean scoresLr = rule == null || rule == FusionRule.LOGISTIC_REGRESSION;
    // without a model a clip asking for LOGISTIC_REGRESSION would be dead-lettered; the all-rules topic carries
    // what the cross-validation needs whatever rule the clips ask for
    FusionRule ingestRule = rule == FusionRule.LOGISTIC_REGRESSION && lrModel == null ? null : rule;
    List<PipelineRun.ClipOutcome> outcomes = PipelineRun.run(env, home, files, ingestRule, timeout, err);
    List<String> labels = FusionConfig.fromEnv(env).labels();
    List<PipelineRun.ClipOutcome> scored = outcomes;
    Map<FusionRule, String> protocols = new java.util.EnumMap<>(FusionRule.class);
    if (scoresLr) {
      OutOfFoldFusion.Result lr = OutOfFoldFusion.apply(labels, outcomes, lrModel);
      scored = lr.outcomes();
      if (lr.protocol() != null) {
        protocols.put(FusionRule.LOGISTIC_REGRESSION, lr.protocol());
      }
    }
    Set<String> speakers = new java.util.TreeSet<>();
    files.forEach(f -> speakers.add(f.subject()));
    Evaluation evaluation = new Evaluation(labels, scored,
        rule == null ? List.of(FusionRule.values()) : List.of(rule), protocols,
        InSample.find(speakers, trainingOf(scoresLr ? lrModel : null)), selection.leftOut());
    String source = dir.toString();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(EvaluationReport.json(evaluation, source)));
    } else {
      out.print(EvaluationReport.text(evaluation, source));
    }
    if (rule == null) {
      Set<FusionRule> missing = new java.util.TreeSet<>();
      scored.forEach(o -> java.util.Arrays.stream(FusionRule.values()).filter(r -> !o.byRule().containsKey(r))
          .forEach(missing::add));
      if (lrModel == null) {
        missing.remove(FusionRule.LOGISTIC_REGRESSION); // cross-validated; its protocol says what it covers
      }
      if (!missing.isEmpty()) {
        err.println("emostream: " + missing + " could not run on some segments (see the WARN lines)");
      }
    }
    if (report != null) {
      Files.writeString(report, EvaluationReport.html(evaluation, source));
      err.println("report written to " + report);
    }
    return outcomes.size() == 0 ? 1 : 0;
  }

  /** What the configured models say they were trained on, per scorer (modality, or the LR rule's model file). */
  private Map<String, InSample.Training> trainingOf(String lrModel) {
    Map<String, InSample.Training> out = new java.util.LinkedHashMap<>();
    for (var m : List.of(Map.entry("AUDIO", AudioWorkerMain.DEFAULT_MODEL),
        Map.entry("VIDEO", VideoWorkerMain.DEFAULT_MODEL))) {
      ModelManifest manifest = ModelManifest.load(env.path("EMOSTREAM_" + m.getKey() + "_MODEL",
          home.resolve(m.getValue())));
      out.put(m.getKey(), new InSample.Training(manifest.name(), manifest.trainingSubjects()));
    }
    if (lrModel != null) {
      Object subjects = LogisticRegressionModel.read(Path.of(lrModel)).info().get("subjects");
      if (subjects instanceof List<?> list) {
        out.put(FusionRule.LOGISTIC_REGRESSION.name(),
            new InSample.Training(lrModel, list.stream().map(String::valueOf).toList()));
      }
    }
    return out;
  }

  private int trainFusion(List<String> args) throws Exception {
    Path outFile = Path.of("fusion-lr.json");
    Duration timeout = Duration.ofMinutes(30);
    Path dir = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--out" -> outFile = Path.of(value(args, ++i, a));
        case "--timeout" -> timeout = new Env(Map.of("t", value(args, ++i, a))).duration("t", timeout);
        default -> dir = positional(a, dir);
      }
    }
    List<DatasetLabels.LabelledFile> files = labelledFiles(dir, "train-fusion").files();
    List<PipelineRun.ClipOutcome> outcomes = PipelineRun.run(env, home, files, null, timeout, err);
    FusionTraining training = new FusionTraining(FusionConfig.fromEnv(env).labels(), FusionTraining.DEFAULT_C);
    FusionTraining.Result result = training.train(training.examples(outcomes));
    result.model().write(outFile);
    out.printf(java.util.Locale.ROOT, "trained LOGISTIC_REGRESSION (C=%s) on %d segment(s) of %d speaker(s) with both "
        + "modalities; classes %s%n", FusionTraining.DEFAULT_C_TEXT, result.examples(), result.subjects(),
        result.model().classes());
    if (result.foldAccuracies().isEmpty()) {
      out.println("cross-validation: not possible, it needs clips of at least 2 speakers (subject-wise folds)");
    } else {
      out.printf(java.util.Locale.ROOT, "subject-wise %d-fold CV accuracy: %.1f %% (folds: %s)%n",
          result.foldAccuracies().size(), 100 * result.meanAccuracy(), result.foldAccuracies().stream()
              .map(a -> String.format(java.util.Locale.ROOT, "%.1f %%", 100 * a)).toList());
    }
    out.printf("written to %s; use it with %s=%s%n", outFile, FusionConfig.LR_MODEL_ENV, outFile.toAbsolutePath());
    return 0;
  }

  private static Path positional(String arg, Path already) {
    if (arg.startsWith("--")) {
      throw new UsageException("unknown option '" + arg + "'");
    }
    if (already != null) {
      throw new UsageException("give one directory, got " + already + " and " + arg);
    }
    return Path.of(arg);
  }

  /** The labelled media files of a directory, and those left out (each named on stderr with its reason). */
  record Selection(List<DatasetLabels.LabelledFile> files, List<DatasetLabels.LeftOut> leftOut) {
  }

  private Selection labelledFiles(Path dir, String command) throws java.io.IOException {
    if (dir == null) {
      throw new UsageException(command + " needs a directory of labelled files (RAVDESS, CREMA-D or EmoDB names, "
          + "or a " + LabelsCsv.FILE_NAME + ")");
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("not a directory: " + dir);
    }
    Map<String, LabelsCsv.Row> rows;
    try {
      rows = new java.util.LinkedHashMap<>(LabelsCsv.read(dir, FusionConfig.fromEnv(env).labels()));
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    List<DatasetLabels.LabelledFile> files = new ArrayList<>();
    List<DatasetLabels.LeftOut> leftOut = new ArrayList<>();
    for (Path file : Inputs.mediaFilesUnder(dir)) {
      DatasetLabels.Classified c = DatasetLabels.classify(file);
      LabelsCsv.Row row = rows.remove(dir.relativize(file).toString().replace(java.io.File.separatorChar, '/'));
      if (row != null) {
        if (c.labelled() != null && !c.labelled().label().equals(row.label())) {
          throw new InputException(String.format("%s line %d labels %s '%s', but its %s name says '%s'",
              dir.resolve(LabelsCsv.FILE_NAME), row.line(), row.file(), row.label(), c.labelled().corpus(),
              c.labelled().label()));
        }
        files.add(new DatasetLabels.LabelledFile(file, row.label(), row.speaker(), row.corpus()));
      } else if (c.labelled() != null) {
        files.add(c.labelled());
      } else {
        leftOut.add(c.leftOut());
        err.printf("emostream: %s: %s (left out)%n", file, c.leftOut().reason());
      }
    }
    if (!rows.isEmpty()) {
      LabelsCsv.Row row = rows.values().iterator().next();
      throw new InputException(String.format("%s line %d: no media file %s in %s (missing, or not one of the "
          + "extensions analyze reads)", dir.resolve(LabelsCsv.FILE_NAME), row.line(), row.file(), dir));
    }
    if (files.isEmpty()) {
      throw new UsageException("no labelled media files in " + dir + " (RAVDESS names like 03-01-05-01-02-01-12.wav, "
          + "CREMA-D names like 1001_DFA_ANG_XX.wav, EmoDB names like 03a01Fa.wav, or files listed in a "
          + LabelsCsv.FILE_NAME + " of file,label,speaker)");
    }
    err.printf("%s: %d labelled file(s) in %s, %d left out%n", command, files.size(), dir, leftOut.size());
    return new Selection(files, leftOut);
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  private static String checkSourceId(String raw) {
    try {
      return IngestService.checkSourceId(raw);
    } catch (IllegalArgumentException e) {
      throw new InputException("--source-id: " + e.getMessage());
    }
  }

  private static FusionRule parseRule(String raw) {
    try {
      return FusionRules.parse(raw);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }


  /** The command line itself is wrong: the message and a pointer to the usage are printed. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  /** An input named on the command line cannot be used: one line saying what to do, no usage. */
  static final class InputException extends RuntimeException {
    InputException(String message) {
      super(message);
    }

    /** {@code cause}'s trace is printed under {@code --verbose}. */
    InputException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
