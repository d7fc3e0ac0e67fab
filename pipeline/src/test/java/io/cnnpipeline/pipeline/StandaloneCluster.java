package io.cnnpipeline.pipeline;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Spark standalone cluster on 127.0.0.1 for tests: a Master and {@code workers} Workers, each its own JVM started
 * from Spark's classes in the Maven jars ({@code org.apache.spark.deploy.master.Master},
 * {@code org.apache.spark.deploy.worker.Worker}), with a Spark home whose {@code jars/} links those jars (what a
 * Spark installation has, and what a Worker puts on its executors' class path) and a {@code bin/spark-submit} there,
 * cores and memory per worker, and an event-log directory. {@link #close()} stops every process, executors included,
 * and also runs at JVM exit, so a failing test leaves nothing behind.
 */
final class StandaloneCluster implements AutoCloseable {
    private final Path root;
    private final int masterPort;
    private final int webUiPort;
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopAll, "standalone-cluster-stop");

    private StandaloneCluster(Path root, int masterPort, int webUiPort) {
        this.root = root;
        this.masterPort = masterPort;
        this.webUiPort = webUiPort;
    }

    /**
     * Starts the cluster and waits until every worker has registered with the master.
     *
     * @param root            directory for the Spark home, logs, work directories and event logs
     * @param workers         number of Worker JVMs
     * @param coresPerWorker  cores each worker offers
     * @param memoryPerWorker memory each worker offers, e.g. {@code 3g}
     * @throws IllegalStateException if the workers do not register within 60 s (the logs are in the message)
     */
    static StandaloneCluster start(Path root, int workers, int coresPerWorker, String memoryPerWorker)
            throws IOException, InterruptedException {
        Path target = Path.of("target").toAbsolutePath();
        List<String> sparkJars = Arrays.asList(Files.readString(target.resolve("spark-classpath.txt")).trim()
                .split(java.io.File.pathSeparator));
        Path home = root.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        for (String jar : sparkJars) {
            Path j = Path.of(jar);
            Path link = home.resolve("jars").resolve(j.getFileName());
            if (Files.isRegularFile(j) && !Files.exists(link)) {
                Files.createSymbolicLink(link, j);
            }
        }
        writeSparkSubmit(home);
        Files.createDirectories(root.resolve("logs"));
        Files.createDirectories(root.resolve("event-logs"));
        StandaloneCluster cluster = new StandaloneCluster(root, freePort(), freePort());
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        String classpath = String.join(java.io.File.pathSeparator, sparkJars);
        cluster.launch("master", home, classpath, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(cluster.masterPort), "--webui-port", Integer.toString(cluster.webUiPort));
        for (int i = 0; i < workers; i++) {
            Path work = Files.createDirectories(root.resolve("worker-" + i));
            cluster.launch("worker-" + i, home, classpath, "org.apache.spark.deploy.worker.Worker", "--host",
                    "127.0.0.1", "--cores", Integer.toString(coresPerWorker), "--memory", memoryPerWorker,
                    "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString(), cluster.masterUrl());
        }
        cluster.awaitWorkers(workers, Duration.ofSeconds(60));
        return cluster;
    }

    /**
     * {@code bin/spark-submit} of the Spark home, for programs that call spark-submit (Airflow's SparkSubmitOperator,
     * submit.sh through SPARK_HOME): the project's {@code submit-scripts/spark-submit}, which runs Spark's own launcher
     * and SparkSubmit from the build's Spark jars, as an installation's spark-submit does.
     */
    private static void writeSparkSubmit(Path home) throws IOException {
        Path script = Files.createDirectories(home.resolve("bin")).resolve("spark-submit");
        Path launcher = Path.of("..", "submit-scripts", "spark-submit").toAbsolutePath().normalize();
        Files.writeString(script, String.join("\n", "#!/usr/bin/env bash",
                "exec '" + launcher + "' \"$@\"", ""));
        script.toFile().setExecutable(true);
    }

    /** The Spark home: {@code jars/} (Spark's jars) and {@code bin/spark-submit}. */
    Path sparkHome() {
        return root.resolve("spark-home");
    }

    /** {@code spark://127.0.0.1:<port>}. */
    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** Where applications submitted with {@code spark.eventLog.dir} set to it write their event logs. */
    Path eventLogDir() {
        return root.resolve("event-logs");
    }

    /** The master's state as JSON ({@code /json/} of its web UI): workers, applications, drivers. */
    String state() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + webUiPort + "/json/")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }

    private void launch(String name, Path home, String classpath, String mainClass, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m"));
        command.addAll(Arrays.asList(Files.readString(Path.of("target", "jvm.options")).trim().split("\\s+")));
        command.addAll(List.of("-cp", classpath, mainClass));
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("logs").resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        synchronized (processes) {
            processes.add(pb.start());
        }
    }

    private void awaitWorkers(int workers, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = state();
                if (aliveWorkers(last) >= workers) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();   // the master's UI is not up yet
            }
            Thread.sleep(250);
        }
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(root.resolve("logs"))) {
            for (Path f : files.sorted().toList()) {
                logs.append("\n--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
            }
        }
        close();
        throw new IllegalStateException("Cannot start the standalone cluster: " + workers + " workers did not register "
                + "within " + timeout + " (master state: " + last + ")" + logs);
    }

    static int aliveWorkers(String state) throws IOException {
        return io.cnnpipeline.core.Json.MAPPER.readTree(state).path("aliveworkers").asInt(0);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops the workers' executors, the workers and the master (SIGTERM, then SIGKILL after 10 s). */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running
        }
    }

    private void stopAll() {
        List<Process> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        java.util.Collections.reverse(all);   // workers (and their executors) before the master
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : all) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    /** What drivers launched on the workers (cluster deploy mode) printed: their stdout and stderr files. */
    String driverOutput() throws IOException {
        StringBuilder out = new StringBuilder();
        try (var files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.getParent() != null && p.getParent().getFileName().toString()
                    .startsWith("driver-") && (p.getFileName().toString().equals("stdout")
                    || p.getFileName().toString().equals("stderr"))).sorted().toList()) {
                out.append("--- ").append(f).append('\n').append(Files.readString(f));
            }
        }
        return out.toString();
    }

    /** The master's and workers' processes, and the executors the workers run now. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> out = new ArrayList<>();
        synchronized (processes) {
            for (Process p : processes) {
                out.add(p.toHandle());
                p.descendants().forEach(out::add);
            }
        }
        return out;
    }

    /** The root directory (logs under {@code logs/}). */
    Path root() {
        return root;
    }
}
