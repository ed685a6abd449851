package io.emostream.ingest;

import io.emostream.schemas.FusionRule;
import java.util.Arrays;
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
