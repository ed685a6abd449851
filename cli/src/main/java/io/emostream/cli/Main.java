package io.emostream.cli;

import io.emostream.inference.OrderlyStop;
import io.emostream.kafka.Env;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code ./emostream}: the embedded default, a command line of commands ({@link AnalyzeCommand},
 * {@link UpCommand}, {@link EvaluateCommand}, {@link TrainFusionCommand}, and the measuring tools
 * {@link VadSurvey}, {@link VideoBench}, {@link LiveBench} and {@link BenchCommand}), each with its
 * own options and {@code --help}, parsed by picocli.
 *
 * <p>Progress goes to stderr (a redrawn bar when stderr is a terminal, plain lines otherwise, see
 * {@link Terminal}), results to stdout. A failure is one line saying what went wrong and what to do
 * ({@code --verbose} adds the trace); a mistyped command or option also says what was probably
 * meant. Exit codes: 0 ok, 1 some inputs failed, 2 a usage error or a refusal before anything
 * started, 130 stopped with Ctrl-C ({@link OrderlyStop}; on {@code analyze URL} the first Ctrl-C
 * ends the live source, on {@code analyze -} the input, and the last segments are still printed,
 * exit 0).
 *
 * <p>Just over 300 lines, most of them the command line's declaration (commands, synopsis, exit
 * codes) and the mapping of errors to one line and an exit code; each command is its own class.
 */
@Command(
    name = "emostream",
    versionProvider = Main.Version.class,
    subcommands = {
      AnalyzeCommand.class,
      UpCommand.class,
      EvaluateCommand.class,
      TrainFusionCommand.class,
      VadSurvey.class,
      VideoBench.class,
      LiveBench.class,
      BenchCommand.class
    },
    customSynopsis = {
      "emostream analyze [OPTIONS] FILE|DIR|@LIST...",
      "       emostream up [--verbose]",
      "       emostream evaluate [OPTIONS] DIR",
      "       emostream train-fusion [OPTIONS] DIR",
      "       emostream bench [STAGE...] [--seconds N] [--json FILE]",
      "       emostream COMMAND --help | --help | --version"
    },
    description =
        "Emotion recognition in video from speech and face: a Kafka broker and the four services "
            + "(ingest, audio-worker, video-worker, fusion-stream) run in this JVM.",
    exitCodeListHeading = "%nexit codes:%n",
    exitCodeList = {
      "0:done",
      "1:some inputs failed (each named on stderr), or nothing could be scored",
      "2:a usage error, or refused before anything started (a missing model, a port in use, a bad file)",
      "130:stopped with Ctrl-C"
    })
public final class Main implements Callable<Integer> {

  final PrintStream out;
  final PrintStream err;
  final Env env;
  final Path home;

  /** What {@code analyze -} reads; standard input, but in tests. */
  InputStream in = System.in;

  /** stderr is a terminal, so progress is a bar redrawn in place. */
  final boolean interactive;

  boolean verbose;

  @Spec private CommandSpec spec;

  Main(PrintStream out, PrintStream err, Env env, Path home) {
    this(out, err, env, home, false);
  }

  Main(PrintStream out, PrintStream err, Env env, Path home, boolean interactive) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.home = home;
    this.interactive = interactive;
  }

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help and exit")
  private boolean help;

  @Option(
      names = {"-V", "--version"},
      versionHelp = true,
      description = "print the version and exit")
  private boolean version;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "stack traces on errors")
  void verbose(boolean on) {
    verbose = on;
  }

  public static void main(String[] args) {
    // every command runs the workers in this JVM: on a signal they stop before ONNX Runtime frees
    // its environment
    OrderlyStop.installSignalHandlers();
    Path home = Path.of(System.getProperty("emostream.home", "."));
    int code =
        new Main(System.out, System.err, Env.system(), home, Terminal.stderrIsTerminal()).run(args);
    if (OrderlyStop.stopping()) {
      return; // the stop's own thread exits with 128 + the signal once the workers have stopped
    }
    System.exit(code);
  }

  /**
   * {@code args} with {@code command} in front: how a tool's own {@code main} runs it as a command.
   */
  static String[] commandFirst(String command, String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = command;
    System.arraycopy(args, 0, all, 1, args.length);
    return all;
  }

  /**
   * Runs one command line and answers its exit code. A native library that cannot be loaded (an
   * Error, which the command's exception handler does not see) is one line too, exit 1.
   */
  int run(String[] args) {
    try {
      return commandLine().execute(args);
    } catch (LinkageError e) {
      return unexpected(e);
    }
  }

  /** Without a command: the usage, and 2 (nothing was asked for). */
  @Override
  public Integer call() {
    spec.commandLine().usage(out);
    return 2;
  }

  CommandLine commandLine() {
    CommandLine cli =
        new CommandLine(this)
            .setExpandAtFiles(
                false) // @LIST is analyze's own: a list of media files, not of arguments
            .setOverwrittenOptionsAllowed(
                true) // --from repeats; for the others the last one counts, as it always did
            .setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF))
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .setParameterExceptionHandler(this::usageError)
            .setExecutionExceptionHandler(this::failure);
    style(cli);
    return cli;
  }

  /** The same headings in every command's help. */
  private static void style(CommandLine cli) {
    cli.getCommandSpec()
        .usageMessage()
        .synopsisHeading("usage: ")
        .optionListHeading("%noptions:%n")
        .parameterListHeading("%narguments:%n")
        .commandListHeading("%ncommands:%n")
        .descriptionHeading("%n");
    cli.getSubcommands().values().forEach(Main::style);
  }

  /**
   * The command line itself is wrong: one line (with what was probably meant), and where the help
   * is.
   */
  private int usageError(ParameterException e, String[] args) {
    String problem =
        e instanceof UnmatchedArgumentException unmatched
            ? unmatched(unmatched)
            : lowerFirst(e.getMessage());
    return usage(problem, e.getCommandLine());
  }

  private static String unmatched(UnmatchedArgumentException e) {
    List<String> unmatched = e.getUnmatched();
    String arg = unmatched.isEmpty() ? "" : unmatched.get(0);
    boolean isOption = arg.startsWith("-");
    String problem;
    if (isOption) {
      problem = "unknown option '" + arg + "'";
    } else if (!e.getCommandLine().getSubcommands().isEmpty()) {
      problem = "unknown command '" + arg + "'";
    } else {
      problem = "unexpected argument '" + arg + "'";
    }
    List<String> suggestions = e.getSuggestions();
    if (suggestions.isEmpty()) {
      return problem;
    }
    int last = suggestions.size() - 1;
    String choices =
        last == 0
            ? suggestions.get(0)
            : String.join(", ", suggestions.subList(0, last)) + " or " + suggestions.get(last);
    return problem + "; did you mean " + choices + "?";
  }

  /**
   * The problem in one line, and where the usage is (printing all of it would scroll the problem
   * away).
   */
  private int usage(String problem, CommandLine command) {
    err.println("emostream: " + Terminal.printable(problem));
    err.println(
        command.getParent() == null
            ? "(./emostream --help lists the commands and their options)"
            : "(./emostream " + command.getCommandName() + " --help lists its options)");
    return 2;
  }

  /** A command failed: one line saying what to do; {@code --verbose} adds the trace. */
  private int failure(Exception e, CommandLine command, ParseResult parsed) {
    if (e instanceof UsageException) {
      return usage(e.getMessage(), command);
    }
    if (e instanceof InputException) {
      err.println("emostream: " + Terminal.printable(e.getMessage()));
      if (verbose && e.getCause() != null) {
        e.getCause().printStackTrace(err);
      }
      return 2;
    }
    return unexpected(e);
  }

  /**
   * Any other failure: {@link Problems#explain} in one line, exit 1; {@code --verbose}: the trace.
   */
  private int unexpected(Throwable e) {
    if (OrderlyStop.stopping() && !verbose) {
      // a signal stopped the platform under the command (e.g. "producer has been closed")
      err.println("emostream: stopped by a signal before the command finished");
      return 1;
    }
    err.println("emostream: " + Terminal.printable(Problems.explain(e)));
    if (verbose) {
      e.printStackTrace(err);
    } else {
      err.println("(run again with --verbose for details)");
    }
    return 1;
  }

  private static String lowerFirst(String message) {
    if (message == null || message.length() < 2 || !Character.isLowerCase(message.charAt(1))) {
      return message;
    }
    return message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
  }

  /**
   * {@code --version}: the project version, written into a resource by the build (Maven resource
   * filtering).
   */
  static final class Version implements IVersionProvider {

    static final String RESOURCE = "/emostream-version.properties";

    @Override
    public String[] getVersion() throws IOException {
      return new String[] {
        "emostream " + projectVersion(),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")"
      };
    }

    static String projectVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = Main.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          return "(version unknown: " + RESOURCE + " is missing; build with Maven)";
        }
        properties.load(in);
      }
      String version = properties.getProperty("version", "");
      return version.isBlank() || version.contains("${")
          ? "(version unknown: built without Maven's filtering)"
          : version;
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
