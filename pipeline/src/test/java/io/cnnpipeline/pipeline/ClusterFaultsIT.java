package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on a real standalone cluster (a Master and two 1-core Workers on 127.0.0.1), each compared with one
 * unfaulted {@code submit.sh run} (preprocess, train with parameter averaging, evaluate) of the same configuration:
 * <ul>
 *   <li>executor loss: one executor JVM killed with SIGKILL in each stage while it runs a task — in preprocess, in a
 *   training round after the epoch's first averaging round, and in evaluate. Spark retries the lost tasks on the
 *   surviving and the replacement executors, and the run ends with the same shards (content hash), the same model
 *   (parameter and updater-state bytes of model.zip) and the same report: every task is a function of its inputs,
 *   its round's broadcast and (seed, epoch, partition, record), wherever and however often it runs, and the
 *   averaging adds the workers' results in partition order;</li>
 *   <li>driver loss: {@code submit.sh train} killed with SIGKILL (the driver JVM) during the second averaging round
 *   of epoch 2, after the checkpoint of its first, then {@code train --resume=auto}: it continues at the round after the last round checkpoint and ends
 *   with the same model.</li>
 * </ul>
 */
@Tag("fault")
class ClusterFaultsIT {
    @TempDir
    static Path tmp;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void imagesAndCluster() throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.writePngs(FashionMnist.read(idx, "train", 4000), tmp.resolve("images/train"));
        FashionMnist.writePngs(FashionMnist.read(idx, "t10k", 1000), tmp.resolve("images/test"));
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2, 1, "3g");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static boolean unfaulted;

    /** The unfaulted run, once for the class. */
    private static synchronized void unfaulted() throws Exception {
        if (!unfaulted) {
            SparkSubmitProcess.run(env(freePort(), "unfaulted"), args("run", "unfaulted", ""),
                    tmp.resolve("unfaulted.log"));
            unfaulted = true;
        }
    }

    @Test
    void anExecutorKilledInEachStageChangesNothing() throws Exception {
        unfaulted();
        int uiPort = freePort();
        List<ExecutorKiller.Kill> kills;
        List<String> seen;
        try (ExecutorKiller killer = ExecutorKiller.start(cluster, uiPort, List.of(
                new ExecutorKiller.Trigger("preprocess", Pattern.compile("IngestJob|Manifests")),
                // Each averaging round is one stage: skipping the first aims the kill at a later round, after the
                // first averaging (rounds.jsonl is written only at checkpoints and epoch ends, so it cannot tell).
                new ExecutorKiller.Trigger("train", Pattern.compile("at KeptNetworksTrainingMaster"), 1),
                new ExecutorKiller.Trigger("evaluate", Pattern.compile("EvaluationJob"))))) {
            SparkSubmitProcess.run(env(uiPort, "faulted"), args("run", "faulted", ""), tmp.resolve("faulted.log"));
            kills = killer.kills();
            seen = killer.seenStages();
        }
        System.out.println("executor loss: kills " + kills);
        assertEquals(List.of("preprocess", "train", "evaluate"), kills.stream().map(ExecutorKiller.Kill::trigger)
                .toList(), "one kill in each stage; active stages seen: " + seen);
        String eventLog = eventLog();
        // Every kill took the executor away; the executor picked had a running task a moment before, which it
        // usually lost (the driver's REST view lags a short task's end by up to a poll, so not always).
        List<String> costTask = new java.util.ArrayList<>();
        for (ExecutorKiller.Kill k : kills) {
            assertTrue(Pattern.compile("\"Event\":\"SparkListenerExecutorRemoved\",[^\n]{0,200}?\"Executor ID\":\""
                    + k.executorId() + "\"").matcher(eventLog).find(), "executor " + k.executorId() + " was removed");
            if (Pattern.compile("\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":" + k.stageId()
                    + ",.{0,400}?\"Reason\":\"ExecutorLostFailure\"").matcher(eventLog).find()) {
                costTask.add(k.trigger());
            }
        }
        System.out.println("executor loss: kills that cost a running task: " + costTask);
        assertTrue(!costTask.isEmpty(), "at least one kill cost a running task: " + kills);

        JsonNode a = results("unfaulted");
        JsonNode b = results("faulted");
        assertEquals(a.get("contentSha256").asText(), b.get("contentSha256").asText(), "the same shards");
        assertEquals(a.get("report"), b.get("report"), "the same test accuracies");
        for (String entry : List.of("coefficients.bin", "updaterState.bin")) {
            assertArrayEquals(entry("unfaulted", entry), entry("faulted", entry), "the same " + entry);
        }
    }

    @Test
    void aDriverKilledBetweenAveragingRoundsResumesToTheSameModel() throws Exception {
        unfaulted();
        // The unfaulted run's dataset; a checkpoint after every averaging round.
        String extra = "preprocess.output = \"" + tmp.resolve("unfaulted/dataset") + "\"\n"
                + "train.checkpoint-every-rounds = 1\n";
        Path latest = tmp.resolve("driver-killed/runs/submitted/checkpoints/latest.json");
        Process driver = SparkSubmitProcess.start(env(freePort(), "driver-killed"),
                args("train", "driver-killed", extra), tmp.resolve("driver-killed.log"));
        JsonNode state = null;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
        while (driver.isAlive() && System.nanoTime() < deadline) {
            state = readState(latest);
            if (state != null && state.get("epoch").asInt() == 1 && state.get("rounds").asInt() >= 1) {
                break;   // the checkpoint after epoch 2's first round: kill it during its second
            }
            Thread.sleep(50);
        }
        assertTrue(driver.isAlive(), "the driver still runs after round 1 of epoch 2: "
                + Files.readString(tmp.resolve("driver-killed.log")));
        // submit.sh and submit-scripts/spark-submit exec into the driver JVM: the started process is the driver.
        List<ProcessHandle> jvms = java.util.stream.Stream.concat(java.util.stream.Stream.of(driver.toHandle()),
                driver.descendants()).filter(h -> h.info().commandLine().orElse("")
                .contains("org.apache.spark.deploy.SparkSubmit")).toList();
        assertEquals(1, jvms.size(), "one driver JVM (client mode)");
        jvms.get(0).destroyForcibly();   // SIGKILL
        driver.waitFor();
        int killedAt = state.get("rounds").asInt();
        assertFalse(Files.exists(tmp.resolve("driver-killed/runs/submitted/model.zip")), "the run did not finish");

        String resumed = SparkSubmitProcess.run(env(freePort(), "driver-killed"),
                args("train", "driver-killed", extra + "train.resume = auto\n"), tmp.resolve("driver-resumed.log"));
        JsonNode from = readState(latest.resolveSibling("epoch-0002.json"));
        System.out.println("driver loss: killed after the checkpoint of round " + killedAt + " of epoch 2; resumed: "
                + resumed.lines().filter(l -> l.contains("resuming") || l.contains("skipped averaging rounds"))
                .toList());
        assertTrue(resumed.contains("skipped averaging rounds 1-"), "resumed inside epoch 2:\n" + resumed);
        assertEquals(2, from.get("epoch").asInt());
        for (String entry : List.of("coefficients.bin", "updaterState.bin")) {
            assertArrayEquals(entry("unfaulted", entry), entry("driver-killed", entry), "the same " + entry);
        }
    }

    private static JsonNode readState(Path file) {
        try {
            return Files.exists(file) ? Json.MAPPER.readTree(file.toFile()) : null;
        } catch (java.io.IOException e) {
            return null;   // being replaced
        }
    }

    private static Map<String, String> env(int uiPort, String name) throws java.io.IOException {
        Map<String, String> env = new LinkedHashMap<>(Map.of("SPARK_PROFILE", "standalone",
                "MASTER", cluster.masterUrl(), "DEPLOY_MODE", "client",
                "EXECUTOR_MEMORY", "1500m", "EXECUTOR_CORES", "1", "DRIVER_MEMORY", "1500m"));
        env.put("EXTRA_SPARK_ARGS", "--conf spark.cores.max=2 --conf spark.driver.host=127.0.0.1"
                + " --conf spark.ui.enabled=true --conf spark.ui.port=" + uiPort
                + " --conf spark.eventLog.dir=" + Files.createDirectories(tmp.resolve(name + "/event-logs")).toUri());
        return env;
    }

    /** {@code command} with the fashion-mnist profile and this test's settings for run {@code name}. */
    private static List<String> args(String command, String name, String extra) throws java.io.IOException {
        Path conf = Files.writeString(tmp.resolve(name + "-" + command + ".conf"), String.join("\n",
                "demo.images-dir = \"" + tmp.resolve("images") + "\"",
                "preprocess.output = \"" + tmp.resolve(name + "/dataset") + "\"",
                "train.runs-dir = \"" + tmp.resolve(name + "/runs") + "\"",
                "train.run-id = submitted",
                "train.epochs = 2",
                // Rounds of 20 minibatches per worker: a training task long enough to be killed while it runs.
                "train.averaging-frequency = 20",
                "train.train-accuracy-sample = 500", extra));
        return List.of(command, "--config", "../conf/fashion-mnist.conf", "--config", conf.toString());
    }

    private static String eventLog() throws Exception {
        try (Stream<Path> logs = Files.list(tmp.resolve("faulted/event-logs"))) {
            return Files.readString(logs.findFirst().orElseThrow());
        }
    }

    private static JsonNode results(String name) throws Exception {
        JsonNode manifest = Json.MAPPER.readTree(tmp.resolve(name + "/dataset/_manifest.json").toFile());
        JsonNode report = Json.MAPPER.readTree(tmp.resolve(name + "/runs/submitted/evaluation/report.json").toFile());
        var out = Json.MAPPER.createObjectNode();
        out.put("contentSha256", manifest.get("contentSha256").asText());
        out.set("report", report.get("modes"));
        return out;
    }

    private static byte[] entry(String name, String entry) throws Exception {
        try (ZipFile zip = new ZipFile(tmp.resolve(name + "/runs/submitted/model.zip").toFile())) {
            return zip.getInputStream(zip.getEntry(entry)).readAllBytes();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
