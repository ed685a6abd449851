package io.emostream.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM running {@link Main#main} as {@code ./emostream} does, for the tests that need the
 * real signal handling and exit: the test's class path, the project as its home, and {@code tmp} as
 * its temporary folder (both {@code java.io.tmpdir} and, for native code such as ONNX Runtime's
 * telemetry log, {@code TMPDIR}). The caller sets the redirects and any other environment.
 */
final class ChildMain {

  private ChildMain() {}

  static ProcessBuilder builder(Path tmp, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp,
                "-Demostream.home=..",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.emostream.schemas",
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("TMPDIR", tmp.toString());
    return builder;
  }
}
