package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The query parameters of an upload, checked before its body is read. */
record UploadRequest(
    String name,
    FusionRule rule,
    ChannelSelection channels,
    Integer audioStream,
    String sourceId,
    Map<String, String> query) {

  /** The query parameters {@code POST /clips} takes (case-sensitive). */
  static final List<String> PARAMETERS =
      List.of("name", "rule", "channel", "audioStream", "sourceId");

  /**
   * {@code POST /clips}'s query: {@link #parse} after refusing a parameter it does not take. A
   * mistyped {@code sourceid} was ignored, and the upload got a new source id instead of the
   * caller's (found by a hostile-user pass); {@code POST /streams} refuses unknown fields the same
   * way.
   */
  static UploadRequest parseQuery(Map<String, String> query, ChannelSelection defaults) {
    for (String name : query.keySet()) {
      if (!PARAMETERS.contains(name)) {
        String near =
            PARAMETERS.stream()
                .filter(p -> p.equalsIgnoreCase(name))
                .findFirst()
                .map(p -> " (did you mean '" + p + "'?)")
                .orElse("");
        throw new IllegalArgumentException(
            "unknown query parameter '"
                + RequestChecks.shown(name)
                + "'"
                + near
                + "; accepted: "
                + String.join(", ", PARAMETERS));
      }
    }
    return parse(query, defaults);
  }

  static UploadRequest parse(Map<String, String> query, ChannelSelection defaults) {
    FusionRule rule;
    try {
      rule =
          query.containsKey("rule")
              ? FusionRule.valueOf(
                  query.get("rule").trim().toUpperCase(Locale.ROOT).replace('-', '_'))
              : null;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown fusion rule '"
              + query.get("rule")
              + "'; accepted: "
              + Arrays.toString(FusionRule.values()),
          e);
    }
    ChannelSelection channels = defaults.withMode(query.get("channel"));
    String sourceId =
        query.containsKey("sourceId") ? IngestService.checkSourceId(query.get("sourceId")) : null;
    return new UploadRequest(
        RequestChecks.displayName(query.get("name")),
        rule,
        channels,
        audioStream(query.get("audioStream")),
        sourceId,
        query);
  }

  private static Integer audioStream(String raw) {
    if (raw == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(raw.trim());
      if (n >= 0 && n <= 1_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        "audioStream '"
            + raw
            + "' is not accepted; give the audio stream's number "
            + "among the file's audio streams, from 0");
  }

  /** The parameters that make two requests the same upload, in a fixed order. */
  String fingerprint() {
    return new TreeMap<>(query).toString();
  }
}
