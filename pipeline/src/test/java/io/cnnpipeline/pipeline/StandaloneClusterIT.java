package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar on a real Spark standalone cluster (a Master and two Workers, separate JVMs on 127.0.0.1): Spark's
 * own SparkSubmit runs {@code cnn-pipeline run} — preprocess, train with parameter averaging on two executors,
 * evaluate — on 2,500 Fashion-MNIST images written as PNG files, in client deploy mode; the same job on
 * {@code local[2]} gives the same dataset fingerprint, the same training loss and the same test accuracies, because
 * every random stream is a function of (seed, epoch, record) and the minibatch partitions, one per worker, are the
 * same wherever they run.
 */
class StandaloneClusterIT {
    @Test
    void theJobOnTwoExecutorsMatchesLocalMode(@TempDir Path tmp) throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.writePngs(FashionMnist.read(idx, "train", 2000), tmp.resolve("images/train"));
        FashionMnist.writePngs(FashionMnist.read(idx, "t10k", 500), tmp.resolve("images/test"));

        String local = submit(tmp, "local", "local[2]", List.of());
        JsonNode localRun = results(tmp, "local");
        String clustered;
        JsonNode clusterRun;
        List<ProcessHandle> jvms;
        try (StandaloneCluster cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2, 1, "2g")) {
            jvms = cluster.processes();
            assertEquals(3, jvms.size(), "a master and two workers");
            clustered = submit(tmp, "cluster", cluster.masterUrl(), List.of(
                    "--conf", "spark.executor.memory=1500m", "--conf", "spark.executor.cores=1",
                    "--conf", "spark.cores.max=2", "--conf", "spark.eventLog.enabled=true",
                    "--conf", "spark.eventLog.dir=" + cluster.eventLogDir().toUri()));
            clusterRun = results(tmp, "cluster");
            JsonNode app = Json.MAPPER.readTree(cluster.state()).path("completedapps").path(0);
            assertEquals("FINISHED", app.path("state").asText(), cluster.state());
            assertEquals(2, app.path("cores").asInt(), "one core on each worker: " + cluster.state());
            // Two executors, each on its own worker JVM, ran the job.
            String eventLog;
            try (Stream<Path> logs = Files.list(cluster.eventLogDir())) {
                eventLog = Files.readString(logs.findFirst().orElseThrow());
            }
            assertEquals(2, eventLog.split("\"Event\":\"SparkListenerExecutorAdded\"", -1).length - 1, eventLog);
        }
        for (ProcessHandle h : jvms) {
            assertTrue(!h.isAlive(), "close() stopped " + h.info().commandLine().orElse("pid " + h.pid()));
        }
        for (var run : List.of(java.util.Map.entry("standalone cluster, 2 executors", clusterRun),
                java.util.Map.entry("local[2]", localRun))) {
            JsonNode r = run.getValue();
            System.out.printf(java.util.Locale.ROOT, "%s: content sha256 %.12s..., loss %.6f, top-1 centre %.2f%%, "
                    + "10-crop %.2f%%, multi-scale %.2f%%%n", run.getKey(), r.get("contentSha256").asText(),
                    r.get("loss").asDouble(), 100 * (1 - r.at("/report/centre-crop/top1Error").asDouble()),
                    100 * (1 - r.at("/report/10-crop/top1Error").asDouble()),
                    100 * (1 - r.at("/report/multi-scale/top1Error").asDouble()));
        }
        assertTrue(local.contains("preprocess: inputs 2500 = written 2500 + quarantined 0"), local);
        assertTrue(clustered.contains("preprocess: inputs 2500 = written 2500 + quarantined 0"), clustered);
        assertEquals(localRun.get("contentSha256").asText(), clusterRun.get("contentSha256").asText(),
                "the same shards");
        assertEquals(localRun.get("loss").asDouble(), clusterRun.get("loss").asDouble(), 0.0, "the same training");
        assertEquals(localRun.get("report"), clusterRun.get("report"), "the same test accuracies");
    }

    /** Runs {@code cnn-pipeline run} from the shaded jar under SparkSubmit; returns its output. */
    private static String submit(Path tmp, String name, String master, List<String> sparkConf) throws Exception {
        Path target = Path.of("target");
        Path jar;
        try (Stream<Path> s = Files.list(target)) {
            jar = s.filter(p -> p.getFileName().toString().endsWith("-spark.jar")).findFirst().orElseThrow();
        }
        Path conf = Files.writeString(tmp.resolve(name + ".conf"), String.join("\n",
                "demo.images-dir = \"" + tmp.resolve("images") + "\"",
                "preprocess.output = \"" + tmp.resolve(name + "/dataset") + "\"",
                "train.runs-dir = \"" + tmp.resolve(name + "/runs") + "\"",
                "train.run-id = submitted",
                "train.epochs = 1",
                "train.train-accuracy-sample = 500", ""));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        String opens = Files.readString(target.resolve("jvm.options")).trim();
        command.addAll(Arrays.asList(opens.split("\\s+")));
        command.addAll(List.of("-cp", Files.readString(target.resolve("spark-classpath.txt")).trim(),
                "org.apache.spark.deploy.SparkSubmit", "--master", master, "--deploy-mode", "client",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.extraJavaOptions=" + opens,
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1"));
        command.addAll(sparkConf);
        command.addAll(List.of("--class", "io.cnnpipeline.pipeline.Cli", jar.toString(), "run", "--config",
                Path.of("..", "conf", "fashion-mnist.conf").toString(), "--config", conf.toString()));
        Path log = tmp.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done, name + ": spark-submit did not finish\n" + out);
        assertEquals(0, p.exitValue(), name + ":\n" + out);
        return out;
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
