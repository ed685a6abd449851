package io.emostream.ingest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** The checks of an upload request's headers and names: token, idempotency key, content type. */
final class RequestChecks {

  private RequestChecks() {}

  /**
   * 1 to 255 printable ASCII characters (RFC 9110 field value, as the Idempotency-Key draft takes
   * it).
   */
  static boolean validIdempotencyKey(String key) {
    return !key.isEmpty()
        && key.length() <= 255
        && key.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }

  /**
   * A key belongs to the credentials it was sent with: another token's identical key is another
   * upload.
   */
  static String scope(String authorization, String key) {
    return HexFormat.of().formatHex(sha256(authorization == null ? "" : authorization)) + " " + key;
  }

  /**
   * Whether {@code header} is {@code Bearer <token>}; the comparison takes the same time wherever
   * they differ.
   */
  static boolean authorized(String header, String token) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    // Digests first, so neither the content nor the length of the token shows in the time taken.
    return MessageDigest.isEqual(sha256(header.substring(7).trim()), sha256(token));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * The user's message with the spool file (path or name) replaced by the upload's display name.
   */
  static String withoutServerPaths(String message, Path upload, String name) {
    String m =
        String.valueOf(message)
            .replace(upload.toAbsolutePath().toString(), name)
            .replace(upload.toString(), name)
            .replace(upload.getFileName().toString(), name);
    Path dir = upload.toAbsolutePath().getParent();
    return dir == null || dir.getNameCount() == 0 ? m : m.replace(dir.toString(), "");
  }

  static boolean acceptedContentType(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';'); // split(";") of ";" is empty: no type at all
    String type =
        (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
            .toLowerCase(Locale.ROOT)
            .trim();
    return type.startsWith("video/")
        || type.startsWith("audio/")
        || type.equals("application/octet-stream");
  }

  /**
   * A display name only: directories, control characters and Unicode's bidirectional controls
   * (which reorder what an operator's terminal shows after them, e.g. U+202E) are dropped, so it
   * can never become a path or disguise a log line.
   */
  static String displayName(String raw) {
    if (raw == null || raw.isBlank()) {
      return "upload";
    }
    String base = raw.replace('\\', '/');
    base =
        base.substring(base.lastIndexOf('/') + 1)
            .replaceAll("[\\p{Cntrl}\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]", "");
    return base.isBlank() || base.equals("..") || base.equals(".")
        ? "upload"
        : base.substring(0, Math.min(base.length(), 200));
  }

  /** A name from a request as an error shows it: one line, at most 40 characters. */
  static String shown(String name) {
    String line = name.replaceAll("\\p{Cntrl}", "?");
    return line.length() > 40 ? line.substring(0, 40) + "..." : line;
  }
}
