package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkSubmitArguments;
import org.apache.spark.internal.config.ConfigEntry;
import org.apache.spark.internal.config.ConfigEntry$;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.util.Utils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.collection.JavaConverters;

/**
 * The Spark profiles of {@code conf/spark/} are what spark-submit reads: Spark's own properties-file reader loads
 * them, every key is one Spark declares (its config registry, or for YARN and Kubernetes — whose modules this build
 * does not ship — the keys of Spark 3.5's "Running on YARN/Kubernetes" pages), every core value converts, the
 * serializer and registrator instantiate, and ND4J's off-heap limits fit the container. {@code submit.sh}'s rendered
 * command (DRY_RUN) is parsed by Spark's {@code SparkSubmitArguments}. YARN and Kubernetes cannot run here; the local
 * and standalone profiles run in SparkSubmitIT and StandaloneClusterIT.
 */
class SparkProfilesTest {
    private static final List<String> PROFILES = List.of("local", "standalone", "yarn", "kubernetes");
    /** Keys of spark-yarn and spark-kubernetes that the profiles use (Spark 3.5 docs, running-on-yarn/-kubernetes). */
    private static final Set<String> CLUSTER_MANAGER_KEYS = Set.of("spark.yarn.maxAppAttempts",
            "spark.kubernetes.container.image", "spark.kubernetes.namespace",
            "spark.kubernetes.authenticate.driver.serviceAccountName", "spark.kubernetes.executor.podTemplateFile",
            "spark.kubernetes.executor.podTemplateContainerName", "spark.kubernetes.executor.request.cores");
    private static final List<String> ENV_PREFIXES = List.of("spark.executorEnv.", "spark.yarn.appMasterEnv.",
            "spark.kubernetes.driverEnv.");

    /** Keys spark-submit's launcher reads itself (SparkLauncher's constants, e.g. spark.master). */
    private static final Set<String> LAUNCHER_KEYS = new java.util.HashSet<>();

    @BeforeAll
    static void loadSparksConfigRegistry() throws IllegalAccessException {
        for (java.lang.reflect.Field f : org.apache.spark.launcher.SparkLauncher.class.getFields()) {
            if (f.getType() == String.class && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                LAUNCHER_KEYS.add((String) f.get(null));
            }
        }
        // Spark declares its keys in Scala objects; each registers its entries when initialized.
        for (String o : List.of("package$", "Kryo$", "UI$", "Network$", "Deploy$", "Worker$", "Status$", "History$",
                "Python$", "Tests$")) {
            try {
                Class.forName("org.apache.spark.internal.config." + o, true, SparkProfilesTest.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static Path profile(String name) {
        return Path.of("..", "conf", "spark", name + ".properties");
    }

    private static Map<String, String> properties(String name) {
        return new HashMap<>(JavaConverters.mapAsJavaMap(Utils.getPropertiesFromFile(profile(name).toString())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "standalone", "yarn", "kubernetes"})
    void everyKeyIsSparksAndEveryValueConverts(String name) {
        Map<String, String> props = properties(name);
        assertTrue(props.size() >= 6, props.toString());
        for (Map.Entry<String, String> e : props.entrySet()) {
            String key = e.getKey();
            ConfigEntry<?> entry = ConfigEntry$.MODULE$.findEntry(key);
            if (entry != null) {
                try {
                    entry.valueConverter().apply(e.getValue());
                } catch (RuntimeException bad) {
                    throw new AssertionError(name + ": " + key + " = " + e.getValue() + ": " + bad, bad);
                }
            } else {
                assertTrue(ENV_PREFIXES.stream().anyMatch(key::startsWith) || CLUSTER_MANAGER_KEYS.contains(key)
                                || LAUNCHER_KEYS.contains(key),
                        name + ": " + key + " is not a Spark setting");
            }
        }
        if (!name.equals("local")) {
            assertEquals("true", props.get("spark.eventLog.enabled"), name);
            assertNotNull(props.get("spark.eventLog.dir"), name);
            assertEquals("1", props.get("spark.executorEnv.OMP_NUM_THREADS"), name);
        }
        // The serializer and registrator instantiate, as an executor would.
        SparkConf conf = new SparkConf(false);
        props.forEach(conf::set);
        assertEquals(KryoSerializer.class.getName(), props.get("spark.serializer"));
        new KryoSerializer(conf).newInstance().serialize(List.of(1), scala.reflect.ClassTag$.MODULE$.apply(Object.class));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "standalone", "yarn", "kubernetes"})
    void nd4jsOffHeapLimitFitsTheContainer(String name) {
        Map<String, String> props = properties(name);
        String side = name.equals("local") ? "driver" : "executor";
        String options = props.get("spark." + side + ".defaultJavaOptions");
        long maxBytes = javacpp(options, "maxbytes");
        long maxPhysical = javacpp(options, "maxphysicalbytes");
        long heap = JavaUtils.byteStringAsBytes(props.get("spark." + side + ".memory"));
        assertTrue(heap + maxBytes <= maxPhysical, name + ": heap + off-heap arrays within the process cap");
        String overhead = props.get("spark." + side + ".memoryOverhead");
        if (name.equals("yarn") || name.equals("kubernetes")) {
            // The container limit is heap + overhead; the process cap must stay under it.
            assertNotNull(overhead, name + " sets the memory overhead");
            assertTrue(maxPhysical < heap + JavaUtils.byteStringAsBytes(overhead), name + ": cap below the limit");
        }
    }

    private static long javacpp(String options, String property) {
        Matcher m = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\." + property + "=(\\S+)").matcher(options);
        assertTrue(m.find(), property + " in " + options);
        return JavaUtils.byteStringAsBytes(m.group(1));
    }

    @Test
    void theKubernetesPodTemplateIsAPodWithTheNamedContainer() throws Exception {
        Map<String, String> props = properties("kubernetes");
        Path template = Path.of("..").resolve(props.get("spark.kubernetes.executor.podTemplateFile"));
        JsonNode pod = new ObjectMapper(new YAMLFactory()).readTree(template.toFile());
        assertEquals("v1", pod.path("apiVersion").asText());
        assertEquals("Pod", pod.path("kind").asText());
        JsonNode container = null;
        for (JsonNode c : pod.path("spec").path("containers")) {
            if (c.path("name").asText().equals(props.get("spark.kubernetes.executor.podTemplateContainerName"))) {
                container = c;
            }
        }
        assertNotNull(container, "the container Spark fills in");
        List<String> volumes = new ArrayList<>();
        pod.path("spec").path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
        for (JsonNode mount : container.path("volumeMounts")) {
            assertTrue(volumes.contains(mount.path("name").asText()), "mounted volume declared: " + mount);
        }
        assertEquals("1", container.path("env").path(0).path("value").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "standalone", "yarn", "kubernetes"})
    void submitShRendersWhatSparkSubmitParses(String name, @TempDir Path tmp) throws Exception {
        Map<String, String> props = properties(name);
        Map<String, String> env = new HashMap<>(Map.of("SPARK_PROFILE", name, "HADOOP_CONF_DIR", tmp.toString()));
        SparkSubmitArguments args = parse(dryRun(env, tmp, "train", "--config", "../conf/fashion-mnist.conf",
                "--set", "train.epochs=3"), env);
        assertEquals(props.get("spark.master"), args.master());
        String deployMode = props.getOrDefault("spark.submit.deployMode", "client");
        assertEquals(deployMode, args.deployMode() == null ? "client" : args.deployMode());
        assertEquals("io.cnnpipeline.pipeline.Cli", args.mainClass());
        List<String> child = JavaConverters.seqAsJavaList(args.childArgs());
        String config = name.equals("yarn") ? "fashion-mnist.conf"
                : new File("../conf/fashion-mnist.conf").getCanonicalPath();
        assertEquals(List.of("train", "--config", config, "--set", "train.epochs=3"), child);
        if (name.equals("yarn")) {
            assertTrue(args.files().endsWith("conf/fashion-mnist.conf"), "shipped to the YARN driver: " + args.files());
        }
        assertEquals(props.get("spark.kryo.registrator"), args.sparkProperties().get("spark.kryo.registrator").get());
    }

    @Test
    void theEnvironmentOverridesTheProfileAndAsksForGpus(@TempDir Path tmp) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("SPARK_PROFILE", "yarn", "HADOOP_CONF_DIR", tmp.toString(),
                "EXECUTOR_MEMORY", "20g", "NUM_EXECUTORS", "16", "DEPLOY_MODE", "client", "GPUS_PER_EXECUTOR", "2"));
        List<String> rendered = dryRun(env, tmp, "evaluate");
        assertTrue(rendered.get(0).endsWith("submit-scripts/spark-submit"), "no Spark installed: " + rendered.get(0));
        SparkSubmitArguments args = parse(rendered, env);
        assertEquals("20g", args.executorMemory());
        assertEquals("16", args.numExecutors());
        assertEquals("client", args.deployMode());
        assertEquals("2", args.sparkProperties().get("spark.executor.resource.gpu.amount").get());
        assertEquals("1", args.sparkProperties().get("spark.task.resource.gpu.amount").get());
        assertTrue(args.files().endsWith("submit-scripts/gpu-discovery.sh"), args.files());
        assertTrue(Files.isExecutable(Path.of("..", "submit-scripts", "gpu-discovery.sh")));
    }

    @Test
    void anUnknownProfileStopsWithItsName(@TempDir Path tmp) throws Exception {
        ProcessResult r = submitSh(Map.of("SPARK_PROFILE", "mesos", "DRY_RUN", "1"), tmp, "train");
        assertEquals(2, r.exit());
        assertTrue(r.output().contains("Cannot use SPARK_PROFILE: no such profile (got mesos"), r.output());
    }

    private static SparkSubmitArguments parse(List<String> rendered, Map<String, String> env) {
        return new SparkSubmitArguments(JavaConverters.asScalaBuffer(rendered.subList(1, rendered.size())).toList(),
                JavaConverters.mapAsScalaMap(env).toMap(scala.Predef.$conforms()));
    }

    private record ProcessResult(int exit, String output) {
    }

    private static List<String> dryRun(Map<String, String> env, Path tmp, String... args) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("DRY_RUN", "1");
        ProcessResult r = submitSh(e, tmp, args);
        assertEquals(0, r.exit(), r.output());
        return List.of(r.output().split("\n"));
    }

    private static ProcessResult submitSh(Map<String, String> env, Path tmp, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "../submit-scripts/submit.sh"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("SPARK_HOME");
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        pb.environment().put("JAR", tmp.resolve("cnn-pipeline-spark.jar").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new ProcessResult(p.exitValue(), out);
    }
}
