package io.cnnpipeline.pipeline.tracking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cnnpipeline.training.EpochMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MlflowTracking} against a real {@code mlflow server} (SQLite store, proxied artifacts) from the venv of
 * {@code submit-scripts/install-mlflow.sh}; everything logged is read back through the server's REST API. Fails, not
 * skips, when that venv is missing ({@link MlflowServer#venv()} says how to install it).
 */
class MlflowTrackingTest {
    private static final String EXPERIMENT = "cnn-pipeline-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path serverDir;
    private static MlflowServer server;

    @TempDir
    Path work;
    private final List<LogEvent> warnings = new CopyOnWriteArrayList<>();
    private AbstractAppender appender;

    @BeforeAll
    static void startServer() throws Exception {
        long t0 = System.nanoTime();
        server = MlflowServer.start(MlflowServer.venv(), serverDir, Duration.ofSeconds(240));
        System.out.printf("MLflow server %s up in %.1f s%n", server.uri(), (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            List<ProcessHandle> processes = server.processes();
            server.close();
            assertTrue(processes.stream().noneMatch(ProcessHandle::isAlive), "every server process stopped");
        }
    }

    @BeforeEach
    void captureWarnings() {
        appender = new AbstractAppender("mlflow-test-warnings", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    warnings.add(event.toImmutable());
                }
            }
        };
        appender.start();
        loggers().forEach(l -> l.addAppender(appender));
    }

    @AfterEach
    void releaseWarnings() {
        loggers().forEach(l -> l.removeAppender(appender));
        appender.stop();
    }

    /** This class's logger and the Java client's HTTP caller's (whose retry warnings must not show). */
    private static List<org.apache.logging.log4j.core.Logger> loggers() {
        return List.of((org.apache.logging.log4j.core.Logger) LogManager.getLogger(MlflowTracking.class),
                (org.apache.logging.log4j.core.Logger) LogManager.getLogger("org.mlflow.tracking.MlflowHttpCaller"));
    }

    @Test
    void logsParamsMetricsAndArtifactsThatReadBackThroughTheRestApi() throws Exception {
        MlflowTracking t = MlflowTracking.open(server.uri(), EXPERIMENT, "lenet-2-epochs",
                Map.of(MlflowTracking.RUN_ID_TAG, "run-20240101T000000Z", "network", "lenet"));
        assertTrue(t.enabled(), () -> "opened: " + t.warning());
        assertFalse(t.resumed());
        String runId = t.runId().orElseThrow();

        // 150 parameters: two batches (MLflow takes at most 100 a request); one too long, one key with refused
        // characters.
        Map<String, String> params = new TreeMap<>();
        for (int i = 0; i < 148; i++) {
            params.put(String.format("train.p%03d", i), "value-" + i);
        }
        params.put("train.augmentation", "x".repeat(7000));
        params.put("preprocess.inputs.my data!", "/data/train");
        t.logParams(params);

        // Four epochs, then one through logEpoch; a NaN, a null (not measured) and AdaDelta's NaN learning rate.
        double[] loss = {2.30, 1.10, 0.71, 0.55};
        Map<Long, Double> trainAccuracy = new TreeMap<>();
        Map<Long, Double> learningRate = new TreeMap<>();
        for (int epoch = 1; epoch <= 4; epoch++) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", loss[epoch - 1]);
            m.put("validation_accuracy", 0.5 + 0.1 * epoch);
            m.put("train_accuracy", epoch == 2 ? null : 0.45 + 0.1 * epoch);
            m.put("learning_rate", 0.01 / epoch);
            m.put("images_per_second", 1000.0 + epoch);
            m.put("gradient_norm", epoch == 3 ? Double.NaN : 1.0 / epoch);
            t.logMetrics(epoch, m);
            if (epoch != 2) {
                trainAccuracy.put((long) epoch, m.get("train_accuracy"));
            }
            learningRate.put((long) epoch, m.get("learning_rate"));
        }
        trainAccuracy.put(5L, 0.93);
        t.logEpoch(new EpochMetrics(5, 0.50, 0.93, 0.91, 60000, 12.5, 4800.0, Double.NaN, 64, 4690));

        // Artifacts: a run directory's worth (nested, a binary file, a name with a space) and one file.
        Random random = new Random(7);
        Path runDir = Files.createDirectories(work.resolve("run"));
        Files.writeString(runDir.resolve("metrics.jsonl"), "{\"epoch\":1,\"loss\":2.3}\n{\"epoch\":2,\"loss\":1.1}\n");
        byte[] png = new byte[200_000];
        random.nextBytes(png);
        Files.write(Files.createDirectories(runDir.resolve("plots")).resolve("loss.png"), png);
        Files.writeString(runDir.resolve("report notes.txt"), "centre crop 91.2%\n");
        byte[] model = new byte[1_500_000];
        random.nextBytes(model);
        Path modelZip = Files.write(work.resolve("model.zip"), model);
        t.logArtifacts(runDir, "run");
        t.logArtifact(modelZip, "model");
        assertTrue(t.enabled(), () -> "still on: " + t.warning());
        t.finish(true);
        assertFalse(t.enabled());
        assertTrue(warnings.isEmpty(), () -> "no warning: " + warnings);

        JsonNode run = get("/api/2.0/mlflow/runs/get?run_id=" + runId).path("run");
        assertEquals("FINISHED", run.path("info").path("status").asText());
        assertTrue(run.path("info").path("end_time").asLong() >= run.path("info").path("start_time").asLong());
        assertEquals("lenet-2-epochs", run.path("info").path("run_name").asText());
        Map<String, String> gotParams = keyValues(run.path("data").path("params"));
        assertEquals(150, gotParams.size());
        assertEquals("value-147", gotParams.get("train.p147"));
        assertEquals("x".repeat(6000), gotParams.get("train.augmentation"), "cut to MLflow's 6000 characters");
        assertEquals("/data/train", gotParams.get("preprocess.inputs.my data_"));
        Map<String, String> tags = keyValues(run.path("data").path("tags"));
        assertEquals("run-20240101T000000Z", tags.get(MlflowTracking.RUN_ID_TAG));
        assertEquals("lenet", tags.get("network"));
        assertEquals("cnn-pipeline", tags.get("mlflow.source.name"));

        assertEquals(Map.of(1L, 2.30, 2L, 1.10, 3L, 0.71, 4L, 0.55, 5L, 0.50), history(runId, "loss"));
        assertEquals(trainAccuracy, history(runId, "train_accuracy"), "the null at epoch 2 is not logged");
        assertEquals(learningRate, history(runId, "learning_rate"),
                "AdaDelta's NaN learning rate at epoch 5 is not logged");
        Map<Long, Double> gradientNorm = history(runId, "gradient_norm");
        assertEquals(4, gradientNorm.size());
        assertTrue(Double.isNaN(gradientNorm.get(3L)), "NaN is logged as NaN, got " + gradientNorm);
        assertEquals(0.25, gradientNorm.get(4L));
        Map<Long, Double> imagesPerSecond = history(runId, "images_per_second");
        assertEquals(5, imagesPerSecond.size());
        assertEquals(1001.0, imagesPerSecond.get(1L));
        assertEquals(4800.0, imagesPerSecond.get(5L));
        assertEquals(0.91, history(runId, "validation_accuracy").get(5L));
        assertEquals(Map.of(5L, 12.5), history(runId, "epoch_seconds"));
        assertEquals(Map.of(5L, 64.0), history(runId, "batch_size_per_worker"));

        assertEquals(Map.of("model", -1L, "run", -1L), listArtifacts(runId, null));
        assertEquals(Map.of("run/metrics.jsonl", 46L, "run/plots", -1L, "run/report notes.txt", 18L),
                listArtifacts(runId, "run"));
        assertEquals(Map.of("run/plots/loss.png", 200_000L), listArtifacts(runId, "run/plots"));
        assertArrayEquals(model, artifact(runId, "model/model.zip"));
        assertArrayEquals(png, artifact(runId, "run/plots/loss.png"));
        assertEquals("centre crop 91.2%\n", new String(artifact(runId, "run/report notes.txt"),
                StandardCharsets.UTF_8));

        // Finished: every call is a no-op.
        t.logMetrics(6, Map.of("loss", 0.1));
        t.finish(false);
        assertEquals(5, history(runId, "loss").size());
        assertEquals("FINISHED", get("/api/2.0/mlflow/runs/get?run_id=" + runId).path("run").path("info")
                .path("status").asText());
    }

    @Test
    void aServerNobodyListensOnGivesOneWarningAndNoOps() throws Exception {
        int port = MlflowServer.freePort();
        long t0 = System.nanoTime();
        MlflowTracking t = MlflowTracking.open("http://127.0.0.1:" + port, EXPERIMENT, "r",
                Map.of(MlflowTracking.RUN_ID_TAG, "run-down"));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertFalse(t.enabled());
        assertTrue(t.runId().isEmpty());
        String warning = t.warning().orElseThrow();
        assertTrue(warning.contains("127.0.0.1:" + port) && warning.contains("ConnectException"), warning);
        Path dir = Files.createDirectories(work.resolve("artifacts"));
        Path file = Files.writeString(dir.resolve("a.txt"), "a");
        t.logParams(Map.of("a", "1"));
        t.logMetrics(1, Map.of("loss", 1.0));
        t.logEpoch(new EpochMetrics(1, 1, null, null, 1, 1, 1, 0.1, 1, 1));
        t.logArtifacts(dir, "x");
        t.logArtifact(file, null);
        t.finish(true);
        t.close();
        assertEquals(List.of(warning), messages(warnings), "exactly one warning line");
        assertTrue(seconds < 10, "refused at once, took " + seconds + " s");
        System.out.printf("server down: disabled in %.2f s: %s%n", seconds, warning);
    }

    @Test
    void aServerThatNeverAnswersIsAbandonedAfterTheTimeout() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());   // holds the connection and never answers
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
            long t0 = System.nanoTime();
            MlflowTracking t = MlflowTracking.open("http://127.0.0.1:" + silent.getLocalPort(), EXPERIMENT, "r",
                    Map.of(), Duration.ofSeconds(2));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertFalse(t.enabled());
            String warning = t.warning().orElseThrow();
            // Either this class's guard or the HTTP client's own request timeout fires first: both at 2 s.
            assertTrue(warning.contains("no answer in 2.0 s") || warning.contains("HttpTimeoutException"), warning);
            assertTrue(seconds >= 2 && seconds < 6, "abandoned after the 2 s timeout, took " + seconds + " s");
            t.logMetrics(1, Map.of("loss", 1.0));
            t.finish(true);
            assertEquals(1, warnings.size(), () -> "one warning: " + messages(warnings));
            System.out.printf("silent server: disabled in %.2f s%n", seconds);
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void reopeningByRunIdTagContinuesTheSameRun() throws Exception {
        Map<String, String> tags = Map.of(MlflowTracking.RUN_ID_TAG, "run-resume-1");
        MlflowTracking first = MlflowTracking.open(server.uri(), EXPERIMENT, "first-attempt", tags);
        assertTrue(first.enabled(), () -> "opened: " + first.warning());
        String runId = first.runId().orElseThrow();
        first.logParams(Map.of("train.epochs", "2", "train.seed", "42"));
        first.logMetrics(1, Map.of("loss", 1.5));
        first.logMetrics(2, Map.of("loss", 1.2));
        first.finish(false);   // the attempt failed
        assertEquals("FAILED", status(runId));

        MlflowTracking retry = MlflowTracking.open(server.uri(), EXPERIMENT, "second-attempt", tags);
        assertTrue(retry.enabled(), () -> "reopened: " + retry.warning());
        assertTrue(retry.resumed());
        assertEquals(runId, retry.runId().orElseThrow());
        assertEquals("RUNNING", status(runId));
        // Same value: not sent again; changed value: kept as it was (MLflow refuses changes), one warning; new: added.
        retry.logParams(Map.of("train.epochs", "5", "train.seed", "42", "train.resumed-from", "2"));
        assertTrue(retry.enabled(), () -> "a changed parameter does not disable tracking: " + retry.warning());
        assertEquals(1, warnings.size(), () -> messages(warnings).toString());
        assertTrue(warnings.get(0).getMessage().getFormattedMessage().contains("train.epochs (kept \"2\", not \"5\")"),
                messages(warnings).toString());
        retry.logMetrics(3, Map.of("loss", 0.9));
        retry.finish(true);

        JsonNode run = get("/api/2.0/mlflow/runs/get?run_id=" + runId).path("run");
        assertEquals("FINISHED", run.path("info").path("status").asText());
        assertEquals("first-attempt", run.path("info").path("run_name").asText());
        assertEquals(Map.of("train.epochs", "2", "train.seed", "42", "train.resumed-from", "2"),
                keyValues(run.path("data").path("params")));
        assertEquals(Map.of(1L, 1.5, 2L, 1.2, 3L, 0.9), history(runId, "loss"));
        JsonNode found = post("/api/2.0/mlflow/runs/search", Map.of("experiment_ids",
                List.of(run.path("info").path("experiment_id").asText()),
                "filter", "tags.`cnn-pipeline.run-id` = 'run-resume-1'"));
        assertEquals(1, found.path("runs").size(), "one MLflow run for the cnn-pipeline run");

        MlflowTracking other = MlflowTracking.open(server.uri(), EXPERIMENT, null,
                Map.of(MlflowTracking.RUN_ID_TAG, "run-resume-2"));
        assertFalse(other.resumed());
        assertNotEquals(runId, other.runId().orElseThrow());
        other.finish(true);
    }

    @Test
    void aLaterFailureWarnsOnceAndDisables() throws Exception {
        MlflowTracking t = MlflowTracking.open(server.uri(), EXPERIMENT, "deleted-under-it", Map.of());
        assertTrue(t.enabled(), () -> "opened: " + t.warning());
        String runId = t.runId().orElseThrow();
        t.logMetrics(1, Map.of("loss", 1.0));
        post("/api/2.0/mlflow/runs/delete", Map.of("run_id", runId));   // the server now refuses to log to it
        t.logMetrics(2, Map.of("loss", 0.5));
        assertFalse(t.enabled());
        String warning = t.warning().orElseThrow();
        assertTrue(warning.contains("log 1 metrics at step 2") && warning.contains("HTTP 400"), warning);
        t.logParams(Map.of("a", "1"));
        t.logArtifact(Files.writeString(work.resolve("f.txt"), "f"), "x");
        t.finish(true);
        assertEquals(List.of(warning), messages(warnings), "exactly one warning line");
        assertEquals(runId, t.runId().orElseThrow(), "the run id stays known");
    }

    @Test
    void aDeletedExperimentIsReportedInOneWarning() throws Exception {
        String name = "cnn-pipeline's \"deleted\" one";   // both quotes: found by name, not by a search filter
        MlflowTracking first = MlflowTracking.open(server.uri(), name, "r", Map.of());
        assertTrue(first.enabled(), () -> "opened: " + first.warning());
        first.finish(true);
        post("/api/2.0/mlflow/experiments/delete", Map.of("experiment_id", first.experimentId().orElseThrow()));
        MlflowTracking t = MlflowTracking.open(server.uri(), "cnn-pipeline's deleted one", "r", Map.of());
        assertTrue(t.enabled(), () -> "a name with one kind of quote, searched for: " + t.warning());
        t.finish(true);
        MlflowTracking again = MlflowTracking.open(server.uri(), name, "r", Map.of());
        assertFalse(again.enabled());
        String warning = again.warning().orElseThrow();
        assertTrue(warning.contains("is deleted: restore it"), warning);
        assertEquals(List.of(warning), messages(warnings), "exactly one warning line");
    }

    @Test
    void badArgumentsAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MlflowTracking.open("file:///tmp/mlruns", EXPERIMENT, "r", Map.of()));
        assertTrue(e.getMessage().contains("http://host:port") && e.getMessage().contains("file:///tmp/mlruns"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MlflowTracking.open("http://127.0.0.1:1", " ", "r",
                Map.of()));
        assertTrue(e.getMessage().contains("experiment name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MlflowTracking.open("http://127.0.0.1:1", EXPERIMENT,
                "r", Map.of(MlflowTracking.RUN_ID_TAG, "it's")));
        assertTrue(e.getMessage().contains(MlflowTracking.RUN_ID_TAG), e.getMessage());
        MlflowTracking off = MlflowTracking.disabled();
        e = assertThrows(IllegalArgumentException.class, () -> off.logArtifact(work.resolve("missing.zip"), "m"));
        assertTrue(e.getMessage().contains("missing.zip"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> off.logArtifacts(work, "../up"));
        assertTrue(e.getMessage().contains("'..'"), e.getMessage());
        off.logMetrics(1, Map.of("loss", 1.0));
        off.finish(true);
        assertTrue(warnings.isEmpty(), "a disabled instance says nothing");
        assertEquals(500, MlflowTracking.paramValueLimit("2.7.1"));
        assertEquals(6000, MlflowTracking.paramValueLimit("2.8.0"));
        assertEquals(6000, MlflowTracking.paramValueLimit("3.17.2"));
        assertEquals(500, MlflowTracking.paramValueLimit(null));
    }

    @Test
    void aPipelineRunIsTrackedFromTrainingToEvaluation(@TempDir Path tmp) throws Exception {
        io.cnnpipeline.core.TestImages.writeClassFolders(tmp.resolve("images/train"), 3, 16, 16, 1, 5);
        io.cnnpipeline.core.TestImages.writeClassFolders(tmp.resolve("images/test"), 3, 4, 16, 1, 6);
        Path conf = Files.writeString(tmp.resolve("job.conf"), String.join("\n",
                "preprocess.inputs.train = \"" + tmp.resolve("images/train") + "\"",
                "preprocess.inputs.test = \"" + tmp.resolve("images/test") + "\"",
                "preprocess.output = \"" + tmp.resolve("dataset") + "\"",
                "preprocess.channels = 1",
                "train { runs-dir = \"" + tmp.resolve("runs") + "\", run-id = tracked, epochs = 2 }",
                "train { batch-size-per-worker = 8, input-size = 16, augmentation = [{type = flip}] }",
                "evaluate { centre-scale = 0, scales = [16, 18] }",
                "tracking { mlflow-uri = \"" + server.uri() + "\", experiment = pipeline-runs }", ""));
        java.io.StringWriter out = new java.io.StringWriter();
        assertEquals(0, io.cnnpipeline.pipeline.Cli.execute(new java.io.PrintWriter(out, true), "run", "--config",
                conf.toString()), out::toString);

        JsonNode found = post("/api/2.0/mlflow/runs/search", Map.of("experiment_ids", List.of(experimentId(
                "pipeline-runs")), "filter", "tags.`" + MlflowTracking.RUN_ID_TAG + "` = 'tracked'"));
        assertEquals(1, found.path("runs").size(), "one MLflow run for training and evaluation: " + found);
        String runId = found.path("runs").path(0).path("info").path("run_id").asText();
        JsonNode run = get("/api/2.0/mlflow/runs/get?run_id=" + runId).path("run");
        assertEquals("FINISHED", run.path("info").path("status").asText());
        Map<String, String> params = keyValues(run.path("data").path("params"));
        assertEquals("2", params.get("train.epochs"));
        JsonNode manifest = JSON.readTree(tmp.resolve("dataset/_manifest.json").toFile());
        assertEquals(manifest.path("contentSha256").asText(), params.get("dataset.content-sha256"));
        Map<String, String> tags = keyValues(run.path("data").path("tags"));
        assertEquals(manifest.path("contentSha256").asText(), tags.get("cnn-pipeline.dataset-content-sha256"));
        assertEquals("lenet", tags.get("network"));
        assertTrue(tags.containsKey("mlflow.source.git.commit"), tags.toString());
        List<String> epochs = Files.readAllLines(tmp.resolve("runs/tracked/metrics.jsonl"));
        Map<Long, Double> loss = history(runId, "loss");
        assertEquals(java.util.Set.of(1L, 2L), loss.keySet());
        for (int e = 1; e <= 2; e++) {
            assertEquals(JSON.readTree(epochs.get(e - 1)).path("loss").asDouble(), loss.get((long) e), 1e-9);
        }
        JsonNode report = JSON.readTree(tmp.resolve("runs/tracked/evaluation/report.json").toFile());
        assertEquals(report.at("/modes/multi-scale/top1Error").asDouble(),
                history(runId, "test_top1_error.multi-scale").get(0L), 1e-9);
        Map<String, Long> artifacts = listArtifacts(runId, null);
        for (String name : List.of("model.zip", "report.html", "metrics.jsonl", "rounds.jsonl", "plots",
                "evaluation")) {
            assertTrue(artifacts.containsKey(name), name + " in " + artifacts);
        }
        assertTrue(listArtifacts(runId, "evaluation").containsKey("evaluation/report.html"));
        assertEquals(Files.size(tmp.resolve("runs/tracked/model.zip")), artifacts.get("model.zip"));
    }

    private static String experimentId(String name) throws IOException, InterruptedException {
        return get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + enc(name)).path("experiment")
                .path("experiment_id").asText();
    }

    private static String status(String runId) throws IOException, InterruptedException {
        return get("/api/2.0/mlflow/runs/get?run_id=" + runId).path("run").path("info").path("status").asText();
    }

    private static Map<Long, Double> history(String runId, String key) throws IOException, InterruptedException {
        Map<Long, Double> out = new TreeMap<>();
        for (JsonNode m : get("/api/2.0/mlflow/metrics/get-history?run_id=" + runId + "&metric_key=" + enc(key))
                .path("metrics")) {
            JsonNode v = m.path("value");
            out.put(m.path("step").asLong(), v.isTextual() ? Double.parseDouble(v.asText()) : v.asDouble());
        }
        return out;
    }

    /** Path to size, -1 for a directory. */
    private static Map<String, Long> listArtifacts(String runId, String path) throws IOException, InterruptedException {
        Map<String, Long> out = new TreeMap<>();
        for (JsonNode f : get("/api/2.0/mlflow/artifacts/list?run_id=" + runId
                + (path == null ? "" : "&path=" + enc(path))).path("files")) {
            out.put(f.path("path").asText(), f.path("is_dir").asBoolean() ? -1L : f.path("file_size").asLong());
        }
        return out;
    }

    private static byte[] artifact(String runId, String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.uri() + "/get-artifact?run_id="
                + runId + "&path=" + enc(path))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), () -> path + ": " + new String(r.body(), StandardCharsets.UTF_8));
        return r.body();
    }

    private static Map<String, String> keyValues(JsonNode list) {
        Map<String, String> out = new TreeMap<>();
        list.forEach(n -> out.put(n.path("key").asText(), n.path("value").asText()));
        return out;
    }

    private static List<String> messages(List<LogEvent> events) {
        List<String> out = new ArrayList<>();
        events.forEach(e -> out.add(e.getMessage().getFormattedMessage()));
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.uri() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode post(String path, Object body) throws IOException, InterruptedException {
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.uri() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
