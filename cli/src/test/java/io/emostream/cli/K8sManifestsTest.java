package io.emostream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.emostream.ingest.IngestConfig;
import io.emostream.kafka.Env;
import io.emostream.kafka.TopicsEnv;
import io.emostream.ops.OpsConfig;
import io.emostream.topics.Topics;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/k8s rendered by {@code kubectl kustomize} (the base and the gpu and keda overlays) and
 * checked against the code: every service a Deployment with a Service, probes on the ops port the
 * code serves, resources; configuration only from variables the code reads (or real Kafka client
 * settings); the ingest token only from a Secret; images named in one place; GPU limits; KEDA
 * triggers on the groups and topics the workers use. Without kubectl on the PATH the tests skip
 * with a message (kustomize's own rendering is what is checked, not an imitation of it).
 */
class K8sManifestsTest {

  private static final Map<String, Integer> SERVICES =
      Map.of(
          "ingest",
          OpsConfig.INGEST_PORT,
          "audio-worker",
          OpsConfig.AUDIO_WORKER_PORT,
          "video-worker",
          OpsConfig.VIDEO_WORKER_PORT,
          "fusion-stream",
          OpsConfig.FUSION_STREAM_PORT);
  private static final String IMAGES = "deploy/k8s/images/kustomization.yaml";

  private final Set<String> readByCode = RepositoryFiles.variablesReadByCode();

  /** One rendered overlay: its objects by kind and name. */
  private record Rendered(Map<String, Map<String, Map<String, Object>>> byKind) {

    Map<String, Map<String, Object>> all(String kind) {
      return byKind.getOrDefault(kind, Map.of());
    }

    Map<String, Object> get(String kind, String name) {
      Map<String, Object> object = all(kind).get(name);
      assertThat(object).as("%s %s", kind, name).isNotNull();
      return object;
    }

    Map<String, Object> container(String deployment) {
      return map(
          list(map(map(map(get("Deployment", deployment).get("spec")).get("template")).get("spec"))
                  .get("containers"))
              .get(0));
    }

    /**
     * The variables a container gets: its ConfigMaps' data, then its env entries (values or
     * references).
     */
    Map<String, Object> environment(String deployment) {
      Map<String, Object> env = new TreeMap<>();
      Map<String, Object> container = container(deployment);
      for (Object from : list(container.getOrDefault("envFrom", List.of()))) {
        String configMap = (String) map(map(from).get("configMapRef")).get("name");
        env.putAll(map(get("ConfigMap", configMap).get("data")));
      }
      for (Object entry : list(container.getOrDefault("env", List.of()))) {
        Map<String, Object> e = map(entry);
        env.put(
            (String) e.get("name"), e.containsKey("value") ? e.get("value") : e.get("valueFrom"));
      }
      return env;
    }
  }

  @Test
  void everyServiceIsADeploymentWithAServiceProbesOnItsOpsPortAndResources() throws Exception {
    Rendered base = render("deploy/k8s/base");
    assertThat(base.all("Deployment").keySet())
        .containsExactlyInAnyOrderElementsOf(SERVICES.keySet());
    for (Map.Entry<String, Integer> service : SERVICES.entrySet()) {
      String name = service.getKey();
      Map<String, Object> container = base.container(name);
      Map<String, Object> env = base.environment(name);
      assertThat(env)
          .as(name)
          .containsEntry(OpsConfig.PORT_ENV, service.getValue().toString())
          .containsEntry(OpsConfig.HOST_ENV, "0.0.0.0");
      assertThat(port(container, "metrics")).as(name).isEqualTo(service.getValue());
      assertThat(probe(container, "readinessProbe")).as(name).isEqualTo("/health/ready@metrics");
      assertThat(probe(container, "livenessProbe")).as(name).isEqualTo("/health/live@metrics");
      assertThat(probe(container, "startupProbe"))
          .as(name + " waits for the models to load")
          .isEqualTo("/health/live@metrics");
      Map<String, Object> resources = map(container.get("resources"));
      assertThat(map(resources.get("requests"))).as(name).containsKeys("cpu", "memory");
      assertThat(map(resources.get("limits"))).as(name).containsKey("memory");
      Map<String, Object> pod =
          map(map(map(base.get("Deployment", name).get("spec")).get("template")).get("spec"));
      assertThat(((Number) pod.get("terminationGracePeriodSeconds")).intValue())
          .as("%s: longer than the 30 s a service takes to finish its work on SIGTERM", name)
          .isGreaterThan(30);
      assertThat(map(pod.get("securityContext"))).as(name).containsEntry("runAsNonRoot", true);

      Map<String, Object> svc = base.get("Service", name);
      assertThat(map(map(svc.get("spec")).get("selector")))
          .containsEntry("app.kubernetes.io/name", name);
      Map<String, Object> labels =
          map(
              map(map(map(base.get("Deployment", name).get("spec")).get("template"))
                      .get("metadata"))
                  .get("labels"));
      assertThat(labels).containsEntry("app.kubernetes.io/name", name);
      assertThat(servicePorts(svc)).as(name).containsEntry("metrics", "metrics");
    }
    Map<String, Object> ingest = base.environment("ingest");
    assertThat(port(base.container("ingest"), "http"))
        .isEqualTo(Integer.parseInt((String) ingest.get("EMOSTREAM_HTTP_PORT")));
    assertThat(servicePorts(base.get("Service", "ingest"))).containsEntry("http", "http");
    assertThat(ingest).containsEntry("EMOSTREAM_HTTP_HOST", "0.0.0.0");
  }

  @Test
  void configurationIsOnlyWhatTheCodeReadsOrKafkaClientSettings() throws Exception {
    Set<String> clientConfigs = new HashSet<>();
    clientConfigs.addAll(ProducerConfig.configNames());
    clientConfigs.addAll(ConsumerConfig.configNames());
    clientConfigs.addAll(AdminClientConfig.configNames());
    clientConfigs.addAll(StreamsConfig.configDef().names());
    for (String overlay :
        List.of("deploy/k8s/base", "deploy/k8s/overlays/gpu", "deploy/k8s/overlays/keda")) {
      Rendered rendered = render(overlay);
      for (String name : SERVICES.keySet()) {
        assertThat(rendered.container(name))
            .as(name + " has no command-line configuration")
            .doesNotContainKeys("command", "args");
        for (String variable : rendered.environment(name).keySet()) {
          if (variable.startsWith("KAFKA_")) {
            String property =
                variable.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
            assertThat(clientConfigs)
                .as("%s of %s in %s is a Kafka client setting", variable, name, overlay)
                .contains(property);
          } else {
            assertThat(readByCode)
                .as("%s of %s in %s is read by the code", variable, name, overlay)
                .contains(variable);
          }
        }
      }
    }
  }

  @Test
  void theIngestTokenComesOnlyFromASecretTheUserCreates() throws Exception {
    Rendered base = render("deploy/k8s/base");
    Map<String, Object> token = map(base.environment("ingest").get(IngestConfig.TOKEN_ENV));
    Map<String, Object> secretRef = map(token.get("secretKeyRef"));
    assertThat(secretRef)
        .containsEntry("name", "emostream-ingest-token")
        .containsEntry("key", "token")
        .doesNotContainKey("optional");
    assertThat(base.all("Secret")).as("no secret value is committed").isEmpty();
    base.all("ConfigMap")
        .forEach(
            (name, configMap) ->
                assertThat(map(configMap.get("data")).keySet())
                    .as(name)
                    .doesNotContain(IngestConfig.TOKEN_ENV));
    assertThat(base.environment("ingest")).doesNotContainKey(IngestConfig.AUTH_ENV);
    assertThat(RepositoryFiles.read("deploy/k8s/base/kustomization.yaml"))
        .contains("kubectl create secret generic emostream-ingest-token --from-literal=token=");
  }

  @Test
  @SuppressWarnings("unchecked")
  void imagesAreNamedInOnePlaceForTheBaseAndTheGpuOverlay() throws Exception {
    Map<String, Object> component = new Yaml().load(RepositoryFiles.read(IMAGES));
    assertThat(component.get("kind")).isEqualTo("Component");
    Map<String, String> images = new HashMap<>();
    for (Map<String, Object> image : (List<Map<String, Object>>) component.get("images")) {
      images.put((String) image.get("name"), image.get("newName") + ":" + image.get("newTag"));
    }
    assertThat(images.keySet())
        .containsExactlyInAnyOrder(
            "emostream/ingest",
            "emostream/audio-worker",
            "emostream/video-worker",
            "emostream/fusion-stream",
            "emostream/audio-worker-gpu",
            "emostream/video-worker-gpu");
    Map<String, Object> compose = new Yaml().load(RepositoryFiles.read("docker-compose.yml"));
    DeploymentFilesTest.pipelineServices(compose)
        .forEach(
            (name, service) -> {
              if (images.containsKey("emostream/" + name)) {
                assertThat(images.get("emostream/" + name))
                    .as("the image docker compose builds")
                    .isEqualTo(service.get("image"));
              }
            });
    Rendered base = render("deploy/k8s/base");
    Rendered gpu = render("deploy/k8s/overlays/gpu");
    for (String name : SERVICES.keySet()) {
      assertThat(base.container(name).get("image"))
          .as(name)
          .isEqualTo(images.get("emostream/" + name));
      String variant = name.endsWith("-worker") ? name + "-gpu" : name;
      assertThat(gpu.container(name).get("image"))
          .as(name)
          .isEqualTo(images.get("emostream/" + variant));
    }
    try (Stream<Path> files = Files.walk(RepositoryFiles.ROOT.resolve("deploy/k8s"))) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        if (!file.endsWith(Path.of(IMAGES))) {
          assertThat(Files.readString(file))
              .as("%s names no registry or tag", file)
              .doesNotContain(":local")
              .doesNotContain("registry.");
        }
      }
    }
  }

  @Test
  void theGpuOverlayGivesEachWorkerAGpuAndCudaInTheSameConsumerGroup() throws Exception {
    Rendered base = render("deploy/k8s/base");
    Rendered gpu = render("deploy/k8s/overlays/gpu");
    for (String worker : List.of("audio-worker", "video-worker")) {
      Map<String, Object> limits = map(map(gpu.container(worker).get("resources")).get("limits"));
      assertThat(limits.get("nvidia.com/gpu")).as(worker).isEqualTo(1);
      Map<String, Object> env = gpu.environment(worker);
      assertThat(env).as(worker).containsEntry("EMOSTREAM_DEVICE", "cuda");
      assertThat(base.environment(worker)).as(worker).containsEntry("EMOSTREAM_DEVICE", "cpu");
      String group =
          worker.startsWith("audio") ? "EMOSTREAM_AUDIO_GROUP_ID" : "EMOSTREAM_VIDEO_GROUP_ID";
      assertThat(env.get(group)).isEqualTo(base.environment(worker).get(group));
    }
    for (String other : List.of("ingest", "fusion-stream")) {
      assertThat(map(gpu.container(other).get("resources")).get("limits").toString())
          .doesNotContain("nvidia");
    }
  }

  @Test
  void kedaScalesEachWorkerOnItsConsumerGroupsLagUpToThePartitionCount() throws Exception {
    Rendered keda = render("deploy/k8s/overlays/keda");
    Map<String, Map<String, Object>> scaledObjects = keda.all("ScaledObject");
    assertThat(scaledObjects.keySet()).containsExactlyInAnyOrder("audio-worker", "video-worker");
    for (Map.Entry<String, Map<String, Object>> scaled : scaledObjects.entrySet()) {
      assertThat(scaled.getValue().get("apiVersion")).isEqualTo("keda.sh/v1alpha1");
      Map<String, Object> spec = map(scaled.getValue().get("spec"));
      String target = (String) map(spec.get("scaleTargetRef")).get("name");
      assertThat(keda.all("Deployment")).containsKey(target);
      Map<String, Object> env = keda.environment(target);
      Topics topics = TopicsEnv.fromEnv(new Env(strings(env)));
      boolean audio = target.startsWith("audio");
      Map<String, Object> trigger = map(list(spec.get("triggers")).get(0));
      assertThat(trigger.get("type")).isEqualTo("kafka");
      Map<String, Object> metadata = map(trigger.get("metadata"));
      assertThat(metadata.get("bootstrapServers")).isEqualTo(env.get("KAFKA_BOOTSTRAP_SERVERS"));
      assertThat(metadata.get("consumerGroup"))
          .isEqualTo(env.get(audio ? "EMOSTREAM_AUDIO_GROUP_ID" : "EMOSTREAM_VIDEO_GROUP_ID"));
      assertThat(metadata.get("topic"))
          .isEqualTo(audio ? topics.audio().name() : topics.frames().name());
      assertThat(metadata.get("allowIdleConsumers")).isEqualTo("false");
      assertThat(((Number) spec.get("maxReplicaCount")).intValue())
          .as("replicas above the partition count sit idle")
          .isLessThanOrEqualTo(topics.audio().partitions());
    }
  }

  private static Map<String, String> strings(Map<String, Object> env) {
    Map<String, String> strings = new HashMap<>();
    env.forEach(
        (k, v) -> {
          if (v instanceof String s) {
            strings.put(k, s);
          }
        });
    return strings;
  }

  private static int port(Map<String, Object> container, String name) {
    for (Object port : list(container.get("ports"))) {
      if (name.equals(map(port).get("name"))) {
        return ((Number) map(port).get("containerPort")).intValue();
      }
    }
    throw new AssertionError("no container port named " + name);
  }

  private static String probe(Map<String, Object> container, String kind) {
    Map<String, Object> get = map(map(container.get(kind)).get("httpGet"));
    return get.get("path") + "@" + get.get("port");
  }

  private static Map<String, String> servicePorts(Map<String, Object> service) {
    Map<String, String> ports = new TreeMap<>();
    for (Object port : list(map(service.get("spec")).get("ports"))) {
      ports.put((String) map(port).get("name"), String.valueOf(map(port).get("targetPort")));
    }
    return ports;
  }

  private static Rendered render(String relative) throws Exception {
    Assumptions.assumeTrue(
        onPath("kubectl"), "kubectl is not installed: kustomize output cannot be rendered");
    Process process =
        new ProcessBuilder(
                "kubectl", "kustomize", RepositoryFiles.ROOT.resolve(relative).toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("kubectl kustomize " + relative).isZero();
    Map<String, Map<String, Map<String, Object>>> byKind = new TreeMap<>();
    for (Object doc : new Yaml().loadAll(output)) {
      Map<String, Object> object = map(doc);
      String kind = (String) object.get("kind");
      String name = (String) map(object.get("metadata")).get("name");
      assertThat(byKind.computeIfAbsent(kind, k -> new TreeMap<>()).put(name, object))
          .as("%s %s once", kind, name)
          .isNull();
    }
    return new Rendered(byKind);
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }
}
