package io.emostream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring files in deploy/monitoring (the Grafana dashboard and the Prometheus alert rules),
 * the PromQL expressions in them, and the metric and label names those expressions use; and the
 * metric families and their labels in a Prometheus text scrape. What {@link MonitoringFilesTest}
 * and {@link MonitoringIT} compare.
 */
final class MonitoringFiles {

  static final String DASHBOARD = "deploy/monitoring/grafana/dashboards/emostream.json";
  static final String RULES = "deploy/monitoring/prometheus/alerts.yml";
  static final String PROMETHEUS = "deploy/monitoring/prometheus/prometheus.yml";

  /**
   * Labels Prometheus itself adds to every scraped series (target labels), so no service exports
   * them.
   */
  static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  /** Series Prometheus writes for every target (its scrape health), not exported by a service. */
  static final Set<String> SYNTHETIC_SERIES = Set.of("up");

  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "inf",
          "nan");
  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)\\}");
  private static final Pattern MATCHER_LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern GRAFANA_VARIABLE =
      Pattern.compile("\\$\\{?[a-zA-Z_][a-zA-Z0-9_]*\\}?");
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+\\S+");
  private static final Pattern NUMBER = Pattern.compile("(?<![a-zA-Z0-9_:])[0-9][0-9a-zA-Z.+]*");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)");
  private static final Pattern LABEL_VALUES =
      Pattern.compile(
          "label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s*,\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s");
  private static final Pattern SAMPLE_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

  private MonitoringFiles() {}

  /**
   * What one PromQL expression reads: metric names and the label names of its matchers and
   * groupings.
   */
  record Usage(Set<String> metrics, Set<String> labels) {}

  /**
   * Every PromQL expression of the dashboard's panels and template variables, keyed by where it is.
   */
  static Map<String, String> dashboardExpressions() {
    JsonNode dashboard = json(DASHBOARD);
    Map<String, String> expressions = new LinkedHashMap<>();
    collectPanels(dashboard.path("panels"), expressions);
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      JsonNode query = variable.path("query");
      String text = query.isObject() ? query.path("query").asText("") : query.asText("");
      if (!text.isBlank()) {
        expressions.put("variable " + variable.path("name").asText(), text);
      }
    }
    return expressions;
  }

  private static void collectPanels(JsonNode panels, Map<String, String> into) {
    for (JsonNode panel : panels) {
      int i = 0;
      for (JsonNode target : panel.path("targets")) {
        into.put(
            "panel '" + panel.path("title").asText() + "' target " + i++,
            target.path("expr").asText());
      }
      collectPanels(panel.path("panels"), into);
    }
  }

  /** Every alert rule's expression, keyed by the alert's name. */
  static Map<String, String> ruleExpressions() {
    Map<String, String> expressions = new LinkedHashMap<>();
    for (Map<String, Object> rule : alertRules()) {
      expressions.put("alert " + rule.get("alert"), String.valueOf(rule.get("expr")));
    }
    return expressions;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> alertRules() {
    Map<String, Object> file = new Yaml().load(RepositoryFiles.read(RULES));
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Object group : (List<Object>) file.get("groups")) {
      rules.addAll((List<Map<String, Object>>) ((Map<String, Object>) group).get("rules"));
    }
    return rules;
  }

  static Map<String, String> allExpressions() {
    Map<String, String> all = new LinkedHashMap<>(dashboardExpressions());
    all.putAll(ruleExpressions());
    return all;
  }

  /**
   * The metric and label names of a PromQL expression (or a Grafana {@code label_values(metric,
   * label)} query). Strings, ranges, offsets, numbers and Grafana variables are removed first; then
   * label matchers and grouping lists give label names, and every identifier left that is not a
   * keyword and not called as a function is a metric.
   */
  static Usage usage(String expression) {
    Set<String> metrics = new TreeSet<>();
    Set<String> labels = new TreeSet<>();
    Matcher values = LABEL_VALUES.matcher(expression);
    if (values.find()) {
      metrics.add(values.group(1));
      labels.add(values.group(3));
      if (values.group(2) != null) {
        collect(MATCHER_LABEL, values.group(2), labels);
      }
      return new Usage(metrics, labels);
    }
    String text = GRAFANA_VARIABLE.matcher(expression).replaceAll("");
    text = STRING.matcher(text).replaceAll("\"\"");
    text = RANGE.matcher(text).replaceAll(" ");
    Matcher matchers = MATCHERS.matcher(text);
    while (matchers.find()) {
      collect(MATCHER_LABEL, matchers.group(1), labels);
    }
    text = matchers.replaceAll(" ");
    Matcher grouping = GROUPING.matcher(text);
    while (grouping.find()) {
      collect(LABEL, grouping.group(1), labels);
    }
    text = grouping.replaceAll(" ");
    text = OFFSET.matcher(text).replaceAll(" ");
    text = NUMBER.matcher(text).replaceAll(" ");
    Matcher identifier = IDENTIFIER.matcher(text);
    while (identifier.find()) {
      String name = identifier.group();
      boolean call = text.substring(identifier.end()).stripLeading().startsWith("(");
      if (!call && !KEYWORDS.contains(name)) {
        metrics.add(name);
      }
    }
    return new Usage(metrics, labels);
  }

  /**
   * The families of a Prometheus text scrape (as series names: {@code x_bucket}, {@code x_count}),
   * with their labels.
   */
  static Map<String, Set<String>> seriesLabels(String scrape) {
    Map<String, Set<String>> series = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.find()) {
        throw new IllegalArgumentException("not a Prometheus sample line: " + line);
      }
      Set<String> labels = series.computeIfAbsent(sample.group(1), k -> new TreeSet<>());
      if (sample.group(3) != null) {
        collect(SAMPLE_LABEL, sample.group(3), labels);
      }
    }
    return series;
  }

  private static void collect(Pattern pattern, String text, Set<String> into) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }

  static JsonNode json(String relative) {
    try {
      return new ObjectMapper().readTree(RepositoryFiles.read(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
