package io.cnnpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Kills executor JVMs of a {@link StandaloneCluster} with SIGKILL while they run a task of a chosen stage, one kill per
 * {@link Trigger}, in order. The stage is found through the driver's REST API ({@code /api/v1}, the driver UI must be
 * on at {@code uiPort}): an active stage whose name (call site) or description (job group) matches the trigger's
 * pattern (Spark call sites such as {@code parquet at IngestJob.java:328}), with an executor that has an active task; that executor's JVM is the cluster's
 * {@code CoarseGrainedExecutorBackend} process with {@code --executor-id <id>}.
 */
final class ExecutorKiller implements AutoCloseable {
    /**
     * One wanted kill: a name for messages, the stage pattern, and how many matching stages (the lowest Spark stage
     * ids) to let pass before the kill, so that a kill can aim at, say, a training round after the epoch's first.
     */
    record Trigger(String name, Pattern stage, int skipStages) {
        Trigger(String name, Pattern stage) {
            this(name, stage, 0);
        }
    }

    /** One kill done: the trigger, the stage it hit, the executor and its process. */
    record Kill(String trigger, int stageId, String stageName, String executorId, long pid) {
    }

    private final StandaloneCluster cluster;
    private final int uiPort;
    private final List<Trigger> triggers;
    private final List<Kill> kills = new ArrayList<>();
    private final List<String> seenStages = new ArrayList<>();
    /** Stage ids, active or completed, that matched the current trigger's pattern (ids grow with submission order). */
    private final SortedSet<Integer> matchedStageIds = new TreeSet<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread thread;
    private volatile boolean stopped;

    private ExecutorKiller(StandaloneCluster cluster, int uiPort, List<Trigger> triggers) {
        this.cluster = cluster;
        this.uiPort = uiPort;
        this.triggers = List.copyOf(triggers);
        this.thread = new Thread(this::loop, "executor-killer");
        this.thread.setDaemon(true);
    }

    /** Starts watching the driver whose UI listens on {@code uiPort}. */
    static ExecutorKiller start(StandaloneCluster cluster, int uiPort, List<Trigger> triggers) {
        ExecutorKiller k = new ExecutorKiller(cluster, uiPort, triggers);
        k.thread.start();
        return k;
    }

    /** The kills done so far, in order. */
    synchronized List<Kill> kills() {
        return List.copyOf(kills);
    }

    /** Every distinct active stage name seen (for messages when a trigger never fired). */
    synchronized List<String> seenStages() {
        return List.copyOf(seenStages);
    }

    private void loop() {
        int next = 0;
        while (!stopped && next < triggers.size()) {
            try {
                if (tryKill(triggers.get(next))) {
                    next++;
                    matchedStageIds.clear();
                }
            } catch (IOException e) {
                // no driver (yet, or any more): keep polling
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A stage's call site and job description, the text a trigger's pattern is matched against. */
    private static String label(JsonNode stage) {
        return stage.path("name").asText() + " | " + stage.path("description").asText();
    }

    private boolean tryKill(Trigger trigger) throws IOException, InterruptedException {
        JsonNode apps = get("/api/v1/applications");
        if (!apps.isArray() || apps.isEmpty()) {
            return false;
        }
        String app = "/api/v1/applications/" + apps.get(0).path("id").asText();
        // Completed stages count towards the ones to let pass too: a short stage can finish between two polls.
        if (trigger.skipStages() > 0) {
            for (JsonNode s : get(app + "/stages?status=complete")) {
                if (trigger.stage().matcher(label(s)).find()) {
                    matchedStageIds.add(s.path("stageId").asInt());
                }
            }
        }
        JsonNode stage = null;
        for (JsonNode s : get(app + "/stages?status=active")) {
            String label = label(s);
            synchronized (this) {
                if (!seenStages.contains(label)) {
                    seenStages.add(label);
                }
            }
            if (trigger.stage().matcher(label).find()) {
                matchedStageIds.add(s.path("stageId").asInt());
                boolean passed = matchedStageIds.stream().limit(trigger.skipStages())
                        .anyMatch(id -> id == s.path("stageId").asInt());
                if (s.path("numActiveTasks").asInt() > 0 && !passed) {
                    stage = s;
                }
            }
        }
        if (stage == null) {
            return false;
        }
        // The executor of one of the stage's running tasks (the executors' activeTasks lag behind short tasks).
        for (JsonNode task : get(app + "/stages/" + stage.path("stageId").asInt() + "/"
                + stage.path("attemptId").asInt() + "/taskList?length=100000")) {
            String id = task.path("executorId").asText();
            if (!"RUNNING".equals(task.path("status").asText()) || id.equals("driver")) {
                continue;
            }
            for (ProcessHandle p : cluster.processes()) {
                String command = p.info().commandLine().orElse("");
                if (command.contains("CoarseGrainedExecutorBackend") && command.contains("--executor-id " + id + " ")) {
                    p.destroyForcibly();   // SIGKILL on Linux
                    synchronized (this) {
                        kills.add(new Kill(trigger.name(), stage.path("stageId").asInt(), stage.path("name").asText(),
                                id, p.pid()));
                    }
                    return true;
                }
            }
        }
        return false;
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + path))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + r.statusCode());
        }
        return Json.MAPPER.readTree(r.body());
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(5_000);
    }
}
