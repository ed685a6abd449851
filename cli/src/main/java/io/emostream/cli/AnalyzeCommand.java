package io.emostream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.emostream.cli.Main.InputException;
import io.emostream.cli.Main.UsageException;
import io.emostream.inference.OrderlyStop;
import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.IngestException;
import io.emostream.ingest.IngestService;
import io.emostream.ingest.Ingestor;
import io.emostream.ingest.MediaStream;
import io.emostream.ingest.PartlyIngestedException;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.schemas.FusedEmotion;
import io.emostream.schemas.FusedSegmentJson;
import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code emostream analyze}: starts the embedded platform, runs the files through it, prints the
 * fused emotion of every segment (a table, or with {@code --json} one JSON line per segment as soon
 * as it is fused) and exits. What cannot work is refused before the platform starts ({@link
 * Preflight}).
 *
 * <p>Over 300 lines: {@code analyze}'s own options, their checks before the platform starts, and
 * the run (ingest every file, wait for every segment's fused result); the checks of the files are
 * {@link Preflight}'s, the table {@link ResultFormat}'s.
 */
@Command(
    name = "analyze",
    abbreviateSynopsis = true,
    header = "analyse files on the embedded platform and print the fused emotion of every segment",
    description = {
      "Start the embedded platform (in-JVM Kafka + ingest, audio-worker, video-worker, fusion-stream), "
          + "run the files through it, print the fused emotion of every segment, and exit. Progress goes to stderr, "
          + "results to stdout."
    })
final class AnalyzeCommand extends CliCommand {

  /** How {@code analyze} prints the fused segments on stdout. */
  enum Output {
    /** A table for people, once every segment is in. */
    TABLE,
    /**
     * {@code --json}: one JSON object per line ({@link FusedSegmentJson}), each written as its
     * segment is fused.
     */
    JSON_LINES,
    /**
     * {@code --json-array}: one JSON array of every segment, in input order, once every segment is
     * in.
     */
    JSON_ARRAY
  }

  /** What {@code analyze} was asked for; {@code rule} null for the fusion default. */
  record AnalyzeArgs(
      Output output,
      Path report,
      FusionRule rule,
      String channel,
      Duration timeout,
      String sourceId,
      List<Path> files) {
    AnalyzeArgs withFiles(List<Path> newFiles) {
      return new AnalyzeArgs(
          output, report, rule, channel, timeout, sourceId, List.copyOf(newFiles));
    }
  }

  /**
   * An input as given: a file, a directory, {@code @LIST} or {@code --from LIST}, in command-line
   * order.
   */
  private record Input(String arg, boolean isList) {}

  private final List<Input> inputs = new ArrayList<>();

  /** {@code -}: standard input, read and analysed while it arrives. */
  static final Path STDIN = Path.of("-");

  /** How standard input is named in messages and results. */
  static final String STDIN_NAME = "stdin";

  @Option(
      names = "--json",
      description =
          "print JSON lines instead of a table: one object per segment, as soon as "
              + "it is fused")
  private boolean json;

  @Option(
      names = "--json-array",
      description = "print one JSON array of every segment at the end instead")
  private boolean jsonArray;

  @Option(
      names = "--report",
      paramLabel = "FILE.html",
      description = "also write an HTML report (timeline and " + "per-modality distributions)")
  private Path report;

  @Option(
      names = "--rule",
      paramLabel = "RULE",
      converter = RuleConverter.class,
      description =
          "fusion rule, one of ${COMPLETION-CANDIDATES} in any case, - or _ (default: "
              + "$EMOSTREAM_FUSION_RULE, else AVERAGE)")
  private FusionRule rule;

  @Option(
      names = "--channel",
      paramLabel = "MODE",
      description =
          "audio channel of a stereo call: mix, left, right "
              + "or both ($EMOSTREAM_AUDIO_CHANNEL; with $EMOSTREAM_CHANNEL_ROLES such as left:agent,right:customer the "
              + "default is the customer's)")
  private String channel;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "180s",
      description =
          "how long to wait for the next fused result, e.g. 500ms, 90s, 5m (default: ${DEFAULT-VALUE})")
  private Duration timeout;

  @Option(
      names = "--source-id",
      paramLabel = "ID",
      description =
          "the source id of the results (one file; 1 to 64 "
              + "letters, digits, . _ -; default: a new UUID)")
  private String sourceId;

  @Option(names = "--from", paramLabel = "LIST", description = "the same as @LIST")
  private void from(String list) {
    inputs.add(new Input(list, true));
  }

  @Parameters(
      index = "0..*",
      arity = "0..1",
      paramLabel = "FILE|DIR|@LIST...",
      hideParamSyntax = true,
      description = {
        "URL: a live source (rtsp://, rtmp://, srt://, http(s)://), alone: each segment is printed as"
            + " it is fused",
        "-: standard input (Matroska/WebM, MPEG-TS, FLV or fragmented MP4), analysed while it arrives",
        "FILE: a video (mp4, mkv, webm, mov, avi, flv, m4v, mpg, 3gp, wmv, ts) or audio file (wav, flac,"
            + " mp3, m4a, aac, ogg, opus, wma, gsm)",
        "DIR: the media files in it (not recursive)",
        "@LIST: the files named in LIST, one per line, relative to its folder (# comments and blank lines ignored)"
      })
  private void input(String arg) {
    inputs.add(
        arg.startsWith("@") && arg.length() > 1
            ? new Input(arg.substring(1), true)
            : new Input(arg, false));
  }

  /**
   * Parses {@code analyze}'s options and expands its inputs (missing files are an {@link
   * InputException}).
   */
  static AnalyzeArgs parse(List<String> args) throws IOException {
    AnalyzeCommand command = new AnalyzeCommand();
    new CommandLine(command)
        .setExpandAtFiles(false)
        .setOverwrittenOptionsAllowed(true)
        .parseArgs(args.toArray(String[]::new));
    return command.args();
  }

  /** The options checked together, and the inputs expanded to files. */
  AnalyzeArgs args() throws IOException {
    if (json && jsonArray) {
      throw new UsageException(
          "--json (JSON lines as segments are fused) and --json-array (one array at the end) "
              + "exclude each other; choose one");
    }
    Output output = json ? Output.JSON_LINES : jsonArray ? Output.JSON_ARRAY : Output.TABLE;
    String checkedSourceId = sourceId == null ? null : checkSourceId(sourceId);
    List<Path> files = new ArrayList<>();
    for (Input input : inputs) {
      if (!input.isList() && input.arg().equals(STDIN.toString())) {
        if (files.contains(STDIN)) {
          throw new UsageException("- (standard input) can be given once");
        }
        files.add(STDIN);
        continue;
      }
      files.addAll(
          input.isList()
              ? Inputs.fromList(Path.of(input.arg()))
              : Inputs.expand(Path.of(input.arg())));
    }
    if (files.isEmpty()) {
      throw new UsageException("analyze needs at least one video or audio file");
    }
    if (checkedSourceId != null && files.size() > 1) {
      throw new InputException(
          "--source-id names one source, but "
              + files.size()
              + " files were given; analyse "
              + "each file with its own --source-id, or leave it out for generated ids");
    }
    return new AnalyzeArgs(
        output, report, rule, channel, timeout, checkedSourceId, List.copyOf(files));
  }

  @Override
  int execute() throws Exception {
    if (inputs.stream().anyMatch(i -> !i.isList() && LiveAnalysis.isUrl(i.arg()))) {
      return executeLive();
    }
    AnalyzeArgs parsed = args();
    Output output = parsed.output();
    List<Path> files = parsed.files();
    ChannelSelection channels = channelSelection(parsed.channel());
    ReportPage.checkTarget(parsed.report());
    Preflight.checkModels(env, home);
    Preflight.checkFusionRule(env, parsed.rule());
    Preflight.checkTracing(env);
    List<Path> usable = Preflight.usableMedia(env, files, parsed.channel(), err, verbose());
    if (usable.isEmpty()) {
      return 2; // each file's problem is on stderr; nothing was started
    }
    int failed = files.size() - usable.size();
    files = usable;
    parsed = parsed.withFiles(usable);
    List<FusedEmotion> results = new ArrayList<>();
    AutoCloseable finishing = () -> {};
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        FusedResultReader reader = new FusedResultReader(platform.kafka(), platform.topics())) {
      env.unknownWarnings().forEach(w -> err.println("emostream: warning: " + w));
      Set<String> clipIds = Collections.synchronizedSet(new LinkedHashSet<>());
      Progress ingestProgress =
          new Progress(err, interactive, "ingest", "files", files.size(), System::nanoTime);
      // Files are ingested on a thread of their own, so that each segment is printed (and, with
      // --json, flushed) as soon as it is fused, also while its file is still being read; each
      // file's source id is chosen first, so its results are recognised before its ingest returns.
      Stdin stdin =
          files.contains(STDIN)
              ? new Stdin(
                  in,
                  IngestConfig.fromEnv(env).maxUploadBytes(),
                  parsed.sourceId() != null ? parsed.sourceId() : UUID.randomUUID().toString())
              : null;
      // Ctrl-C on a stream (often sent to the whole pipeline, so its writer ends it too) ends the
      // input there and keeps its segments; a second one stops at once
      AutoCloseable firstSignal =
          stdin == null
              ? () -> {}
              : OrderlyStop.interceptFirstSignal(
                  () -> {
                    stdin.stream().endHere();
                    err.println(
                        "emostream: stdin: ending the input here; the segments still in flight follow (a"
                            + " second Ctrl-C or SIGTERM quits at once)");
                  });
      Set<String> sourceIds = ConcurrentHashMap.newKeySet();
      AnalyzeArgs args = parsed;
      CompletableFuture<Integer> ingest =
          CompletableFuture.supplyAsync(
              () ->
                  ingestAll(
                      platform.ingest(), args, channels, clipIds, ingestProgress, stdin, sourceIds),
              task -> {
                Thread thread = new Thread(task, "emostream-analyze-ingest");
                thread.setDaemon(true);
                thread.start();
              });
      Progress fuseProgress =
          new Progress(err, interactive, "fusion", "segments", 0, System::nanoTime);
      Map<String, FusedEmotion> fused =
          reader.awaitWhileIngesting(
              clipIds,
              sourceIds,
              ingest::isDone,
              parsed.timeout(),
              segment -> {
                if (output == Output.JSON_LINES) {
                  // a terminal shared by both streams: the line, then the bars
                  ingestProgress.clear();
                  fuseProgress.clear();
                  out.println(FusedSegmentJson.line(segment));
                  out.flush();
                }
                fuseProgress.atLeast(clipIds.size());
                fuseProgress.step(null);
              });
      firstSignal.close();
      ingestProgress.finish();
      fuseProgress.finish();
      try {
        failed += ingest.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      for (String clipId : clipIds) {
        if (fused.containsKey(clipId)) {
          results.add(fused.get(clipId));
        } else {
          failed++;
          err.printf(
              "emostream: no fused result for segment %s (none arrived for %s); try a longer --timeout%n",
              clipId, parsed.timeout());
        }
      }
      // before the platform stops (seconds): a Ctrl-C while it does then loses no result
      print(results, output);
      if (parsed.report() != null) {
        Files.writeString(parsed.report(), HtmlReport.render(results), StandardCharsets.UTF_8);
        err.printf("report written to %s%n", parsed.report());
      }
      finishing = EmbeddedPlatform.finishing();
    } finally {
      finishing.close();
    }
    return failed == 0 ? 0 : 1;
  }

  /**
   * {@code analyze URL}: one live source, each segment printed as it is fused ({@link
   * LiveAnalysis}).
   */
  private int executeLive() throws Exception {
    if (inputs.size() != 1) {
      throw new UsageException(
          "analyze takes one live source URL alone; analyse files and URLs in separate runs");
    }
    if (jsonArray || report != null) {
      throw new UsageException(
          "--json-array and --report need every segment at once; a live source prints each as it"
              + " is fused (--json for JSON lines)");
    }
    String url = inputs.get(0).arg();
    try {
      VideoDemuxer.scheme(url);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    String checkedSourceId = sourceId == null ? null : checkSourceId(sourceId);
    ChannelSelection channels = channelSelection(channel);
    Preflight.checkModels(env, home);
    Preflight.checkFusionRule(env, rule);
    Preflight.checkTracing(env);
    AtomicBoolean stopRequested = new AtomicBoolean();
    try (EmbeddedPlatform platform = EmbeddedPlatform.start(env, home, 0);
        AutoCloseable firstSignal =
            OrderlyStop.interceptFirstSignal(() -> stopRequested.set(true));
        // the second signal quits at once: a source still connecting is left, not waited for up
        // to its connect timeout (18 s seen by helper-49)
        AutoCloseable secondSignal = OrderlyStop.beforeWorkers(platform::stopWithoutWaiting)) {
      env.unknownWarnings().forEach(w -> err.println("emostream: warning: " + w));
      return LiveAnalysis.run(
          platform,
          url,
          rule,
          channels,
          checkedSourceId,
          json,
          timeout,
          stopRequested::get,
          out,
          err);
    }
  }

  /**
   * Ingests each file of {@code args} with its rule (null: the fusion default) and channels, adding
   * the clip ids to {@code clipIds}; a file that cannot be read is a note, not the end of the run.
   * Returns how many failed.
   */
  static int ingestAll(
      Ingestor ingestor,
      AnalyzeArgs args,
      ChannelSelection channels,
      Set<String> clipIds,
      Progress progress) {
    return ingestAll(ingestor, args, channels, clipIds, progress, null, null);
  }

  /**
   * Standard input as {@code analyze -} reads it: {@code maxBytes} is EMOSTREAM_MAX_UPLOAD_BYTES,
   * {@code sourceId} the source id of its results (chosen before, so they are recognised while it
   * is still read).
   */
  /** Standard input as a stream of media ({@code analyze -}), its source id chosen up front. */
  record Stdin(MediaStream stream, String sourceId) {
    Stdin(InputStream in, long maxBytes, String sourceId) {
      this(new MediaStream(in, maxBytes, read -> {}), sourceId);
    }
  }

  /**
   * As above, {@link #STDIN} among the files read from {@code stdin} while it arrives; the clips it
   * published before a failure count (their results are awaited), and the failure is a note. When
   * {@code sourceIds} is given, each file's source id ({@code --source-id}, or a new one) is added
   * to it before the file is read.
   */
  static int ingestAll(
      Ingestor ingestor,
      AnalyzeArgs args,
      ChannelSelection channels,
      Set<String> clipIds,
      Progress progress,
      Stdin stdin,
      Set<String> sourceIds) {
    int failed = 0;
    for (Path file : args.files()) {
      String name = file.equals(STDIN) ? STDIN_NAME : Inputs.displayName(file);
      String sourceId =
          file.equals(STDIN)
              ? stdin.sourceId()
              : args.sourceId() != null || sourceIds == null
                  ? args.sourceId()
                  : UUID.randomUUID().toString();
      if (sourceIds != null && sourceId != null) {
        sourceIds.add(sourceId);
      }
      try {
        IngestService.Result result =
            file.equals(STDIN)
                ? ingestor.ingest(
                    stdin.stream(),
                    STDIN_NAME,
                    args.rule(),
                    channels,
                    null,
                    sourceId,
                    SourceKind.LIVE,
                    null)
                : ingestor.ingest(file, name, args.rule(), channels, null, sourceId);
        result.clips().forEach(c -> clipIds.add(c.clipId()));
        progress.step(name + ": " + result.clips().size() + " segment(s)");
      } catch (IngestException e) {
        if (e instanceof PartlyIngestedException partly) {
          partly.published().clips().forEach(c -> clipIds.add(c.clipId()));
        }
        failed++;
        progress.step(name + ": failed");
        progress.note(
            "emostream: " + (file.equals(STDIN) ? STDIN_NAME : file) + ": " + e.getMessage());
      }
    }
    return failed;
  }

  private ChannelSelection channelSelection(String mode) {
    try {
      return ChannelSelection.parse(
              env.optional(IngestConfig.AUDIO_CHANNEL_ENV).orElse(null),
              env.optional(IngestConfig.CHANNEL_ROLES_ENV).orElse(null))
          .withMode(mode);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
  }

  private static String checkSourceId(String raw) {
    try {
      return IngestService.checkSourceId(raw);
    } catch (IllegalArgumentException e) {
      throw new InputException("--source-id: " + e.getMessage());
    }
  }

  /** What is printed once every segment is in (JSON lines were printed as they came). */
  private void print(List<FusedEmotion> results, Output output) throws Exception {
    switch (output) {
      case TABLE -> out.print(ResultFormat.table(results));
      case JSON_ARRAY ->
          out.println(
              new ObjectMapper()
                  .enable(SerializationFeature.INDENT_OUTPUT)
                  .writeValueAsString(FusedSegmentJson.toJson(results)));
      case JSON_LINES -> out.flush();
    }
  }
}
