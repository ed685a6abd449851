package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.emostream.ops.OpsConfig;
import io.emostream.topics.DeadLetterHeaders;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/monitoring and the compose file's monitoring profile, without a broker: the dashboard's
 * panels and the alert rules read only metrics the code declares (emostream's own meters; the Kafka
 * clients' metrics are checked against real scrapes by {@link MonitoringIT}), Prometheus scrapes
 * every service on the port the code and compose give it, Grafana is provisioned with the
 * datasource the dashboard names, and promtool accepts the rules and config and passes the rules'
 * unit tests (where promtool is installed: Debian's {@code prometheus} package).
 */
class MonitoringFilesTest {

  private static final Map<String, Integer> JOBS =
      Map.of(
          "ingest",
          OpsConfig.INGEST_PORT,
          "audio-worker",
          OpsConfig.AUDIO_WORKER_PORT,
          "video-worker",
          OpsConfig.VIDEO_WORKER_PORT,
          "fusion-stream",
          OpsConfig.FUSION_STREAM_PORT);

  /**
   * How Micrometer's Prometheus registry names the series of a meter: counters, timers, summaries,
   * gauges.
   */
  private static final List<String> SERIES_SUFFIXES =
      List.of(
          "",
          "_total",
          "_seconds_bucket",
          "_seconds_count",
          "_seconds_sum",
          "_seconds_max",
          "_bucket",
          "_count",
          "_sum",
          "_max");

  private static final Pattern METER_NAME = Pattern.compile("\"(emostream(?:\\.[a-z0-9]+)+)\"");

  private final Map<String, Object> compose =
      new Yaml().load(RepositoryFiles.read("docker-compose.yml"));

  @Test
  void extractsMetricAndLabelNamesFromPromQl() {
    MonitoringFiles.Usage usage =
        MonitoringFiles.usage(
            "histogram_quantile(0.95, sum by (le, modality) (rate(a_seconds_bucket{job=~\"x|y\", status!=\"OK\"}[$__rate_interval])))"
                + " / on (modality) group_left sum(rate(b_total[5m] offset 1h)) > 1e3 unless absent(c{d=\"{e}\"})");
    assertThat(usage.metrics()).containsExactlyInAnyOrder("a_seconds_bucket", "b_total", "c");
    assertThat(usage.labels()).containsExactlyInAnyOrder("le", "modality", "job", "status", "d");
    assertThat(MonitoringFiles.usage("deriv(sum by (service) (lag)[15m:1m]) > 0").metrics())
        .containsExactly("lag");
    assertThat(
            MonitoringFiles.usage("label_values(emostream_fused_total{rule=\"AVERAGE\"}, status)"))
        .isEqualTo(
            new MonitoringFiles.Usage(Set.of("emostream_fused_total"), Set.of("rule", "status")));
  }

  @Test
  void readsSeriesAndLabelsFromAPrometheusScrape() {
    String scrape =
        "# HELP x_total x\n# TYPE x_total counter\nx_total{service=\"a\",topic=\"t\"} 1.0\n"
            + "x_total{service=\"b\",partition=\"0\"} 2.0\ny_seconds_max 0.5\n";
    assertThat(MonitoringFiles.seriesLabels(scrape))
        .containsOnlyKeys("x_total", "y_seconds_max")
        .containsEntry("x_total", new TreeSet<>(Set.of("service", "topic", "partition")));
  }

  @Test
  void everyPanelHasAQueryOnTheProvisionedDatasource() {
    JsonNode dashboard = MonitoringFiles.json(MonitoringFiles.DASHBOARD);
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    String datasource = provisionedDatasourceUid();
    Set<Integer> ids = new HashSet<>();
    int queried = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt()))
          .as("panel id %s is unique", panel.path("id"))
          .isTrue();
      assertThat(panel.path("gridPos").isObject()).isTrue();
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      String title = panel.path("title").asText();
      assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo(datasource);
      assertThat(panel.path("targets").size()).as(title + " has queries").isPositive();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("expr").asText()).as(title).isNotBlank();
        assertThat(target.path("datasource").path("uid").asText()).as(title).isEqualTo(datasource);
      }
      queried++;
    }
    assertThat(queried).isGreaterThanOrEqualTo(10);
  }

  @Test
  void theDashboardCoversEveryStageAndConcern() {
    Set<String> metrics = new TreeSet<>();
    MonitoringFiles.dashboardExpressions()
        .values()
        .forEach(e -> metrics.addAll(MonitoringFiles.usage(e).metrics()));
    assertThat(metrics)
        .as("throughput per stage")
        .contains(
            "emostream_ingest_clips_total",
            "emostream_worker_records_in_total",
            "emostream_worker_records_out_total",
            "emostream_fused_total");
    assertThat(metrics)
        .as("lag, inference, latency, statuses, dead letters, health")
        .contains(
            "kafka_consumer_fetch_manager_records_lag",
            "emostream_inference_seconds_bucket",
            "emostream_end_to_end_seconds_bucket",
            "emostream_predictions_total",
            "emostream_worker_dead_letters_total",
            "kafka_stream_task_dropped_records_total",
            "emostream_health_ready",
            "up");
  }

  @Test
  void everyEmostreamMetricReadIsAMeterTheCodeDeclares() throws IOException {
    Set<String> meters = meterNamesInCode();
    assertThat(meters).contains("emostream.fused", "emostream.health.ready");
    List<String> unknown = new ArrayList<>();
    MonitoringFiles.allExpressions()
        .forEach(
            (where, expression) -> {
              Set<String> used = MonitoringFiles.usage(expression).metrics();
              assertThat(used).as(where + " reads a metric").isNotEmpty();
              for (String metric : used) {
                boolean declared =
                    meters.stream()
                        .map(m -> m.replace('.', '_'))
                        .anyMatch(
                            base ->
                                SERIES_SUFFIXES.stream()
                                    .anyMatch(suffix -> metric.equals(base + suffix)));
                if (metric.startsWith("emostream_") && !declared) {
                  unknown.add(where + ": " + metric);
                }
              }
            });
    assertThat(unknown).as("emostream metrics no meter in the code exports").isEmpty();
  }

  /**
   * The Kafka consumer reports each partition's lag twice, under the topic name and under a legacy
   * copy with '.' replaced by '_' (seen in MonitoringIT's scrapes): a sum over both would double
   * the lag. Every emostream input topic has a dot in its name, so selecting topics with a dot
   * keeps one copy.
   */
  @Test
  void sumsOfConsumerLagCountEachPartitionOnce() {
    MonitoringFiles.allExpressions()
        .forEach(
            (where, expression) -> {
              if (MonitoringFiles.usage(expression)
                      .metrics()
                      .contains("kafka_consumer_fetch_manager_records_lag")
                  && expression.contains("sum")) {
                assertThat(expression)
                    .as(where)
                    .contains("kafka_consumer_fetch_manager_records_lag{topic=~\".*[.].*\"");
              }
            });
  }

  @Test
  void alertRulesAreCompleteAndNameOnlyScrapedJobs() {
    Set<String> names = new HashSet<>();
    Pattern jobs = Pattern.compile("job=~?\"([^\"]+)\"");
    for (Map<String, Object> rule : MonitoringFiles.alertRules()) {
      String name = String.valueOf(rule.get("alert"));
      assertThat(names.add(name)).as("alert %s is unique", name).isTrue();
      assertThat(name).startsWith("Emostream");
      Map<?, ?> labels = (Map<?, ?>) rule.get("labels");
      assertThat(labels.get("severity")).as(name).isIn("warning", "critical");
      Map<?, ?> annotations = (Map<?, ?>) rule.get("annotations");
      assertThat(annotations.get("summary")).as(name).isNotNull();
      assertThat(annotations.get("description")).as(name).isNotNull();
      Matcher job = jobs.matcher(String.valueOf(rule.get("expr")));
      while (job.find()) {
        assertThat(JOBS.keySet()).as(name).containsAll(List.of(job.group(1).split("\\|")));
      }
    }
    assertThat(names)
        .contains(
            "EmostreamConsumerLagGrowing",
            "EmostreamWorkerDeadLetters",
            "EmostreamFusionDeadLetters",
            "EmostreamNoFusedOutput",
            "EmostreamServiceNotReady",
            "EmostreamServiceDown");
  }

  @Test
  @SuppressWarnings("unchecked")
  void prometheusScrapesEveryServiceAndItsReplicasOnTheOpsPortComposeGivesIt() {
    Map<String, Object> config = new Yaml().load(RepositoryFiles.read(MonitoringFiles.PROMETHEUS));
    assertThat((List<String>) config.get("rule_files")).containsExactly("alerts.yml");
    Map<String, Map<String, Object>> services = DeploymentFilesTest.pipelineServices(compose);
    Set<String> scraped = new TreeSet<>();
    for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
      String name = (String) job.get("job_name");
      assertThat(JOBS).as("job %s is a service", name).containsKey(name);
      Map<String, Object> dns = ((List<Map<String, Object>>) job.get("dns_sd_configs")).get(0);
      assertThat(dns.get("port")).as(name).isEqualTo(JOBS.get(name));
      List<String> hosts = (List<String>) dns.get("names");
      for (String host : hosts) {
        assertThat(host.replace("-gpu", "")).as(name).isEqualTo(name);
        assertThat(services).as("%s is a compose service", host).containsKey(host);
        Map<String, Object> environment =
            (Map<String, Object>) services.get(host).get("environment");
        assertThat(String.valueOf(environment.get("EMOSTREAM_METRICS_PORT")))
            .as(host)
            .isEqualTo(dns.get("port").toString());
        scraped.add(host);
      }
    }
    Set<String> withOpsPort = new TreeSet<>(services.keySet());
    withOpsPort.removeAll(Set.of("kafka", "topics"));
    assertThat(scraped).as("every service with an ops port is scraped").isEqualTo(withOpsPort);
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeMonitoringProfileRunsPinnedOfficialImagesProvisionedFromTheRepository() {
    Map<String, Map<String, Object>> all =
        (Map<String, Map<String, Object>>) compose.get("services");
    Map<String, Object> prometheus = all.get("prometheus");
    Map<String, Object> grafana = all.get("grafana");
    for (Map<String, Object> service : List.of(prometheus, grafana)) {
      assertThat((List<String>) service.get("profiles")).containsExactly("monitoring");
    }
    assertThat((String) prometheus.get("image")).matches("prom/prometheus:v\\d+\\.\\d+\\.\\d+");
    assertThat((String) grafana.get("image")).matches("grafana/grafana:\\d+\\.\\d+\\.\\d+");
    Map<String, String> prometheusMounts = mounts(prometheus);
    assertThat(prometheusMounts)
        .containsEntry("/etc/prometheus/prometheus.yml", MonitoringFiles.PROMETHEUS)
        .containsEntry("/etc/prometheus/alerts.yml", MonitoringFiles.RULES);
    Map<String, String> grafanaMounts = mounts(grafana);
    String provisioning = grafanaMounts.get("/etc/grafana/provisioning");
    assertThat(RepositoryFiles.ROOT.resolve(provisioning)).isDirectory();
    Map<String, Object> providers =
        new Yaml().load(RepositoryFiles.read(provisioning + "/dashboards/emostream.yml"));
    Map<String, Object> provider = ((List<Map<String, Object>>) providers.get("providers")).get(0);
    String dashboards = (String) ((Map<String, Object>) provider.get("options")).get("path");
    assertThat(grafanaMounts.get(dashboards))
        .as("the provider's folder is the mounted dashboards folder")
        .isEqualTo(Path.of(MonitoringFiles.DASHBOARD).getParent().toString());
    Map<String, Object> datasource = datasource(provisioning);
    assertThat(datasource.get("url")).isEqualTo("http://prometheus:9090");
    assertThat(
            String.valueOf(
                ((Map<String, Object>) grafana.get("environment"))
                    .get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")))
        .isEqualTo(dashboards + "/emostream.json");
  }

  /**
   * The alerts send operators to the dead-letter topic; the README lists every header they will
   * find there.
   */
  @Test
  void theReadmeDocumentsEveryDeadLetterHeader() throws Exception {
    String readme = RepositoryFiles.read("README.md");
    int headers = 0;
    for (Field field : DeadLetterHeaders.class.getFields()) {
      String header = (String) field.get(null);
      assertThat(readme)
          .as("README documents the dead-letter header " + header)
          .contains("`" + header + "`");
      headers++;
    }
    assertThat(headers).isEqualTo(6);
  }

  /**
   * promtool (Debian's prometheus package) where installed: syntax of rules and config, and the
   * rules' unit tests.
   */
  @Test
  void promtoolAcceptsTheRulesAndConfigAndPassesTheRuleTests() throws Exception {
    Assumptions.assumeTrue(
        onPath("promtool"), "promtool is not installed (apt-get install prometheus)");
    Path dir = RepositoryFiles.ROOT.resolve(MonitoringFiles.RULES).getParent();
    promtool(dir, "check", "rules", "alerts.yml");
    promtool(dir, "check", "config", "prometheus.yml");
    promtool(dir, "test", "rules", "alerts-test.yml");
  }

  private static void promtool(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", command) + ":\n" + output).isZero();
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
  }

  @SuppressWarnings("unchecked")
  private static String provisionedDatasourceUid() {
    return (String) datasource("deploy/monitoring/grafana/provisioning").get("uid");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> datasource(String provisioning) {
    Map<String, Object> file =
        new Yaml().load(RepositoryFiles.read(provisioning + "/datasources/prometheus.yml"));
    List<Map<String, Object>> sources = (List<Map<String, Object>>) file.get("datasources");
    assertThat(sources).hasSize(1);
    return sources.get(0);
  }

  /**
   * Bind mounts of a compose service: container path → repository-relative source (which must
   * exist).
   */
  @SuppressWarnings("unchecked")
  private static Map<String, String> mounts(Map<String, Object> service) {
    Map<String, String> mounts = new TreeMap<>();
    for (String volume : (List<String>) service.get("volumes")) {
      String[] parts = volume.split(":");
      if (parts[0].startsWith("./")) {
        String source = parts[0].substring(2);
        assertThat(Files.exists(RepositoryFiles.ROOT.resolve(source))).as(volume).isTrue();
        assertThat(parts).as(volume + " is read-only").hasSize(3).endsWith("ro");
        mounts.put(parts[1], source);
      }
    }
    return mounts;
  }

  /**
   * Every {@code "emostream.x.y"} literal in the main sources: the names of the meters the services
   * register.
   */
  private static Set<String> meterNamesInCode() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(RepositoryFiles.ROOT)) {
      for (Path file :
          (Iterable<Path>)
              files
                      .filter(p -> p.toString().endsWith(".java"))
                      .filter(
                          p ->
                              RepositoryFiles.ROOT
                                  .relativize(p)
                                  .toString()
                                  .matches("[^/]+/src/main/java/.*"))
                  ::iterator) {
        Matcher m = METER_NAME.matcher(Files.readString(file));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }
}
