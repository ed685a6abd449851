package io.emostream.cli;

import io.emostream.audio.AudioWorkerMain;
import io.emostream.cli.Main.InputException;
import io.emostream.fusion.FusionConfig;
import io.emostream.fusion.LabelAligner;
import io.emostream.inference.ModelManifest;
import io.emostream.inference.VadConfig;
import io.emostream.inference.WorkerConfig;
import io.emostream.ingest.ChannelSelection;
import io.emostream.ingest.IngestConfig;
import io.emostream.ingest.IngestException;
import io.emostream.ingest.VideoDemuxer;
import io.emostream.kafka.Env;
import io.emostream.kafka.KafkaSettings;
import io.emostream.schemas.FusionRule;
import io.emostream.tracing.TracingConfig;
import io.emostream.video.FaceConfig;
import io.emostream.video.VideoWorkerMain;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Checks made before the platform starts, so a wrong setting costs a second and one clear line, not
 * a trace.
 */
final class Preflight {

  private Preflight() {}

  /**
   * Both models' manifests (and the ONNX files they name) exist and parse; so does the VAD model
   * when it is on; the face settings ({@link FaceConfig}) are valid.
   */
  static void checkModels(Env env, Path home) {
    checkTempSpace(Path.of(System.getProperty("java.io.tmpdir")), MIN_TEMP_BYTES);
    checkSettings(env, home);
    checkModel(env, "AUDIO", home.resolve(AudioWorkerMain.DEFAULT_MODEL));
    checkModel(env, "VIDEO", home.resolve(VideoWorkerMain.DEFAULT_MODEL));
    VadConfig vad;
    try {
      vad = VadConfig.fromEnv(env, home.resolve(VadConfig.DEFAULT_MODEL));
      FaceConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    if (vad.enabled() && !Files.isRegularFile(vad.model())) {
      throw new InputException(
          "the voice-activity model "
              + vad.model()
              + " does not exist; restore it (git checkout "
              + "models/), point EMOSTREAM_VAD_MODEL at silero_vad_v5_sequence.onnx, or set EMOSTREAM_VAD=off");
    }
  }

  /**
   * The workers' and ingest's settings parse as the services will parse them when the platform
   * starts (the topics' with them; fusion's: {@link #checkFusionRule}), and
   * EMOSTREAM_KAFKA_DATA_DIR, when set, is a folder that exists or can be made: a bad value is one
   * line naming its variable, before anything starts.
   */
  static void checkSettings(Env env, Path home) {
    try {
      WorkerConfig.fromEnv(env, "AUDIO", home.resolve(AudioWorkerMain.DEFAULT_MODEL));
      WorkerConfig.fromEnv(env, "VIDEO", home.resolve(VideoWorkerMain.DEFAULT_MODEL));
      IngestConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new InputException(Problems.message(e), e);
    }
    String dataDir = env.optional(EmbeddedPlatform.KAFKA_DATA_DIR_ENV).orElse(null);
    if (dataDir != null && env.optional(KafkaSettings.BOOTSTRAP_ENV).isEmpty()) {
      Path dir = Path.of(dataDir);
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new InputException(
            EmbeddedPlatform.KAFKA_DATA_DIR_ENV + "=" + dataDir + " is not a folder");
      }
      try {
        Files.createDirectories(dir);
      } catch (IOException | RuntimeException e) {
        throw new InputException(
            EmbeddedPlatform.KAFKA_DATA_DIR_ENV
                + "="
                + dataDir
                + " cannot be created; give a folder the broker may write",
            e);
      }
      if (!Files.isWritable(dir)) {
        throw new InputException(
            EmbeddedPlatform.KAFKA_DATA_DIR_ENV + "=" + dataDir + " is not writable");
      }
    }
  }

  /** Free space the platform needs in the JVM's temporary folder. */
  static final long MIN_TEMP_BYTES = 100L << 20;

  /**
   * The temporary folder has room for what the platform puts there: ONNX Runtime's and RocksDB's
   * native libraries (unpacked at start), the in-JVM broker's log and fusion's state. A full one
   * failed with a stack trace from the library loader, then a flood of the broker's errors.
   */
  static void checkTempSpace(Path tmp, long minBytes) {
    long free;
    try {
      free = Files.getFileStore(tmp).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return; // not knowable here: the start says what fails
    }
    if (free < minBytes) {
      throw new InputException(
          String.format(
              Locale.ROOT,
              "the temporary folder %s has %.1f MB free; emostream needs at least %d MB there"
                  + " (native libraries, the in-JVM broker's log, fusion's state): free space, or"
                  + " choose another with EMOSTREAM_JAVA_OPTS=-Djava.io.tmpdir=DIR",
              tmp,
              free / 1048576.0,
              minBytes >> 20));
    }
  }

  private static void checkModel(Env env, String prefix, Path defaultManifest) {
    String variable = "EMOSTREAM_" + prefix + "_MODEL";
    Path manifest = env.path(variable, defaultManifest);
    String what = prefix.toLowerCase(Locale.ROOT) + " model";
    if (!Files.isRegularFile(manifest)) {
      throw new InputException(
          "the "
              + what
              + " manifest "
              + manifest
              + " does not exist; set "
              + variable
              + " to a model folder's manifest.json (shipped: "
              + defaultManifest
              + ")");
    }
    ModelManifest parsed;
    try {
      parsed = ModelManifest.load(manifest);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          e.getMessage() + "; fix the manifest or point " + variable + " at another model");
    }
    List<String> canonical;
    LabelAligner aligner;
    try {
      canonical = FusionConfig.labelsFromEnv(env);
      aligner = new LabelAligner(canonical);
    } catch (IllegalArgumentException e) {
      throw new InputException(FusionConfig.LABELS_ENV + ": " + e.getMessage());
    }
    List<String> unmapped = aligner.unmapped(parsed.labels());
    if (!unmapped.isEmpty()) {
      throw new InputException(
          "the "
              + what
              + "'s labels "
              + unmapped
              + " map to none of the canonical labels "
              + canonical
              + (env.optional(FusionConfig.LABELS_ENV).isPresent()
                  ? " (" + FusionConfig.LABELS_ENV + "): add them or unset it"
                  : "")
              + "; fusion would refuse every prediction of it");
    }
    Path onnx = manifest.toAbsolutePath().getParent().resolve(parsed.file());
    if (!Files.isRegularFile(onnx)) {
      throw new InputException(
          "the "
              + what
              + " file "
              + onnx
              + " named by "
              + manifest
              + " does not exist; "
              + "restore it (git checkout models/) or point "
              + variable
              + " at another model");
    }
  }

  /** Port 0 means any free port and always passes. */
  static void checkPortFree(
      String host, int port, String what, String portVariable, String hostVariable) {
    if (port == 0) {
      return;
    }
    InetSocketAddress address = new InetSocketAddress(host, port);
    // Kafka gives its clients this address to connect to, so it cannot be the wildcard
    boolean advertised = hostVariable.equals(EmbeddedPlatform.KAFKA_HOST_ENV);
    String notHere =
        hostVariable
            + (advertised
                ? " must name an address of this machine that its clients can reach (e.g. 127.0.0.1,"
                    + " or its address on the network)"
                : " must name an address of this machine (e.g. 127.0.0.1, or 0.0.0.0 for all of"
                    + " them)");
    if (advertised && address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
      throw new InputException(
          what
              + " host '"
              + host
              + "' ("
              + hostVariable
              + ") is the wildcard address, which clients cannot connect to; "
              + notHere);
    }
    if (address.isUnresolved()) {
      // it was reported as "port ... already in use" (found by a hostile-user pass)
      throw new InputException(
          what + " host '" + host + "' (" + hostVariable + ") is not a known address; " + notHere);
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(address);
    } catch (IOException e) {
      if (e.getMessage() == null || !e.getMessage().contains("in use")) {
        throw new InputException(
            what
                + " cannot listen on "
                + host
                + " port "
                + port
                + " ("
                + e.getMessage()
                + "); "
                + notHere);
      }
      throw new InputException(
          what
              + " port "
              + port
              + " on "
              + host
              + " is already in use (another "
              + "'emostream up' or Kafka?); stop that process or set "
              + portVariable
              + " to a free port");
    }
  }

  /**
   * The tracing settings parse ({@code EMOSTREAM_TRACING}, the OTLP protocol): a bad one failed the
   * platform's start with exit code 1 and "run again with --verbose", where every other bad setting
   * is refused before it with exit code 2 (found by a hostile-user pass).
   */
  static void checkTracing(Env env) {
    try {
      TracingConfig.fromEnv(env, "emostream");
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), e);
    }
  }

  /**
   * The fusion settings parse, and the rule asked for ({@code rule}, else EMOSTREAM_FUSION_RULE's)
   * can run: without this, LOGISTIC_REGRESSION with no model is dead-lettered by fusion, and the
   * run waits out its timeout for nothing.
   */
  static void checkFusionRule(Env env, FusionRule rule) {
    FusionConfig config;
    try {
      config = FusionConfig.fromEnv(env);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      String lrHint =
          e.getMessage() != null && e.getMessage().contains("logistic-regression")
              ? "; point "
                  + FusionConfig.LR_MODEL_ENV
                  + " at a file written by ./emostream train-fusion"
              : "";
      throw new InputException(Problems.message(e) + lrHint, e);
    }
    FusionRule effective = rule != null ? rule : config.defaultRule();
    if (effective == FusionRule.LOGISTIC_REGRESSION
        && config.rules().logisticRegression() == null) {
      String asked = rule != null ? "--rule " + rule : FusionConfig.RULE_ENV + "=" + effective;
      List<String> others =
          Arrays.stream(FusionRule.values())
              .filter(r -> r != FusionRule.LOGISTIC_REGRESSION)
              .map(Enum::name)
              .toList();
      throw new InputException(
          asked
              + " needs a trained fusion model and "
              + FusionConfig.LR_MODEL_ENV
              + " is not "
              + "set; train one with ./emostream train-fusion DIR and set "
              + FusionConfig.LR_MODEL_ENV
              + "=fusion-lr.json, or choose another rule ("
              + String.join(", ", others)
              + ")");
    }
  }

  /**
   * The files FFmpeg can open within the limits and, when {@code channelOption} (--channel) picks a
   * channel, with two channels to pick from; the others are named on {@code err}, one line each
   * (and the trace when {@code verbose}), and left out. Reads headers only, so a bad file costs
   * milliseconds and never a started platform.
   */
  static List<Path> usableMedia(
      Env env, List<Path> files, String channelOption, PrintStream err, boolean verbose) {
    IngestConfig config;
    try {
      config = IngestConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), e);
    }
    // the channel a run takes: --channel, else EMOSTREAM_AUDIO_CHANNEL or the customer's of
    // EMOSTREAM_CHANNEL_ROLES (that case got past here and failed in the run)
    ChannelSelection taken =
        channelOption != null ? ChannelSelection.parse(channelOption, null) : config.channels();
    boolean picked = channelOption != null && taken.splitsChannels();
    VideoDemuxer demuxer = new VideoDemuxer(config);
    List<Path> usable = new ArrayList<>();
    for (Path file : files) {
      if (file.equals(AnalyzeCommand.STDIN)) {
        usable.add(file); // read while it arrives: nothing to probe before the platform starts
        continue;
      }
      try {
        VideoDemuxer.Probe probe = demuxer.probe(file, null);
        if (picked && probe.audioChannels() < 2) {
          throw new IngestException(
              "--channel "
                  + channelOption
                  + " needs a stereo file, but '"
                  + file.getFileName()
                  + "' has "
                  + (probe.audioChannels() == 0 ? "no audio" : "one audio channel")
                  + "; leave out --channel (or use --channel mix)");
        }
        if (taken.splitsChannels() && probe.audioChannels() > 2) {
          throw new IngestException(
              taken.tooManyChannels(probe.audioChannels())
                  + (channelOption == null
                      ? " (the channel comes from EMOSTREAM_AUDIO_CHANNEL or EMOSTREAM_CHANNEL_ROLES)"
                      : ""));
        }
        usable.add(file);
      } catch (IngestException e) {
        err.println("emostream: " + file + ": " + e.getMessage());
        if (verbose) {
          e.printStackTrace(err);
        }
      }
    }
    return usable;
  }
}
