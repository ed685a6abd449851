package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import io.emostream.cli.Main.UsageException;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labelled media files of a directory, for {@code evaluate} and {@code train-fusion}: labelled
 * by their corpus names (RAVDESS, CREMA-D, EmoDB, {@link DatasetLabels}) or by the directory's
 * {@value LabelsCsv#FILE_NAME} ({@link LabelsCsv}); the others are left out, each named on stderr
 * with its reason.
 */
record LabelledFiles(List<DatasetLabels.LabelledFile> files, List<DatasetLabels.LeftOut> leftOut) {

  /**
   * @param dir the directory named on the command line (null: none was given, a usage error)
   * @param labels the canonical labels, which a labels file must use
   * @param command the command's name, for the messages
   */
  static LabelledFiles select(Path dir, List<String> labels, String command, PrintStream err)
      throws IOException {
    if (dir == null) {
      throw new UsageException(
          command
              + " needs a directory of labelled files (RAVDESS, CREMA-D, EmoDB, TESS or SAVEE names, "
              + "or a "
              + LabelsCsv.FILE_NAME
              + ")");
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("not a directory: " + dir);
    }
    Map<String, LabelsCsv.Row> rows;
    try {
      rows = new LinkedHashMap<>(LabelsCsv.read(dir, labels));
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    List<DatasetLabels.LabelledFile> files = new ArrayList<>();
    List<DatasetLabels.LeftOut> leftOut = new ArrayList<>();
    for (Path file : Inputs.mediaFilesUnder(dir)) {
      DatasetLabels.Classified c = DatasetLabels.classify(file);
      LabelsCsv.Row row =
          rows.remove(dir.relativize(file).toString().replace(File.separatorChar, '/'));
      if (row != null) {
        if (c.labelled() != null && !c.labelled().label().equals(row.label())) {
          throw new InputException(
              String.format(
                  "%s line %d labels %s '%s', but its %s name says '%s'",
                  dir.resolve(LabelsCsv.FILE_NAME),
                  row.line(),
                  row.file(),
                  row.label(),
                  c.labelled().corpus(),
                  c.labelled().label()));
        }
        files.add(new DatasetLabels.LabelledFile(file, row.label(), row.speaker(), row.corpus()));
      } else if (c.labelled() != null) {
        files.add(c.labelled());
      } else {
        leftOut.add(c.leftOut());
        err.printf(
            "emostream: %s: %s (left out)%n",
            Terminal.printable(file.toString()), c.leftOut().reason());
      }
    }
    if (!rows.isEmpty()) {
      LabelsCsv.Row row = rows.values().iterator().next();
      throw new InputException(
          String.format(
              "%s line %d: no media file %s in %s (missing, or not one of the "
                  + "extensions analyze reads)",
              dir.resolve(LabelsCsv.FILE_NAME), row.line(), row.file(), dir));
    }
    if (files.isEmpty()) {
      throw new UsageException(
          "no labelled media files in "
              + dir
              + " (RAVDESS names like 03-01-05-01-02-01-12.wav, "
              + "CREMA-D names like 1001_DFA_ANG_XX.wav, EmoDB names like 03a01Fa.wav, or files listed in a "
              + LabelsCsv.FILE_NAME
              + " of file,label,speaker)");
    }
    err.printf(
        "%s: %d labelled file(s) in %s, %d left out%n", command, files.size(), dir, leftOut.size());
    return new LabelledFiles(files, leftOut);
  }

  /** The one directory of a command's positional arguments (none: null). */
  static Path oneDirectory(List<Path> given) {
    if (given.size() > 1) {
      throw new UsageException("give one directory, got " + given.get(0) + " and " + given.get(1));
    }
    return given.isEmpty() ? null : given.get(0);
  }
}
