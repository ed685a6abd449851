package io.emostream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The labels of files whose names follow no corpus convention: a {@value #FILE_NAME} at the top of
 * the directory that {@code evaluate} and {@code train-fusion} read, one row per file.
 *
 * <pre>
 * # comments and blank lines are ignored
 * file,label,speaker,corpus
 * demo-happy-actor02.mp4,happy,ravdess-02,constructed
 * </pre>
 *
 * The header is {@code file,label,speaker} or {@code file,label,speaker,corpus}. {@code file}: a
 * path relative to the directory, {@code /} between folders, no {@code ..}; {@code label}: one of
 * the canonical labels (any case); {@code speaker}: who speaks, for subject-wise folds and the
 * in-sample check (in evaluate's notation, {@code ravdess-NN}, {@code crema-d-NNNN}, {@code
 * emodb-NN}, where the voice is from one of those corpora); {@code corpus}: the name of the
 * per-corpus table ({@value #DEFAULT_CORPUS} when the column is absent). Fields hold no commas (no
 * quoting). Every problem is an {@link IllegalArgumentException} naming the line.
 */
final class LabelsCsv {

  static final String FILE_NAME = "labels.csv";
  static final String DEFAULT_CORPUS = FILE_NAME;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /**
   * One row: the file (relative to the directory, as written) with its label, speaker and corpus.
   */
  record Row(int line, String file, String label, String speaker, String corpus) {}

  private LabelsCsv() {}

  /** The rows of {@code dir}'s {@value #FILE_NAME}, by file; empty when it has none. */
  static Map<String, Row> read(Path dir, Collection<String> labels) throws IOException {
    Path csv = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(csv)) {
      return Map.of();
    }
    try {
      return parse(Files.readString(csv), labels);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(csv + ": " + e.getMessage(), e);
    }
  }

  /** The rows of a labels file's text, by file. Pure. */
  static Map<String, Row> parse(String text, Collection<String> labels) {
    Map<String, Row> rows = new LinkedHashMap<>();
    List<String> lines = Inputs.withoutBom(text).lines().toList();
    boolean header = false;
    int columns = 0;
    for (int i = 0; i < lines.size(); i++) {
      int line = i + 1;
      String raw = lines.get(i).strip();
      if (raw.isEmpty() || raw.startsWith("#")) {
        continue;
      }
      String[] fields = raw.split(",", -1);
      for (int f = 0; f < fields.length; f++) {
        fields[f] = fields[f].strip();
      }
      if (!header) {
        String names = String.join(",", fields).toLowerCase(Locale.ROOT);
        if (!names.equals("file,label,speaker") && !names.equals("file,label,speaker,corpus")) {
          throw new IllegalArgumentException(
              "line "
                  + line
                  + ": the first line must be the header "
                  + "file,label,speaker (or file,label,speaker,corpus), found '"
                  + raw
                  + "'");
        }
        header = true;
        columns = fields.length;
        continue;
      }
      if (fields.length != columns) {
        throw new IllegalArgumentException(
            "line "
                + line
                + ": "
                + columns
                + " fields expected (no commas inside a "
                + "field), found "
                + fields.length);
      }
      Row row =
          new Row(
              line,
              file(fields[0], line),
              label(fields[1], labels, line),
              name(fields[2], "speaker", line),
              columns == 4 ? name(fields[3], "corpus", line) : DEFAULT_CORPUS);
      Row before = rows.putIfAbsent(row.file(), row);
      if (before != null) {
        throw new IllegalArgumentException(
            "line " + line + ": " + row.file() + " is already labelled on line " + before.line());
      }
    }
    if (!header) {
      throw new IllegalArgumentException("no header line file,label,speaker");
    }
    return rows;
  }

  private static String file(String value, int line) {
    String file = value.replace('\\', '/');
    if (file.isEmpty()
        || file.startsWith("/")
        || file.matches("^[A-Za-z]:.*")
        || List.of(file.split("/")).contains("..")) {
      throw new IllegalArgumentException(
          "line "
              + line
              + ": file '"
              + value
              + "' must be a path inside the "
              + "directory, relative to it, without '..'");
    }
    return file;
  }

  private static String label(String value, Collection<String> labels, int line) {
    String label = value.toLowerCase(Locale.ROOT);
    if (!labels.contains(label)) {
      throw new IllegalArgumentException(
          "line " + line + ": label '" + value + "' is not one of " + String.join(", ", labels));
    }
    return label;
  }

  private static String name(String value, String what, int line) {
    if (!NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "line "
              + line
              + ": "
              + what
              + " '"
              + value
              + "' must be 1 to 64 letters, "
              + "digits, '.', '_' or '-', starting with a letter or digit");
    }
    return value;
  }
}
