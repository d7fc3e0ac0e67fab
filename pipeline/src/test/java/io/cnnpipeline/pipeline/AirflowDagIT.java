package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cnnpipeline.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DAGs of {@code submit-scripts/cnn_pipeline_dag.py} under a real Airflow 3 (the venv that
 * {@code submit-scripts/install-airflow.sh} makes) on a real Spark standalone cluster (a Master and two Workers):
 * {@code airflow dags test} runs each DAG for a logical date with its own AIRFLOW_HOME (SQLite metadata database,
 * {@code airflow db migrate} first), the dags folder {@code submit-scripts/}, the Variable cnn_pipeline_home pointing
 * at this checkout and a configuration of absolute paths, on 1,000 + 200 Fashion-MNIST images written as PNG files.
 * The task instances' attempts are read back from the metadata database; the run directory and the master's
 * applications show what ran.
 *
 * <p>{@code airflow dags test} honours retries in Airflow 3 (a failed attempt becomes {@code up_for_retry} and runs
 * again after the retry delay, here Airflow's {@code [core] default_task_retry_delay} set to 1 s), so the retry test
 * needs no scheduler. Every random stream of a run is a function of (seed, epoch, record), so the three runs, one of
 * them killed and resumed, train and evaluate to the same figures (compared when the earlier tests ran first, as they
 * do in their order). The venv is the system property {@code airflow.venv}, else env {@code AIRFLOW_VENV}, else
 * {@code ~/.cache/cnn-pipeline-airflow}; without it the test fails and says how to install it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AirflowDagIT {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();
    private static final Duration DAG_RUN_TIMEOUT = Duration.ofMinutes(20);
    /** Where each test's Airflow output stays after the run (the failure messages name it). */
    private static final Path LOGS = Path.of("target", "airflow-dag-it").toAbsolutePath();

    @TempDir
    static Path tmp;
    private static Path airflow;
    private static StandaloneCluster cluster;
    /** The last epoch's metrics and the evaluation's modes of each finished run, by test directory name. */
    private static final Map<String, JsonNode> RESULTS = new java.util.LinkedHashMap<>();

    @BeforeAll
    static void airflowImagesAndCluster() throws Exception {
        airflow = airflowVenv().resolve("bin").resolve("airflow");
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.writePngs(FashionMnist.read(idx, "train", 1000), tmp.resolve("images/train"));
        FashionMnist.writePngs(FashionMnist.read(idx, "t10k", 200), tmp.resolve("images/test"));
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2, 1, "3g");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void cnnPipelineRunsItsThreeStagesInOrderOnTheCluster() throws Exception {
        Airflow af = new Airflow("bash");
        List<String> appsBefore = completedApps();
        ObjectNode params = bashParams(af);
        String out = af.dagsTest("cnn_pipeline", "2026-01-02", params, null);

        JsonNode db = af.metadata("cnn_pipeline");
        assertEquals("success", db.at("/runs/0/state").asText(), db.toString());
        assertAttempts(db, List.of("preprocess 1 success", "train 1 success", "evaluate 1 success"));
        assertEquals(List.of("cnn-pipeline preprocess", "cnn-pipeline train", "cnn-pipeline evaluate"),
                newApps(appsBefore), "the master ran the three stages as its applications");
        Path run = af.dir.resolve("runs/run-20260102");   // the run id from the logical date
        assertEquals(List.of(1, 2), epochs(run));
        assertEquals(1, count(out, "train: epoch 1/2"), af::summary);
        assertFalse(out.contains("train: resuming"), af::summary);
        assertTrainedAndEvaluated(af, run, out);
    }

    @Test
    @Order(3)
    void aTrainAttemptKilledAfterItsFirstCheckpointIsRetriedAndResumesFromIt() throws Exception {
        Airflow af = new Airflow("retry");
        List<String> appsBefore = completedApps();
        Path run = af.dir.resolve("runs/run-20260103");
        KillTrainDriver killer = new KillTrainDriver(run.resolve("checkpoints/latest.json"));
        String out = af.dagsTest("cnn_pipeline", "2026-01-03", bashParams(af), killer);

        assertNotNull(killer.killed.get(), () -> "the train driver was killed after its first checkpoint\n"
                + af.summary());
        assertEquals("epoch 1 (still epoch 1 after the kill)", killer.killed.get(), af::summary);
        JsonNode db = af.metadata("cnn_pipeline");
        assertEquals("success", db.at("/runs/0/state").asText(), db.toString());
        assertAttempts(db, List.of("preprocess 1 success", "train 1 failed", "train 2 success", "evaluate 1 success"));
        assertEquals(List.of("cnn-pipeline preprocess", "cnn-pipeline train", "cnn-pipeline train",
                "cnn-pipeline evaluate"), newApps(appsBefore));
        // The retry continued after epoch 1: it trained epoch 2 only, and the metrics have each epoch once.
        assertTrue(Files.exists(run.resolve("config.resumed-after-epoch-1.conf")), "the retry resumed the run");
        assertEquals(1, count(out, "train: resuming "), () -> "one resume\n" + af.summary());
        assertTrue(java.util.regex.Pattern.compile("train: resuming \\S*/run-20260103 after epoch 1 ").matcher(out)
                .find(), () -> "the retry resumed after epoch 1\n" + af.summary());
        assertEquals(1, count(out, "train: epoch 1/2"), () -> "epoch 1 was trained once\n" + af.summary());
        assertEquals(List.of(1, 2), epochs(run));
        assertTrainedAndEvaluated(af, run, out);
        // Resumed after epoch 1, the run ends where an uninterrupted one does.
        JsonNode resumed = RESULTS.get(af.dir.getFileName().toString());
        RESULTS.forEach((name, uninterrupted) -> {
            if (!name.equals("retry")) {
                assertEquals(uninterrupted, resumed, "the resumed run and the uninterrupted run " + name);
            }
        });
        System.out.println("retry: the same last epoch and evaluation as the uninterrupted run(s) "
                + RESULTS.keySet().stream().filter(n -> !n.equals("retry")).toList());
    }

    @Test
    @Order(2)
    void theSparkSubmitOperatorDagRunsTheSameStagesThroughSparkSubmit() throws Exception {
        Airflow af = new Airflow("operator");
        List<String> appsBefore = completedApps();
        // Spark properties from a properties file (the spark_profile parameter); master and deploy mode from the
        // connection spark_default (AIRFLOW_CONN_SPARK_DEFAULT).
        Path properties = Files.writeString(af.dir.resolve("test-cluster.properties"), String.join("\n",
                "spark.executor.memory=1500m", "spark.executor.cores=1", "spark.cores.max=2",
                "spark.driver.memory=2g", ""));
        ObjectNode params = Json.MAPPER.createObjectNode();
        params.set("config", configs(af));
        params.put("spark_profile", properties.toString());
        String out = af.dagsTest("cnn_pipeline_spark_submit", "2026-01-04", params, null);

        JsonNode db = af.metadata("cnn_pipeline_spark_submit");
        assertEquals("success", db.at("/runs/0/state").asText(), db.toString());
        assertAttempts(db, List.of("preprocess 1 success", "train 1 success", "evaluate 1 success"));
        assertEquals(List.of("cnn-pipeline preprocess", "cnn-pipeline train", "cnn-pipeline evaluate"),
                newApps(appsBefore));
        assertTrue(out.contains("--properties-file " + properties),
                () -> "the operator passed the profile\n" + af.summary());
        Path run = af.dir.resolve("runs/run-20260104");
        assertEquals(List.of(1, 2), epochs(run));
        assertTrainedAndEvaluated(af, run, out);
    }

    /** cnn_pipeline's parameters: this test's configuration, the cluster's master, client deploy mode. */
    private static ObjectNode bashParams(Airflow af) throws IOException {
        ObjectNode params = Json.MAPPER.createObjectNode();
        params.set("config", configs(af));
        params.put("master", cluster.masterUrl());
        params.put("deploy_mode", "client");
        return params;
    }

    /**
     * The demo's profile, relative to cnn_pipeline_home as a user would give it, then this test's absolute paths:
     * the images, its dataset and runs directory, 2 epochs with a checkpoint after each.
     */
    private static JsonNode configs(Airflow af) throws IOException {
        Path conf = Files.writeString(af.dir.resolve("test.conf"), String.join("\n",
                "demo.images-dir = \"" + tmp.resolve("images") + "\"",
                "preprocess.output = \"" + af.dir.resolve("dataset") + "\"",
                "train.runs-dir = \"" + af.dir.resolve("runs") + "\"",
                "train.epochs = 2",
                "train.checkpoint-every-epochs = 1",
                "train.train-accuracy-sample = 200", ""));
        return Json.MAPPER.valueToTree(List.of("conf/fashion-mnist.conf", conf.toString()));
    }

    private static void assertTrainedAndEvaluated(Airflow af, Path run, String out) throws IOException {
        assertTrue(out.contains("preprocess: inputs 1200 = written 1200 + quarantined 0"), af::summary);
        JsonNode manifest = Json.MAPPER.readTree(af.dir.resolve("dataset/_manifest.json").toFile());
        assertFalse(manifest.path("contentSha256").asText().isEmpty(), manifest.toString());
        assertTrue(Files.size(run.resolve("model.zip")) > 0, "model.zip");
        JsonNode report = Json.MAPPER.readTree(run.resolve("evaluation/report.json").toFile());
        for (String mode : List.of("centre-crop", "10-crop", "multi-scale")) {
            double top1Error = report.at("/modes/" + mode + "/top1Error").asDouble(Double.NaN);
            assertTrue(top1Error >= 0 && top1Error < 0.9, mode + " beats chance: " + report);
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        ObjectNode result = Json.MAPPER.createObjectNode();
        result.set("lastEpoch", Json.MAPPER.readTree(metrics.get(metrics.size() - 1)));
        // Timing aside: the same training gives the same loss, accuracies and iteration, not the same seconds.
        ((ObjectNode) result.get("lastEpoch")).remove(List.of("seconds", "imagesPerSecond"));
        result.set("modes", report.get("modes"));
        RESULTS.put(af.dir.getFileName().toString(), result);
        System.out.printf(Locale.ROOT, "%s: last epoch loss %.6f, top-1 centre crop %.2f%%, 10-crop %.2f%%, "
                + "multi-scale %.2f%%%n", af.dir.getFileName(), result.at("/lastEpoch/loss").asDouble(),
                100 * (1 - report.at("/modes/centre-crop/top1Error").asDouble()),
                100 * (1 - report.at("/modes/10-crop/top1Error").asDouble()),
                100 * (1 - report.at("/modes/multi-scale/top1Error").asDouble()));
    }

    /**
     * The attempts, as "task try state" in the order they started, each ending before the next starts.
     */
    private static void assertAttempts(JsonNode db, List<String> expected) {
        List<String> got = new ArrayList<>();
        String previousEnd = "";
        for (JsonNode a : db.get("attempts")) {
            got.add(a.get("task_id").asText() + " " + a.get("try_number").asInt() + " " + a.get("state").asText());
            String start = a.path("start_date").asText();
            assertTrue(start.compareTo(previousEnd) >= 0, "an attempt started before the previous ended: " + db);
            previousEnd = a.path("end_date").asText();
        }
        assertEquals(expected, got, db.toString());
    }

    /** The epochs of the run's metrics.jsonl, in order. */
    private static List<Integer> epochs(Path run) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            if (!line.isBlank()) {
                out.add(Json.MAPPER.readTree(line).get("epoch").asInt());
            }
        }
        return out;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    /** Names of the master's completed applications, oldest first. */
    private static List<String> completedApps() throws Exception {
        List<JsonNode> apps = new ArrayList<>();
        Json.MAPPER.readTree(cluster.state()).path("completedapps").forEach(apps::add);
        apps.sort((a, b) -> Long.compare(a.path("starttime").asLong(), b.path("starttime").asLong()));
        List<String> names = new ArrayList<>();
        for (JsonNode a : apps) {
            assertEquals("FINISHED", a.path("state").asText(), a.toString());
            names.add(a.path("name").asText());
        }
        return names;
    }

    private static List<String> newApps(List<String> before) throws Exception {
        List<String> now = completedApps();
        return now.subList(before.size(), now.size());
    }

    /** The Airflow venv, or a failure that says how to make it. */
    private static Path airflowVenv() throws Exception {
        String configured = System.getProperty("airflow.venv", System.getenv("AIRFLOW_VENV"));
        Path venv = configured == null || configured.isBlank()
                ? Path.of(System.getProperty("user.home"), ".cache", "cnn-pipeline-airflow") : Path.of(configured);
        if (!Files.isExecutable(venv.resolve("bin").resolve("airflow"))) {
            fail("No Airflow venv at " + venv + " (system property airflow.venv, else env AIRFLOW_VENV, else "
                    + "~/.cache/cnn-pipeline-airflow): run submit-scripts/install-airflow.sh " + venv + " first");
        }
        return venv;
    }

    /** An Airflow installation of one test: its home (SQLite database, migrated), environment and directory. */
    private static final class Airflow {
        final Path dir;
        final Path home;
        final Path logs;
        final Map<String, String> env = new HashMap<>();

        Airflow(String name) throws Exception {
            dir = Files.createDirectories(tmp.resolve(name));
            home = Files.createDirectories(dir.resolve("airflow-home"));
            logs = Files.createDirectories(LOGS.resolve(name));
            // Nothing of the caller's Airflow or Spark settings; what submit.sh reads is set below.
            System.getenv().forEach((k, v) -> {
                if (!k.startsWith("AIRFLOW") && !List.of("SPARK_SUBMIT", "SPARK_PROFILE", "MASTER", "DEPLOY_MODE",
                        "JAR", "EXTRA_SPARK_ARGS", "SPARK_CONF_DIR", "PYTHONPATH").contains(k)) {
                    env.put(k, v);
                }
            });
            env.put("AIRFLOW_HOME", home.toString());
            env.put("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sqlite:///" + home.resolve("airflow.db"));
            env.put("AIRFLOW__CORE__DAGS_FOLDER", CHECKOUT.resolve("submit-scripts").toString());
            env.put("AIRFLOW__CORE__LOAD_EXAMPLES", "False");
            env.put("AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY", "1");
            env.put("AIRFLOW_VAR_CNN_PIPELINE_HOME", CHECKOUT.toString());
            env.put("PYTHONDONTWRITEBYTECODE", "1");   // no __pycache__ in the checkout's submit-scripts/
            env.put("AIRFLOW_CONN_SPARK_DEFAULT", cluster.masterUrl() + "?deploy-mode=client");
            // The cluster's Spark home: submit.sh takes $SPARK_HOME/bin/spark-submit, the operator spark-submit from
            // the PATH.
            env.put("SPARK_HOME", cluster.sparkHome().toString());
            env.put("PATH", cluster.sparkHome().resolve("bin") + ":" + System.getenv("PATH"));
            env.put("SPARK_LOCAL_IP", "127.0.0.1");
            env.put("OMP_NUM_THREADS", "1");
            // submit.sh's resources: one 1-core executor on each worker.
            env.put("EXECUTOR_CORES", "1");
            env.put("EXECUTOR_MEMORY", "1500m");
            env.put("DRIVER_MEMORY", "2g");
            env.put("NUM_EXECUTORS", "2");
            Result migrate = run(Duration.ofMinutes(5), logs.resolve("db-migrate.log"), null, "db", "migrate");
            assertEquals(0, migrate.exitCode, migrate.output);
        }

        /**
         * {@code airflow dags test DAG DATE --conf PARAMS}, with {@code watcher} (if any) running beside it; asserts
         * it exits 0 and returns its output.
         */
        String dagsTest(String dagId, String logicalDate, JsonNode params, Watcher watcher) throws Exception {
            long t0 = System.nanoTime();
            Result r = run(DAG_RUN_TIMEOUT, logs.resolve("dags-test.log"), watcher, "dags", "test", dagId,
                    logicalDate, "--conf", Json.MAPPER.writeValueAsString(params));
            System.out.printf(Locale.ROOT, "airflow dags test %s %s: exit %d in %.0f s%n", dagId, logicalDate,
                    r.exitCode, (System.nanoTime() - t0) / 1e9);
            assertEquals(0, r.exitCode, this::summary);
            for (JsonNode a : metadata(dagId).get("attempts")) {
                System.out.printf(Locale.ROOT, "  %s try %d: %s, %s .. %s%n", a.get("task_id").asText(),
                        a.get("try_number").asInt(), a.get("state").asText(), a.path("start_date").asText(),
                        a.path("end_date").asText());
            }
            return r.output;
        }

        /**
         * The lines of the dags test output that tell what happened (Airflow's task states, the stages' own
         * summaries, errors), and where the whole output is.
         */
        String summary() {
            Path log = logs.resolve("dags-test.log");
            StringBuilder out = new StringBuilder("airflow output: " + log + "\n");
            List<String> lines;
            try {
                lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            } catch (IOException e) {
                return out + "(unreadable: " + e + ")";
            }
            for (String line : lines) {
                if (line.contains("[DAG TEST]") || line.contains("new_state=") || line.contains("DagRun Finished")
                        || line.matches(".*\\b(train|preprocess|evaluate|error|ERROR|Exception):? .*")) {
                    out.append(line, 0, Math.min(line.length(), 400)).append('\n');
                }
            }
            return out.toString();
        }

        /**
         * The metadata database's DAG runs ({@code runs}: run_id, state) and every task attempt ({@code attempts}:
         * task_id, try_number, state, start_date, end_date; earlier tries from task_instance_history), by start.
         */
        JsonNode metadata(String dagId) throws Exception {
            String script = String.join("\n",
                    "import json, sqlite3, sys",
                    "db = sqlite3.connect(sys.argv[1])",
                    "runs = [dict(run_id=r[0], state=r[1]) for r in db.execute(",
                    "    'select run_id, state from dag_run where dag_id = ?', (sys.argv[2],))]",
                    "attempts = []",
                    "for table in ('task_instance_history', 'task_instance'):",
                    "    for r in db.execute('select task_id, try_number, state, start_date, end_date from ' + table",
                    "                        + ' where dag_id = ?', (sys.argv[2],)):",
                    "        keys = ('task_id', 'try_number', 'state', 'start_date', 'end_date')",
                    "        attempts.append(dict(zip(keys, r)))",
                    "attempts.sort(key=lambda a: a['start_date'] or '')",
                    "print(json.dumps(dict(runs=runs, attempts=attempts)))");
            Path python = airflow.resolveSibling("python");
            Process p = new ProcessBuilder(python.toString(), "-c", script, home.resolve("airflow.db").toString(),
                    dagId).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(1, TimeUnit.MINUTES), out);
            assertEquals(0, p.exitValue(), out);
            return Json.MAPPER.readTree(out);
        }

        private Result run(Duration timeout, Path log, Watcher watcher, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(airflow.toString()));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            Thread watching = null;
            if (watcher != null) {
                watching = new Thread(() -> watcher.watch(p), "airflow-watcher");
                watching.setDaemon(true);
                watching.start();
            }
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            if (watching != null) {
                watching.join(TimeUnit.SECONDS.toMillis(30));
            }
            String output = Files.readString(log);
            assertTrue(done, "airflow " + String.join(" ", args) + " did not finish in " + timeout + "\n" + summary());
            return new Result(p.exitValue(), output);
        }
    }

    private record Result(int exitCode, String output) {
    }

    /** Runs beside an Airflow command, given its process. */
    private interface Watcher {
        void watch(Process airflow);
    }

    /**
     * The failure: once the train attempt has written its first checkpoint ({@code checkpoints/latest.json}), kills
     * that attempt's driver, the SparkSubmit JVM under Airflow (client deploy mode), with SIGKILL, as an OOM killer
     * or a lost node would. {@link #killed} then says which epoch the newest checkpoint was of, before and after.
     */
    private static final class KillTrainDriver implements Watcher {
        final Path latest;
        final AtomicReference<String> killed = new AtomicReference<>();

        KillTrainDriver(Path latest) {
            this.latest = latest;
        }

        @Override
        public void watch(Process airflow) {
            try {
                while (airflow.isAlive()) {
                    if (Files.exists(latest)) {
                        int before = Json.MAPPER.readTree(latest.toFile()).get("epoch").asInt();
                        Optional<ProcessHandle> driver = airflow.descendants().filter(h -> {
                            List<String> a = List.of(h.info().arguments().orElse(new String[0]));
                            return a.contains("org.apache.spark.deploy.SparkSubmit") && a.contains("train");
                        }).findFirst();
                        if (driver.isPresent()) {
                            driver.get().destroyForcibly();
                            driver.get().onExit().get(30, TimeUnit.SECONDS);
                            int after = Json.MAPPER.readTree(latest.toFile()).get("epoch").asInt();
                            killed.set("epoch " + before + " (still epoch " + after + " after the kill)");
                            return;
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                killed.set("the watcher failed: " + e);
            }
        }
    }
}
