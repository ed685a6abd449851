package io.emostream.cli;

import io.emostream.cli.Main.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code analyze} is asked to read: files, directories and lists of files, checked before
 * anything starts.
 */
final class Inputs {

  /**
   * The extensions a directory is searched for (by analyze, evaluate and train-fusion alike):
   * containers FFmpeg demuxes with the decoders the bundled build has. A file named directly is
   * tried whatever its extension.
   */
  static final List<String> EXTENSIONS =
      List.of(
          "mp4", "mkv", "webm", "mov", "avi", "flv", "m4v", "mpg", "mpeg", "3gp", "wmv", "ts",
          "mts", "m2ts", "wav", "flac", "mp3", "m4a", "aac", "ogg", "oga", "opus", "wma", "gsm");

  static final Pattern MEDIA =
      Pattern.compile("(?is).*\\.(" + String.join("|", EXTENSIONS) + ")"); // s: names with newlines

  private Inputs() {}

  /** A directory stands for the media files in it (sorted, not recursive); a file for itself. */
  static List<Path> expand(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      List<Path> media;
      try (var stream = Files.list(path)) {
        media =
            stream
                .filter(Files::isRegularFile)
                .filter(p -> MEDIA.matcher(p.getFileName().toString()).matches())
                .sorted()
                .toList();
      }
      if (media.isEmpty()) {
        throw new InputException(
            "no video or audio files in "
                + path
                + " (looked for ."
                + String.join(" .", EXTENSIONS)
                + "); name the files instead");
      }
      media.forEach(Inputs::checkReadable);
      return media;
    }
    if (!Files.exists(path)) {
      throw new InputException(
          Files.isSymbolicLink(path)
              ? path + " is a symbolic link to nothing (its target is missing, or links loop)"
              : "no such file: " + path + "; check the path");
    }
    checkReadable(path);
    return List.of(path);
  }

  private static void checkReadable(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InputException(file + " is not a regular file; name a video or audio file");
    }
    if (!Files.isReadable(file)) {
      throw new InputException(
          "cannot read " + file + " (permission denied); check its permissions");
    }
  }

  /**
   * The files named in a list, one per line; blank lines and lines starting with # are skipped. A
   * relative path is relative to the list's folder, so a list stays valid from wherever it is used.
   */
  static List<Path> fromList(Path list) throws IOException {
    if (!Files.isRegularFile(list)) {
      throw new InputException("no such list file: " + list + "; a list names one file per line");
    }
    if (!Files.isReadable(list)) {
      throw new InputException(
          "cannot read the list " + list + " (permission denied); check its permissions");
    }
    Path base = list.toAbsolutePath().getParent();
    List<Path> files = new ArrayList<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
      lineNumber++;
      String entry = (lineNumber == 1 ? withoutBom(line) : line).strip();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      Path path = base.resolve(entry);
      try {
        files.addAll(expand(path));
      } catch (InputException e) {
        throw new InputException(list + " line " + lineNumber + ": " + e.getMessage());
      }
    }
    if (files.isEmpty()) {
      throw new InputException("the list " + list + " names no files");
    }
    return files;
  }

  /**
   * The media files in a directory and its subdirectories (RAVDESS ships one folder per actor),
   * sorted.
   */
  static List<Path> mediaFilesUnder(Path dir) throws IOException {
    try (var stream = Files.walk(dir)) {
      return stream
          // a link to nothing is kept, so that it is named and left out, not silently skipped
          .filter(p -> Files.isRegularFile(p) || Files.isSymbolicLink(p) && !Files.exists(p))
          .filter(p -> MEDIA.matcher(p.getFileName().toString()).matches())
          .sorted()
          .toList();
    }
  }

  /**
   * {@code text} without a leading UTF-8 byte order mark (Excel's "CSV UTF-8" and Notepad write
   * one), which would otherwise become part of the first name or header.
   */
  static String withoutBom(String text) {
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /**
   * A file's name as the records and the terminal show it: control characters (newlines, tabs,
   * terminal escape sequences) dropped, as uploads' names are.
   */
  static String displayName(Path file) {
    String name = file.getFileName().toString().replaceAll("\\p{Cntrl}", "");
    return name.isBlank() ? "file" : name;
  }
}
