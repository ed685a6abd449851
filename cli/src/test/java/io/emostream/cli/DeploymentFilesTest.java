package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.audio.AudioWorkerMain;
import io.emostream.inference.VadConfig;
import io.emostream.ops.OpsConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml and the Dockerfiles checked against the code: every service and image, every
 * environment variable (each must be one the code reads, or a real Kafka setting), dependencies,
 * health checks, GPU reservations, and the Maven outputs the images copy. No Docker engine needed.
 * deploy/k8s: {@link K8sManifestsTest}; deploy/monitoring and the monitoring profile: {@link
 * MonitoringFilesTest}.
 */
class DeploymentFilesTest {

  private static final Set<String> SERVICES =
      Set.of("ingest", "audio-worker", "video-worker", "fusion-stream");
  private static final Map<String, Integer> METRICS_PORTS =
      Map.of(
          "ingest",
          OpsConfig.INGEST_PORT,
          "audio-worker",
          OpsConfig.AUDIO_WORKER_PORT,
          "video-worker",
          OpsConfig.VIDEO_WORKER_PORT,
          "fusion-stream",
          OpsConfig.FUSION_STREAM_PORT);
  private static final Pattern COPY = Pattern.compile("(?m)^COPY\\s+(\\S+)\\s+(\\S+)");

  private final Map<String, Object> compose = yaml("docker-compose.yml");

  /**
   * The pipeline's services; the monitoring profile's (Prometheus, Grafana) are checked by
   * MonitoringFilesTest.
   */
  private final Map<String, Map<String, Object>> services = pipelineServices(compose);

  private final Set<String> readByCode = RepositoryFiles.variablesReadByCode();

  @Test
  void composeHasKafkaTopicSetUpTheFourServicesAndTheirGpuVariants() {
    assertThat(services.keySet())
        .containsExactlyInAnyOrder(
            "kafka",
            "topics",
            "ingest",
            "audio-worker",
            "audio-worker-gpu",
            "video-worker",
            "video-worker-gpu",
            "fusion-stream");
  }

  @Test
  void kafkaIsTheOfficialImageInKraftModeAtTheVersionTheCodeIsBuiltWith() {
    Map<String, Object> broker = services.get("kafka");
    assertThat(broker.get("image")).isEqualTo("apache/kafka:" + rootPomProperty("version.kafka"));
    Map<String, String> env = environment(broker);
    assertThat(env.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
    assertThat(env).doesNotContainKey("KAFKA_ZOOKEEPER_CONNECT");
    assertThat(Uuid.fromString(env.get("CLUSTER_ID"))).as("CLUSTER_ID is a Kafka UUID").isNotNull();
    Set<String> brokerConfigs = kafka.server.KafkaConfig.configDef().names();
    env.keySet().stream()
        .filter(n -> !n.equals("CLUSTER_ID"))
        .forEach(
            name ->
                assertThat(brokerConfigs)
                    .as("%s is a broker setting", name)
                    .contains(property(name)));
    assertThat(healthTest(broker)).contains("kafka-broker-api-versions.sh");
  }

  @Test
  void everyServiceIsConfiguredOnlyByVariablesTheCodeReadsOrRealKafkaClientSettings() {
    Set<String> clientConfigs = new HashSet<>();
    clientConfigs.addAll(ProducerConfig.configNames());
    clientConfigs.addAll(ConsumerConfig.configNames());
    clientConfigs.addAll(AdminClientConfig.configNames());
    clientConfigs.addAll(StreamsConfig.configDef().names());
    services.forEach(
        (name, service) -> {
          if (name.equals("kafka")) {
            return;
          }
          assertThat(service)
              .as(name + " has no command-line configuration")
              .doesNotContainKey("command");
          Map<String, String> env = environment(service);
          assertThat(env).as(name).containsEntry("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
          for (String variable : env.keySet()) {
            if (variable.startsWith("KAFKA_")) {
              assertThat(clientConfigs)
                  .as("%s of %s is a Kafka client setting", variable, name)
                  .contains(property(variable));
            } else {
              assertThat(readByCode)
                  .as("%s of %s is read by the code", variable, name)
                  .contains(variable);
            }
          }
        });
  }

  @Test
  void servicesStartAfterTheTopicsWhichStartAfterAHealthyBroker() {
    assertThat(dependency(services.get("topics"), "kafka"))
        .containsEntry("condition", "service_healthy");
    services.forEach(
        (name, service) -> {
          if (!name.equals("kafka") && !name.equals("topics")) {
            assertThat(dependency(service, "topics"))
                .as(name)
                .containsEntry("condition", "service_completed_successfully");
          }
        });
    assertThat(list(services.get("topics").get("entrypoint")))
        .last()
        .isEqualTo("io.emostream.kafka.TopicAdmin");
    assertHasMain("io.emostream.kafka.TopicAdmin");
  }

  @Test
  void everyLongRunningServiceHasAReadinessHealthCheckOnItsMetricsPort() {
    for (String name :
        List.of(
            "ingest",
            "audio-worker",
            "audio-worker-gpu",
            "video-worker",
            "video-worker-gpu",
            "fusion-stream")) {
      Map<String, Object> service = services.get(name);
      String module = name.replace("-gpu", "");
      int port = METRICS_PORTS.get(module);
      assertThat(environment(service))
          .as(name)
          .containsEntry("EMOSTREAM_METRICS_PORT", Integer.toString(port))
          .containsEntry("EMOSTREAM_METRICS_HOST", "0.0.0.0");
      assertThat(healthTest(service))
          .as(name)
          .contains("http://127.0.0.1:" + port + "/health/ready");
      assertThat(service)
          .as(name + " waits for in-flight work on SIGTERM")
          .containsKey("stop_grace_period");
    }
  }

  @Test
  void workersScaleNoFixedNamesNoHostPorts() {
    services.forEach(
        (name, service) -> assertThat(service).as(name).doesNotContainKey("container_name"));
    for (String worker :
        List.of("audio-worker", "audio-worker-gpu", "video-worker", "video-worker-gpu")) {
      assertThat(services.get(worker)).as(worker).doesNotContainKey("ports");
      assertThat(environment(services.get(worker)))
          .as(worker)
          .doesNotContainKey("EMOSTREAM_INSTANCE_ID");
    }
  }

  @Test
  void gpuVariantsReserveAnNvidiaGpuUnderTheGpuProfileAndCpuVariantsRunAnywhere() {
    for (String worker : List.of("audio-worker", "video-worker")) {
      Map<String, Object> cpu = services.get(worker);
      Map<String, Object> gpu = services.get(worker + "-gpu");
      assertThat(cpu).doesNotContainKey("deploy").doesNotContainKey("profiles");
      assertThat(environment(cpu)).containsEntry("EMOSTREAM_DEVICE", "cpu");
      assertThat(list(gpu.get("profiles"))).containsExactly("gpu");
      assertThat(environment(gpu)).containsEntry("EMOSTREAM_DEVICE", "cuda");
      String group =
          worker.startsWith("audio") ? "EMOSTREAM_AUDIO_GROUP_ID" : "EMOSTREAM_VIDEO_GROUP_ID";
      assertThat(environment(gpu).get(group))
          .as("GPU and CPU replicas share one consumer group")
          .isEqualTo(environment(cpu).get(group));
      Map<String, Object> reservations =
          map(map(map(gpu.get("deploy")).get("resources")).get("reservations"));
      Map<String, Object> device = map(list(reservations.get("devices")).get(0));
      assertThat(device.get("driver")).isEqualTo("nvidia");
      assertThat(list(device.get("capabilities"))).containsExactly("gpu");
      assertThat(map(gpu.get("build")).get("dockerfile")).isEqualTo(worker + "/Dockerfile.gpu");
    }
  }

  @Test
  void everyImageIsBuiltFromItsModuleWithTheMavenOutputsAndAnExistingMain() throws Exception {
    for (String name :
        List.of(
            "topics",
            "ingest",
            "audio-worker",
            "audio-worker-gpu",
            "video-worker",
            "video-worker-gpu",
            "fusion-stream")) {
      Map<String, Object> build = map(services.get(name).get("build"));
      assertThat(build.get("context")).as(name).isEqualTo(".");
      String dockerfile = (String) build.get("dockerfile");
      String module = dockerfile.substring(0, dockerfile.indexOf('/'));
      assertThat(SERVICES).contains(module);
      checkDockerfile(module, dockerfile);
    }
  }

  private void checkDockerfile(String module, String path) throws Exception {
    String text = RepositoryFiles.read(path);
    boolean gpu = path.endsWith(".gpu");
    Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)").matcher(text);
    assertThat(from.find()).isTrue();
    if (gpu) {
      assertThat(from.group(1))
          .as(path)
          .matches("nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-ubuntu[0-9.]+");
      assertThat(text).contains("openjdk-17-jre-headless");
    } else {
      assertThat(from.group(1)).as(path).isEqualTo("eclipse-temurin:17-jre");
    }
    String pom = RepositoryFiles.read(module + "/pom.xml");
    assertThat(pom)
        .as(module + " names its jar after the module and copies its runtime jars")
        .contains("<finalName>${project.artifactId}</finalName>")
        .contains("<artifactId>maven-dependency-plugin</artifactId>");
    String lib = gpu ? "lib-gpu" : "lib";
    assertThat(rootPomProperty("emostream.lib.dir")).isEqualTo("lib");
    Matcher copy = COPY.matcher(text);
    List<String> sources = new ArrayList<>();
    while (copy.find()) {
      sources.add(copy.group(1));
    }
    assertThat(sources)
        .as(path)
        .contains(module + "/target/" + module + ".jar", module + "/target/" + lib + "/");
    for (String source : sources) {
      if (source.startsWith("models/")) {
        assertThat(RepositoryFiles.ROOT.resolve(source)).as(path).isDirectory();
      } else {
        assertThat(source)
            .as(path)
            .isIn(module + "/target/" + module + ".jar", module + "/target/" + lib + "/");
      }
    }
    assertThat(RepositoryFiles.read(".dockerignore"))
        .contains(
            "!" + module + "/target/" + module + ".jar", "!" + module + "/target/" + lib + "/");
    Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT \\[(.*)\\]").matcher(text);
    assertThat(entrypoint.find())
        .as(path + " has an exec-form ENTRYPOINT (java gets SIGTERM)")
        .isTrue();
    List<String> args = List.of(entrypoint.group(1).replace("\"", "").split(",\\s*"));
    assertThat(args).contains("/app/" + module + ".jar:/app/lib/*");
    assertHasMain(args.get(args.size() - 1));
    Matcher env = Pattern.compile("(?m)\\b(EMOSTREAM_[A-Z0-9_]+)=").matcher(text);
    while (env.find()) {
      assertThat(readByCode).as(path + " sets a variable the code reads").contains(env.group(1));
    }
  }

  @Test
  void theAudioImagesShipTheVoiceActivityModelThatComposeAndKubernetesPointTo() {
    for (String dockerfile : List.of("audio-worker/Dockerfile", "audio-worker/Dockerfile.gpu")) {
      assertThat(RepositoryFiles.read(dockerfile))
          .as(dockerfile)
          .contains("COPY models/silero-vad/ /app/models/silero-vad/");
    }
    for (String name : List.of("audio-worker", "audio-worker-gpu")) {
      Object model = environment(services.get(name)).get("EMOSTREAM_VAD_MODEL");
      assertThat(model).as(name).isEqualTo(VadConfig.DEFAULT_MODEL.toString());
      assertThat(RepositoryFiles.ROOT.resolve((String) model)).as(name).isRegularFile();
    }
    assertThat(RepositoryFiles.read("deploy/k8s/base/config/audio-worker.env"))
        .contains("EMOSTREAM_VAD_MODEL=" + VadConfig.DEFAULT_MODEL + "\n");
  }

  @Test
  void theAudioImagesShipTheDefaultSpeechModelThatComposeAndKubernetesPointTo() {
    String folder = AudioWorkerMain.DEFAULT_MODEL.getParent().toString();
    for (String dockerfile : List.of("audio-worker/Dockerfile", "audio-worker/Dockerfile.gpu")) {
      assertThat(RepositoryFiles.read(dockerfile))
          .as(dockerfile)
          .contains("COPY " + folder + "/ /app/" + folder + "/");
    }
    for (String name : List.of("audio-worker", "audio-worker-gpu")) {
      assertThat(environment(services.get(name)).get("EMOSTREAM_AUDIO_MODEL"))
          .as(name)
          .isEqualTo(AudioWorkerMain.DEFAULT_MODEL.toString());
    }
    assertThat(RepositoryFiles.read("deploy/k8s/base/config/audio-worker.env"))
        .contains("EMOSTREAM_AUDIO_MODEL=" + AudioWorkerMain.DEFAULT_MODEL + "\n");
    assertThat(RepositoryFiles.ROOT.resolve(AudioWorkerMain.DEFAULT_MODEL)).isRegularFile();
  }

  /**
   * Secure by default: ingest gets its upload token from {@code .env} or the shell, with no
   * default, so compose stops with a message saying what to put in {@code .env} rather than start
   * an ingest that exits (or one open to all); {@code .env} is never committed, and the README's
   * upload lines send the token.
   */
  @Test
  void ingestsUploadTokenIsRequiredFromDotEnvAndTheReadmeSendsIt() {
    String token = environment(services.get("ingest")).get("EMOSTREAM_INGEST_TOKEN");
    assertThat(token)
        .startsWith("${EMOSTREAM_INGEST_TOKEN:?")
        .contains("in .env")
        .endsWith("}")
        .doesNotContain(":-");
    assertThat(RepositoryFiles.read(".gitignore").lines()).contains(".env");
    String readme = RepositoryFiles.read("README.md");
    for (String section : List.of("## Run it with Docker Compose", "## Run it distributed")) {
      String text = readme.substring(readme.indexOf(section));
      text = text.substring(0, text.indexOf("\n## ", section.length()));
      assertThat(text.lines().filter(l -> l.startsWith("curl ") && l.contains("/clips")).toList())
          .as(section)
          .isNotEmpty()
          .allSatisfy(
              l -> assertThat(l).containsPattern("-H \"Authorization: Bearer \\$[A-Z_]*TOKEN\""));
      assertThat(text).as(section).containsPattern("(?m)(^| )(export )?[A-Z_]*TOKEN=");
    }
  }

  /**
   * The same file through Docker Compose's own parser and schema, where it is installed (no engine
   * needed): with a token in the env file it is accepted, with the GPU profile too; without one it
   * is refused with the message.
   */
  @Test
  void dockerComposeConfigAcceptsTheFileAndRefusesItWithoutAToken(@TempDir Path dir)
      throws Exception {
    List<String> tool = composeTool();
    Assumptions.assumeTrue(
        tool != null, "neither docker-compose nor the docker compose plugin is installed");
    Path withToken =
        Files.writeString(
            dir.resolve("token.env"), "EMOSTREAM_INGEST_TOKEN=" + "ab".repeat(32) + "\n");
    Path empty = Files.writeString(dir.resolve("empty.env"), "");
    for (List<String> args :
        List.of(
            List.of("config", "-q"),
            List.of("--profile", "gpu", "config", "-q"),
            List.of("--profile", "monitoring", "config", "-q"))) {
      Compose result = compose(tool, withToken, args);
      assertThat(result.exit()).as(result.output()).isZero();
    }
    Compose refused = compose(tool, empty, List.of("config", "-q"));
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.output()).contains("put EMOSTREAM_INGEST_TOKEN=<secret> in .env");
  }

  private record Compose(int exit, String output) {}

  private static Compose compose(List<String> tool, Path envFile, List<String> args)
      throws Exception {
    List<String> command = new ArrayList<>(tool);
    command.addAll(
        List.of(
            "--env-file",
            envFile.toString(),
            "-f",
            RepositoryFiles.ROOT.resolve("docker-compose.yml").toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("EMOSTREAM_INGEST_TOKEN");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Compose(process.exitValue(), String.join(" ", command) + ": " + output);
  }

  private static List<String> composeTool() throws IOException, InterruptedException {
    for (List<String> candidate :
        List.of(List.of("docker-compose"), List.of("docker", "compose"))) {
      try {
        List<String> version = new ArrayList<>(candidate);
        version.add("version");
        Process p = new ProcessBuilder(version).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException notInstalled) {
        // try the next one
      }
    }
    return null;
  }

  private static void assertHasMain(String className) {
    try {
      Method main = Class.forName(className).getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).as(className + ".main is static").isTrue();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(className + " has no public static main(String[])", e);
    }
  }

  /**
   * {@code KAFKA_SASL_JAAS_CONFIG} → {@code sasl.jaas.config}, as KafkaSettings and the Kafka image
   * map them.
   */
  private static String property(String variable) {
    return variable.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private static String rootPomProperty(String name) {
    Matcher m =
        Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</")
            .matcher(RepositoryFiles.read("pom.xml"));
    assertThat(m.find()).as("root pom property " + name).isTrue();
    return m.group(1);
  }

  static Map<String, Map<String, Object>> pipelineServices(Map<String, Object> compose) {
    Map<String, Map<String, Object>> pipeline = new LinkedHashMap<>();
    DeploymentFilesTest.<Map<String, Object>>map(compose.get("services"))
        .forEach(
            (name, service) -> {
              if (!service.containsKey("profiles")
                  || !list(service.get("profiles")).contains("monitoring")) {
                pipeline.put(name, service);
              }
            });
    return pipeline;
  }

  private static Map<String, Object> dependency(Map<String, Object> service, String on) {
    Map<String, Object> dependsOn = map(service.get("depends_on"));
    return map(dependsOn.get(on));
  }

  private static String healthTest(Map<String, Object> service) {
    return String.join(
        " ",
        list(map(service.get("healthcheck")).get("test")).stream().map(String::valueOf).toList());
  }

  private static Map<String, String> environment(Map<String, Object> service) {
    Map<String, String> env = new TreeMap<>();
    map(service.get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  private static Map<String, Object> yaml(String relative) {
    return new Yaml().load(RepositoryFiles.read(relative));
  }

  @SuppressWarnings("unchecked")
  private static <V> Map<String, V> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, V>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }
}
