package io.cnnpipeline.pipeline.tracking;

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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real MLflow tracking server for tests: {@code submit-scripts/mlflow-server.sh} (a SQLite backend store and proxied
 * artifacts in {@code dataDir}, on 127.0.0.1 and a free port) from the venv that
 * {@code submit-scripts/install-mlflow.sh} makes. {@link #close()} stops the server's whole process tree (SIGTERM,
 * then SIGKILL after 10 s), and also runs at JVM exit, so a failing test leaves no server behind.
 */
final class MlflowServer implements AutoCloseable {
    /** System property naming the venv; else the environment variable {@code MLFLOW_VENV}; else the default. */
    static final String VENV_PROPERTY = "mlflow.venv";

    private final Process process;
    private final int port;
    private final Path log;
    private final Thread shutdownHook = new Thread(this::stop, "mlflow-server-stop");

    private MlflowServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * The MLflow venv: {@code -Dmlflow.venv}, else {@code $MLFLOW_VENV}, else
     * {@code ~/.cache/cnn-pipeline-mlflow/venv} (the install script's default).
     *
     * @throws IllegalStateException if it has no {@code bin/mlflow}, saying how to install it
     */
    static Path venv() {
        String configured = System.getProperty(VENV_PROPERTY);
        String from = "-D" + VENV_PROPERTY;
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("MLFLOW_VENV");
            from = "MLFLOW_VENV";
        }
        if (configured == null || configured.isBlank()) {
            configured = Path.of(System.getProperty("user.home"), ".cache", "cnn-pipeline-mlflow", "venv").toString();
            from = "the default (neither -D" + VENV_PROPERTY + " nor MLFLOW_VENV is set)";
        }
        Path venv = Path.of(configured).toAbsolutePath();
        if (!Files.isExecutable(venv.resolve("bin").resolve("mlflow"))) {
            throw new IllegalStateException("No MLflow server to test against: " + venv + " (from " + from
                    + ") has no bin/mlflow. Install it with: submit-scripts/install-mlflow.sh " + venv);
        }
        return venv;
    }

    /**
     * Starts a server storing into {@code dataDir} and waits until {@code GET /health} answers 200.
     *
     * @throws IllegalStateException if the server exits or is not up within {@code startTimeout} (its log is in the
     *                               message)
     */
    static MlflowServer start(Path venv, Path dataDir, Duration startTimeout) throws IOException, InterruptedException {
        Path script = Path.of("..", "submit-scripts", "mlflow-server.sh").toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("server.log");
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), dataDir.toString(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("MLFLOW_VENV", venv.toString());
        MlflowServer server = new MlflowServer(pb.start(), port, log);
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        server.awaitHealthy(startTimeout);
        return server;
    }

    /** {@code http://127.0.0.1:<port>}. */
    String uri() {
        return "http://127.0.0.1:" + port;
    }

    /** The server process and its descendants now. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.descendants().forEach(all::add);
        return all;
    }

    private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri() + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.toString();   // not listening yet
            }
            Thread.sleep(250);
        }
        String why = process.isAlive() ? "not healthy within " + timeout + " (last: " + last + ")"
                : "exited with code " + process.exitValue();
        close();
        throw new IllegalStateException("MLflow server on port " + port + " " + why + "; its log:\n"
                + Files.readString(log));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running
        }
    }

    private void stop() {
        List<ProcessHandle> all = processes();   // before the parent dies and its children are reparented
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : all) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
