package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import io.emostream.schemas.SourceEvent;
import io.emostream.schemas.SourceEventType;
import io.emostream.schemas.SourceKind;
import io.emostream.topics.Topics;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The {@link SourceEvent}s ingest writes to topic {@code sources} (key: source id): STARTED when it
 * begins reading a source, ENDED once the source's last clip is published. Pure: tested without a
 * broker.
 */
public final class SourceEvents {

  /** End reasons (an error's is {@code error: <message>}). */
  public static final String COMPLETED = "completed";

  public static final String STOPPED = "stopped";
  public static final String SHUTDOWN = "shutdown";
  public static final String TIMEOUT = "timeout";

  private SourceEvents() {}

  /** {@code error: <message>}, the message on one line, any URL in it redacted ({@link #scrub}). */
  public static String error(String message) {
    return error(message, null);
  }

  /** {@link #error(String)} of a message about {@code url} ({@link #scrub(String, String)}). */
  public static String error(String message, String url) {
    return "error: "
        + (message == null ? "unknown" : scrub(message, url).replaceAll("\\s+", " ").trim());
  }

  /**
   * A URL in free text: a scheme, {@code ://}, user info up to its last {@code @} (any character
   * but a space, a double quote, an angle bracket or a slash: a password may hold quotes and
   * brackets, which leaked when the match stopped there), then the host and path up to a space, a
   * quote or a bracket, then a query or fragment up to a space or a double quote.
   */
  private static final Pattern URL_IN_TEXT =
      Pattern.compile(
          "[A-Za-z][A-Za-z0-9+.-]*://(?:[^\\s\"<>/]*@)?[^\\s\"'<>()\\[\\]{}?#]+(?:[?#][^\\s\"<>]*)?");

  /** JavaCV's advice appended to FFmpeg's errors: about its own API, not the user's input. */
  private static final Pattern JAVACV_HINTS =
      Pattern.compile(
          "\\s*\\((?:Has setFormat\\(\\) been called\\?|For more details, make sure .*? has been"
              + " called\\.)\\)");

  /**
   * {@code text} (an error message from FFmpeg or JavaCV, which quote the URL they were given) with
   * every URL in it redacted ({@link #redact}), so that a live source's password or token reaches
   * no record, log line, API answer or terminal; JavaCV's hints about its own API are dropped.
   * {@code null} stays {@code null}.
   */
  public static String scrub(String text) {
    if (text == null) {
      return null;
    }
    String hintless = JAVACV_HINTS.matcher(text).replaceAll("");
    return URL_IN_TEXT
        .matcher(hintless)
        .replaceAll(m -> Matcher.quoteReplacement(redact(m.group())));
  }

  /**
   * {@link #scrub(String)} of a message about {@code url}: first {@code url} itself, as given or
   * with its scheme lower-cased (as FFmpeg is handed it), becomes its redacted form, and its user
   * info and its query are cut wherever else they appear, whatever characters they hold.
   */
  public static String scrub(String text, String url) {
    if (text == null || url == null || url.isBlank()) {
      return scrub(text);
    }
    String shown = redact(url);
    String out = text.replace(url, shown);
    int scheme = url.indexOf("://");
    if (scheme > 0) {
      String rest = url.substring(scheme + 3);
      out = out.replace(url.substring(0, scheme).toLowerCase(Locale.ROOT) + "://" + rest, shown);
      int query = indexOfAny(rest, "?#");
      if (query >= 0) {
        out = out.replace(rest.substring(query), "");
        rest = rest.substring(0, query);
      }
      int slash = rest.indexOf('/');
      String authority = slash < 0 ? rest : rest.substring(0, slash);
      int at = authority.lastIndexOf('@');
      if (at >= 0) {
        out = out.replace(authority.substring(0, at + 1), "");
      }
    }
    return scrub(out);
  }

  private static int indexOfAny(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  /** The STARTED record of a source; {@code url} is redacted ({@link #redact}). */
  public static ProducerRecord<String, byte[]> started(
      Topics topics,
      String sourceId,
      String sourceName,
      SourceKind kind,
      String url,
      FusionRule rule,
      Instant at) {
    return record(
        topics,
        base(sourceId, sourceName, kind, url, rule, at)
            .setType(SourceEventType.STARTED)
            .setClipCount(0)
            .setMediaTimeMs(-1)
            .build());
  }

  /**
   * The ENDED record: {@code clipCount} clips published (every channel counted), media time reached
   * {@code mediaTimeMs} (the end of the last published segment), why it ended.
   */
  public static ProducerRecord<String, byte[]> ended(
      Topics topics,
      String sourceId,
      String sourceName,
      SourceKind kind,
      String url,
      FusionRule rule,
      Instant at,
      int clipCount,
      long mediaTimeMs,
      String endReason) {
    return record(
        topics,
        base(sourceId, sourceName, kind, url, rule, at)
            .setType(SourceEventType.ENDED)
            .setClipCount(clipCount)
            .setMediaTimeMs(mediaTimeMs)
            .setEndReason(endReason)
            .build());
  }

  private static SourceEvent.Builder base(
      String sourceId,
      String sourceName,
      SourceKind kind,
      String url,
      FusionRule rule,
      Instant at) {
    return SourceEvent.newBuilder()
        .setSourceId(sourceId)
        .setSourceName(sourceName)
        .setKind(kind)
        .setUrl(url == null ? null : redact(url))
        .setRule(rule)
        .setAtMs(at);
  }

  private static ProducerRecord<String, byte[]> record(Topics topics, SourceEvent event) {
    return topics.sources().record(event.getSourceId(), event);
  }

  /**
   * {@code url} without user info (user, password), query or fragment, so that no secret reaches a
   * record, a log line or {@code GET /streams}: {@code rtmp://u:p@host/live/s?token=x} becomes
   * {@code rtmp://host/live/s}. SRT's options are in the query, passphrase included, so they go
   * too. A string Java cannot parse as a URI is cut the same way by hand ({@link
   * #redactUnparsable}).
   */
  public static String redact(String url) {
    try {
      URI uri = new URI(url);
      if (uri.isOpaque() || uri.getScheme() == null) {
        return (uri.getScheme() == null ? "" : uri.getScheme() + ":") + "[redacted]";
      }
      String host = uri.getHost();
      if (host == null) {
        // A registry-based authority Java cannot parse as a server (a raw @ in a password): cut by
        // hand, keeping the host and port after its last @. Dropping the whole authority showed
        // "rtmp:/live/a", and operators could not tell which server failed (found by helper-50).
        return redactUnparsable(url);
      }
      return new URI(uri.getScheme(), null, host, uri.getPort(), uri.getPath(), null, null)
          .toString();
    } catch (URISyntaxException e) {
      return redactUnparsable(url);
    }
  }

  /**
   * What {@link #redact} shows of a string Java's URI parser refuses (a space, a brace in SRT's
   * {@code streamid}, an SRT listener's empty host): the same parts, cut by hand. Everything from
   * the first {@code ?} or {@code #} goes, and the authority's user info (up to its last
   * {@code @}); control characters become {@code ?}. Without {@code ://} only {@code [unparsable]}
   * is left.
   */
  static String redactUnparsable(String url) {
    int scheme = url.indexOf("://");
    if (scheme <= 0) {
      return "[unparsable]";
    }
    String rest = url.substring(scheme + 3).split("[?#]", 2)[0];
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    authority = authority.substring(authority.lastIndexOf('@') + 1);
    return (url.substring(0, scheme) + "://" + authority + path).replaceAll("\\p{Cntrl}", "?");
  }
}
