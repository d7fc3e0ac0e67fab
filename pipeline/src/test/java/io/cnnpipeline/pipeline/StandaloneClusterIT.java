package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar on a real Spark standalone cluster (a Master and two Workers, separate JVMs on 127.0.0.1):
 * {@code submit-scripts/submit.sh} with the {@code standalone} Spark profile runs {@code cnn-pipeline run} —
 * preprocess, train with parameter averaging on two executors, evaluate — on 2,500 Fashion-MNIST images written as PNG files, in client and in cluster deploy mode; the same job on
 * {@code local[2]} gives the same dataset fingerprint, the same training loss and the same test accuracies, because
 * every random stream is a function of (seed, epoch, record) and the minibatch partitions, one per worker, are the
 * same wherever they run.
 */
class StandaloneClusterIT {
    @TempDir
    static Path tmp;
    private static JsonNode localRun;

    @BeforeAll
    static void imagesAndTheLocalRun() throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.writePngs(FashionMnist.read(idx, "train", 2000), tmp.resolve("images/train"));
        FashionMnist.writePngs(FashionMnist.read(idx, "t10k", 500), tmp.resolve("images/test"));
        String local = submit(tmp, "local", Map.of("SPARK_PROFILE", "local", "DRIVER_MEMORY", "2g",
                "EXTRA_SPARK_ARGS", "--conf spark.ui.enabled=false"));
        assertTrue(local.contains("preprocess: inputs 2500 = written 2500 + quarantined 0"), local);
        localRun = results(tmp, "local");
        print("local[2]", localRun);
    }

    @Test
    void clientModeOnTwoExecutorsMatchesLocalMode() throws Exception {
        runOnCluster("client", 1);
    }

    @Test
    void clusterModeWithTheDriverOnAWorkerMatchesLocalMode() throws Exception {
        runOnCluster("cluster", 2);
    }

    /**
     * Submits the job to a new two-worker cluster in {@code deployMode} ({@code cluster}: the driver runs on a worker,
     * which then needs a core for it) and checks that two executors ran it and that it matches the local run.
     */
    private static void runOnCluster(String deployMode, int coresPerWorker) throws Exception {
        String name = "cluster-" + deployMode;
        JsonNode clusterRun;
        String driverOutput;
        List<ProcessHandle> jvms;
        try (StandaloneCluster cluster = StandaloneCluster.start(tmp.resolve(name), 2, coresPerWorker, "3g")) {
            jvms = cluster.processes();
            assertEquals(3, jvms.size(), "a master and two workers");
            // The standalone profile (Kryo with ND4J's registrator, event log, OMP_NUM_THREADS=1, ...), sized down
            // to this machine: two 1-core executors.
            Map<String, String> env = new LinkedHashMap<>(Map.of("SPARK_PROFILE", "standalone",
                    "MASTER", cluster.masterUrl(), "DEPLOY_MODE", deployMode,
                    "EXECUTOR_MEMORY", "1500m", "EXECUTOR_CORES", "1", "DRIVER_MEMORY", "1500m"));
            String extra = "--conf spark.cores.max=2 --conf spark.ui.enabled=false --conf spark.driver.host=127.0.0.1"
                    + " --conf spark.eventLog.dir=" + cluster.eventLogDir().toUri();
            if (deployMode.equals("cluster")) {
                extra += " --conf spark.driver.cores=1 --conf spark.standalone.submit.waitAppCompletion=true";
            }
            env.put("EXTRA_SPARK_ARGS", extra);
            String submitted = submit(tmp, name, env);
            driverOutput = deployMode.equals("cluster") ? cluster.driverOutput() : submitted;
            assertTrue(Files.exists(tmp.resolve(name + "/runs/submitted/evaluation/report.json")),
                    "the job's last output\n" + driverOutput);
            clusterRun = results(tmp, name);
            JsonNode app = Json.MAPPER.readTree(cluster.state()).path("completedapps").path(0);
            assertEquals("FINISHED", app.path("state").asText(), cluster.state());
            assertEquals(2, app.path("cores").asInt(), "two executor cores: " + cluster.state());
            // Two executors, each on its own worker JVM, ran the job.
            String eventLog;
            try (Stream<Path> logs = Files.list(cluster.eventLogDir())) {
                eventLog = Files.readString(logs.findFirst().orElseThrow());
            }
            assertEquals(2, eventLog.split("\"Event\":\"SparkListenerExecutorAdded\"", -1).length - 1, eventLog);
            assertTrue(eventLog.contains("\"spark.kryo.registrator\":\"io.cnnpipeline.training.dl4j.KryoRegistrator\""),
                    "the profile's Kryo serializer with ND4J's registrator");
        }
        for (ProcessHandle h : jvms) {
            assertTrue(!h.isAlive(), "close() stopped " + h.info().commandLine().orElse("pid " + h.pid()));
        }
        print("standalone cluster, " + deployMode + " mode, 2 executors", clusterRun);
        assertTrue(driverOutput.contains("preprocess: inputs 2500 = written 2500 + quarantined 0"), driverOutput);
        assertEquals(localRun.get("contentSha256").asText(), clusterRun.get("contentSha256").asText(),
                "the same shards");
        assertEquals(localRun.get("loss").asDouble(), clusterRun.get("loss").asDouble(), 0.0, "the same training");
        assertEquals(localRun.get("report"), clusterRun.get("report"), "the same test accuracies");
    }

    private static void print(String what, JsonNode r) {
        System.out.printf(java.util.Locale.ROOT, "%s: content sha256 %.12s..., loss %.6f, top-1 centre %.2f%%, "
                + "10-crop %.2f%%, multi-scale %.2f%%%n", what, r.get("contentSha256").asText(),
                r.get("loss").asDouble(), 100 * (1 - r.at("/report/centre-crop/top1Error").asDouble()),
                100 * (1 - r.at("/report/10-crop/top1Error").asDouble()),
                100 * (1 - r.at("/report/multi-scale/top1Error").asDouble()));
    }

    /** Runs {@code submit.sh run} with {@code env}; returns its output. */
    private static String submit(Path tmp, String name, Map<String, String> env) throws Exception {
        Path conf = Files.writeString(tmp.resolve(name + ".conf"), String.join("\n",
                "demo.images-dir = \"" + tmp.resolve("images") + "\"",
                "preprocess.output = \"" + tmp.resolve(name + "/dataset") + "\"",
                "train.runs-dir = \"" + tmp.resolve(name + "/runs") + "\"",
                "train.run-id = submitted",
                "train.epochs = 1",
                "train.train-accuracy-sample = 500", ""));
        // submit.sh gives the driver absolute paths: in cluster deploy mode it starts in a worker's directory.
        return SparkSubmitProcess.run(env, List.of("run", "--config", "../conf/fashion-mnist.conf",
                "--config", conf.toString()), tmp.resolve(name + ".log"));
    }

    /** The dataset fingerprint, the epoch's loss and the evaluation's per-mode accuracies of one submitted run. */
    private static JsonNode results(Path tmp, String name) throws Exception {
        JsonNode manifest = Json.MAPPER.readTree(tmp.resolve(name + "/dataset/_manifest.json").toFile());
        String metrics = Files.readString(tmp.resolve(name + "/runs/submitted/metrics.jsonl")).trim();
        JsonNode epoch = Json.MAPPER.readTree(metrics.substring(metrics.lastIndexOf('\n') + 1));
        JsonNode report = Json.MAPPER.readTree(tmp.resolve(name + "/runs/submitted/evaluation/report.json").toFile());
        var out = Json.MAPPER.createObjectNode();
        out.put("contentSha256", manifest.get("contentSha256").asText());
        out.put("loss", epoch.get("loss").asDouble());
        out.set("report", report.get("modes"));
        return out;
    }
}
