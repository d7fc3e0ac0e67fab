package io.cnnpipeline.pipeline.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cnnpipeline.training.EpochMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MLflow run of a cnn-pipeline stage, logged to an MLflow tracking server over its REST API: parameters, metrics
 * per step (epoch), artifacts and the final status. Tracking is optional and never stops the stage it records: if
 * the server cannot be reached or answers with an error, {@link #open} logs <b>one</b> warning line and returns a
 * disabled instance whose methods do nothing; a later failure (the server went away, a call overran its timeout, the
 * server refused a request) logs one warning and disables the instance the same way. Only bad arguments (programming
 * or configuration errors) throw.
 *
 * <p><b>Resuming.</b> When the tags given to {@link #open} carry {@link #RUN_ID_TAG} (the cnn-pipeline run id), the
 * experiment's newest active MLflow run with that tag is reopened (status set back to {@code RUNNING}) instead of a
 * new one being created: a retried or resumed training run, and the evaluation of that run, continue one MLflow run.
 * Parameters are write-once in MLflow: a reopened run keeps the values it has, a different value for a logged key is
 * not sent (one warning names the keys).
 *
 * <p><b>Transport.</b> Experiments, runs, parameters, metrics, tags and the status go through the MLflow Java client
 * ({@code org.mlflow:mlflow-client}, which carries its own relocated protobuf, HttpClient and Guava, so nothing of it
 * meets Spark's copies). Artifacts do not: that client (2.17.2, the newest on Maven Central) uploads artifacts by
 * running {@code python -m mlflow.store.artifact.cli} (its {@code CliBasedArtifactRepository}, for every store
 * including the server's proxied {@code mlflow-artifacts:/} one), which needs Python with the mlflow package on the
 * Spark driver, and fails without it. This class uploads instead with {@link HttpClient} to the server's proxied artifact endpoint
 * ({@code PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>}), for runs whose
 * {@code artifact_uri} is {@code mlflow-artifacts:} (the default of {@code mlflow server} 2.x and 3.x, whose
 * {@code --serve-artifacts} is on) or an {@code http(s)} artifact location, and copies files into a {@code file:}
 * artifact root the driver can see. A run in any other store (S3, GCS, ... without {@code --serve-artifacts}) is
 * tracked without artifacts, after one warning.
 *
 * <p><b>Limits.</b> The Java client sets no HTTP timeouts (a server that accepts and never answers would block the
 * stage forever), so every call runs on this instance's own thread and is abandoned after the timeout given to
 * {@link #open} (an artifact upload gets one more second per MiB); that disables the instance like any failure. MLflow's
 * limits are kept: parameter values are cut to 6000 characters (500 for servers older than 2.8, or whose version is
 * unknown), tag values to 5000, keys to 250; batches hold at most 100 parameters or tags and 1000 metrics; a key
 * character MLflow refuses (anything but letters, digits, {@code _ - . : /} and space) becomes {@code _}.
 * Credentials come from the environment variables MLflow's own clients read: {@code MLFLOW_TRACKING_USERNAME} and
 * {@code MLFLOW_TRACKING_PASSWORD} (HTTP basic), or {@code MLFLOW_TRACKING_TOKEN} (bearer); TLS is always verified
 * (the JVM's trust store).
 *
 * <p>Thread-safe (calls are serialized). Driver-side: create one per stage run, call {@link #finish} (or
 * {@link #close}, which records a failure if {@code finish} was not called).
 */
public final class MlflowTracking implements AutoCloseable {

    /** Tag carrying the cnn-pipeline run id ({@code train.run-id}); {@link #open} reopens the run that has it. */
    public static final String RUN_ID_TAG = "cnn-pipeline.run-id";
    /** Timeout of one call to the server when {@link #open} is given none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    static final int MAX_KEY_LENGTH = 250;
    static final int MAX_PARAM_VALUE_LENGTH = 6000;
    static final int OLD_MAX_PARAM_VALUE_LENGTH = 500;
    static final int MAX_TAG_VALUE_LENGTH = 5000;
    static final int MAX_PARAMS_OR_TAGS_PER_BATCH = 100;
    static final int MAX_METRICS_PER_BATCH = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(MlflowTracking.class);
    private static final Pattern KEY_CHARACTER_REFUSED = Pattern.compile("[^A-Za-z0-9_\\-.:/ ]");
    private static final Pattern SAFE_FILTER_VALUE = Pattern.compile("[A-Za-z0-9._:/ -]+");
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        quietClientRetries();
    }

    private final String trackingUri;
    private final Duration timeout;
    private final MlflowClient client;
    private final BasicMlflowHostCreds creds;
    private final HttpClient http;
    private final ExecutorService calls;
    private final Map<String, String> loggedParams = new LinkedHashMap<>();
    private String experimentId;
    private String runId;
    private ArtifactTarget artifacts;
    private int paramValueLimit = OLD_MAX_PARAM_VALUE_LENGTH;
    private boolean resumed;
    private volatile boolean enabled;
    private boolean finished;
    private String warning;

    private MlflowTracking(String trackingUri, Duration timeout) {
        this.trackingUri = trackingUri;
        this.timeout = timeout;
        if (trackingUri == null) {
            this.client = null;
            this.creds = null;
            this.http = null;
            this.calls = null;
            return;
        }
        this.creds = credentials(trackingUri);
        this.client = new MlflowClient(creds);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        this.calls = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mlflow-tracking");
            t.setDaemon(true);
            return t;
        });
        this.enabled = true;
    }

    /** An instance that records nothing and logs nothing: tracking not configured. */
    public static MlflowTracking disabled() {
        return new MlflowTracking(null, DEFAULT_TIMEOUT);
    }

    /** {@link #open(String, String, String, Map, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    public static MlflowTracking open(String trackingUri, String experimentName, String runName,
                                      Map<String, String> tags) {
        return open(trackingUri, experimentName, runName, tags, DEFAULT_TIMEOUT);
    }

    /**
     * Opens a run on an MLflow tracking server: creates the experiment if there is none of that name, then reopens
     * the run whose {@link #RUN_ID_TAG} equals the one in {@code tags} (if {@code tags} has it and such an active run
     * exists in the experiment), else creates a run; sets {@code tags} on it (plus {@code mlflow.user} and
     * {@code mlflow.source.name = cnn-pipeline} on a new run). Returns a disabled instance, after one warning line,
     * when the server cannot be reached in {@code timeout} or answers with an error.
     *
     * @param trackingUri    the server, {@code http://host:port} or {@code https://...} (a path prefix is allowed)
     * @param experimentName experiment name (at most 500 characters)
     * @param runName        the run's display name for a new run, or null for MLflow's generated one
     * @param tags           run tags (keys and values as for {@link #logParams}); may be empty
     * @param timeout        positive: the longest this opening (its five or so requests together) and each later
     *                       call may take (an artifact upload one more second per MiB)
     * @return the tracking of the run, enabled or disabled
     * @throws NullPointerException     for a null URI, experiment name, tag name or tag value
     * @throws IllegalArgumentException for a URI that is not absolute http(s) with a host, an empty or too long
     *                                  experiment name, a run-id tag with characters other than letters, digits and
     *                                  {@code . _ - : /} or space, or a non-positive timeout
     */
    public static MlflowTracking open(String trackingUri, String experimentName, String runName,
                                      Map<String, String> tags, Duration timeout) {
        String uri = checkTrackingUri(trackingUri);
        Objects.requireNonNull(experimentName, "experimentName");
        if (experimentName.isBlank() || experimentName.length() > 500) {
            throw new IllegalArgumentException("MLflow experiment name must be 1 to 500 characters (got \""
                    + experimentName + "\")");
        }
        Map<String, String> runTags = new LinkedHashMap<>();
        if (tags != null) {
            tags.forEach((k, v) -> runTags.put(Objects.requireNonNull(k, "tag name"),
                    Objects.requireNonNull(v, () -> "value of tag " + k)));
        }
        String pipelineRunId = runTags.get(RUN_ID_TAG);
        if (pipelineRunId != null && !SAFE_FILTER_VALUE.matcher(pipelineRunId).matches()) {
            throw new IllegalArgumentException("Tag " + RUN_ID_TAG + " must be letters, digits, '.', '_', '-', ':', "
                    + "'/' or spaces, to be searched for (got \"" + pipelineRunId + "\")");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("MLflow timeout must be positive (got " + timeout + ")");
        }
        MlflowTracking tracking = new MlflowTracking(uri, timeout);
        tracking.run("open a run in experiment \"" + experimentName + "\"", timeout, () -> {
            tracking.start(experimentName, runName, runTags, pipelineRunId);
            return null;
        });
        return tracking;
    }

    private void start(String experimentName, String runName, Map<String, String> tags, String pipelineRunId)
            throws IOException, InterruptedException {
        paramValueLimit = paramValueLimit(serverVersion());
        experimentId = experimentId(experimentName);
        Service.Run existing = pipelineRunId == null ? null : findRun(pipelineRunId);
        Service.RunInfo info;
        if (existing != null) {
            info = existing.getInfo();
            if (info.getStatus() != Service.RunStatus.RUNNING) {
                client.sendPost("runs/update", JSON.createObjectNode().put("run_id", info.getRunId())
                        .put("status", "RUNNING").toString());
            }
            for (Service.Param p : existing.getData().getParamsList()) {
                loggedParams.put(p.getKey(), p.getValue());
            }
            resumed = true;
        } else {
            Service.CreateRun.Builder create = Service.CreateRun.newBuilder().setExperimentId(experimentId)
                    .setStartTime(System.currentTimeMillis());
            if (runName != null && !runName.isBlank()) {
                create.setRunName(runName);
            }
            String user = System.getProperty("user.name");
            if (user != null) {
                create.setUserId(user);
                tags.putIfAbsent("mlflow.user", user);
            }
            tags.putIfAbsent("mlflow.source.name", "cnn-pipeline");
            info = client.createRun(create.build());
        }
        runId = info.getRunId();
        artifacts = ArtifactTarget.of(info.getArtifactUri(), trackingUri);
        List<Service.RunTag> runTags = new ArrayList<>();
        tags.forEach((k, v) -> runTags.add(Service.RunTag.newBuilder().setKey(key(k))
                .setValue(cut(v, MAX_TAG_VALUE_LENGTH)).build()));
        for (List<Service.RunTag> batch : batches(runTags, MAX_PARAMS_OR_TAGS_PER_BATCH)) {
            client.logBatch(runId, List.of(), List.of(), batch);
        }
        LOG.info("MLflow: {} run {} in experiment \"{}\" ({}) at {}", resumed ? "reopened" : "created", runId,
                experimentName, experimentId, trackingUri);
        if (artifacts == null) {
            LOG.warn("MLflow: run {} stores artifacts at {}, which this client cannot write without MLflow's Python "
                    + "client; artifacts are not logged (start the server with --serve-artifacts)", runId,
                    info.getArtifactUri());
        }
    }

    private String experimentId(String name) {
        Optional<Service.Experiment> experiment = findExperiment(name);
        if (experiment.isEmpty()) {
            try {
                return client.createExperiment(name);
            } catch (MlflowHttpException e) {
                // Another job created it between the two calls.
                experiment = findExperiment(name);
                if (experiment.isEmpty()) {
                    throw e;
                }
            }
        }
        if (!"active".equals(experiment.get().getLifecycleStage())) {
            throw new IllegalStateException("experiment \"" + name + "\" (" + experiment.get().getExperimentId()
                    + ") is deleted: restore it (mlflow experiments restore) or track into another experiment");
        }
        return experiment.get().getExperimentId();
    }

    /**
     * The experiment of that name, active or deleted. A search (an empty answer when there is none) rather than
     * get-by-name, whose 404 for a new experiment the Java client retries and logs as warnings.
     */
    private Optional<Service.Experiment> findExperiment(String name) {
        String quote = name.indexOf('\'') < 0 ? "'" : name.indexOf('"') < 0 ? "\"" : null;
        if (quote == null) {
            return client.getExperimentByName(name);
        }
        return client.searchExperiments("name = " + quote + name + quote, Service.ViewType.ALL, 10, List.of())
                .getItems().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    private Service.Run findRun(String pipelineRunId) {
        List<Service.Run> runs = client.searchRuns(List.of(experimentId),
                "tags.`" + RUN_ID_TAG + "` = '" + pipelineRunId + "'", Service.ViewType.ACTIVE_ONLY, 1,
                List.of("attributes.start_time DESC")).getItems();
        return runs.isEmpty() ? null : runs.get(0);
    }

    /** The server's version from {@code GET /version} ("3.17.2"), or null when it does not say. */
    private String serverVersion() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request(URI.create(trackingUri + "/version")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? response.body().trim() : null;
    }

    static int paramValueLimit(String serverVersion) {
        Matcher m = serverVersion == null ? null : VERSION.matcher(serverVersion);
        if (m == null || !m.lookingAt()) {
            return OLD_MAX_PARAM_VALUE_LENGTH;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 2 || (major == 2 && minor >= 8) ? MAX_PARAM_VALUE_LENGTH : OLD_MAX_PARAM_VALUE_LENGTH;
    }

    /**
     * Logs parameters (write-once in MLflow). A key already logged to this run with the same value is not sent
     * again; with a different value it is not sent either (MLflow refuses changes) and one warning names it. Values
     * longer than the server's limit (6000 characters, 500 before MLflow 2.8) are cut to it.
     *
     * @param params parameter name to value, e.g. {@code train.epochs -> 2}; no null keys or values
     * @throws NullPointerException for a null map, key or value
     */
    public synchronized void logParams(Map<String, String> params) {
        Objects.requireNonNull(params, "params");
        params.forEach((k, v) -> {
            Objects.requireNonNull(k, "parameter name");
            Objects.requireNonNull(v, () -> "value of parameter " + k);
        });
        if (!enabled) {
            return;
        }
        List<Service.Param> toLog = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> cut = new ArrayList<>();
        params.forEach((k, v) -> {
            String key = key(k);
            String value = cut(v, paramValueLimit);
            if (!value.equals(v)) {
                cut.add(key);
            }
            String before = loggedParams.get(key);
            if (before == null) {
                toLog.add(Service.Param.newBuilder().setKey(key).setValue(value).build());
            } else if (!before.equals(value)) {
                changed.add(key + " (kept " + abbreviate(before) + ", not " + abbreviate(value) + ")");
            }
        });
        if (!cut.isEmpty()) {
            LOG.info("MLflow: parameter values cut to {} characters: {}", paramValueLimit, String.join(", ", cut));
        }
        if (!changed.isEmpty()) {
            LOG.warn("MLflow: run {} has these parameters with other values, which MLflow cannot change: {}", runId,
                    String.join("; ", changed));
        }
        for (List<Service.Param> batch : batches(toLog, MAX_PARAMS_OR_TAGS_PER_BATCH)) {
            run("log " + batch.size() + " parameters", timeout, () -> {
                client.logBatch(runId, List.of(), batch, List.of());
                return null;
            });
            if (!enabled) {
                return;
            }
            batch.forEach(p -> loggedParams.put(p.getKey(), p.getValue()));
        }
    }

    /**
     * Logs metric values at one step, timestamped now. A null value is skipped (not measured). NaN is logged as NaN
     * (MLflow stores it; a diverged loss shows as such); MLflow's SQL stores keep ±infinity as ±{@link
     * Double#MAX_VALUE}.
     *
     * @param step    the step, e.g. the 1-based epoch
     * @param metrics metric name to value, e.g. {@code loss -> 0.41}; no null keys
     * @throws NullPointerException for a null map or key
     */
    public synchronized void logMetrics(long step, Map<String, Double> metrics) {
        Objects.requireNonNull(metrics, "metrics");
        metrics.keySet().forEach(k -> Objects.requireNonNull(k, "metric name"));
        if (!enabled) {
            return;
        }
        long now = System.currentTimeMillis();
        List<Service.Metric> toLog = new ArrayList<>();
        metrics.forEach((k, v) -> {
            if (v != null) {
                toLog.add(Service.Metric.newBuilder().setKey(key(k)).setValue(v).setTimestamp(now).setStep(step)
                        .build());
            }
        });
        for (List<Service.Metric> batch : batches(toLog, MAX_METRICS_PER_BATCH)) {
            run("log " + batch.size() + " metrics at step " + step, timeout, () -> {
                client.logBatch(runId, batch, List.of(), List.of());
                return null;
            });
            if (!enabled) {
                return;
            }
        }
    }

    /**
     * Logs one epoch of training at step {@code epoch}: {@code loss}, {@code train_accuracy} and
     * {@code validation_accuracy} (fractions, when measured), {@code learning_rate} (when the updater has one),
     * {@code images_per_second}, {@code epoch_seconds} and {@code batch_size_per_worker}.
     */
    public void logEpoch(EpochMetrics epoch) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", epoch.loss());
        m.put("train_accuracy", epoch.trainAccuracy());
        m.put("validation_accuracy", epoch.validationAccuracy());
        m.put("learning_rate", Double.isNaN(epoch.learningRate()) ? null : epoch.learningRate());
        m.put("images_per_second", epoch.imagesPerSecond());
        m.put("epoch_seconds", epoch.seconds());
        m.put("batch_size_per_worker", (double) epoch.batchSizePerWorker());
        logMetrics(epoch.epoch(), m);
    }

    /**
     * Uploads one file as {@code <artifactPath>/<file name>} of the run's artifacts (replacing one of that name).
     *
     * @param file         a regular file
     * @param artifactPath directory within the run's artifacts, e.g. {@code model}; null or empty for the root
     * @throws IllegalArgumentException if {@code file} is not a regular file or {@code artifactPath} is absolute or
     *                                  has {@code .} or {@code ..} segments
     */
    public synchronized void logArtifact(Path file, String artifactPath) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("MLflow artifact " + file + " is not a regular file");
        }
        String dir = checkArtifactPath(artifactPath);
        if (!enabled || artifacts == null) {
            return;
        }
        upload(file, join(dir, file.getFileName().toString()));
    }

    /**
     * Uploads every regular file under {@code localDir}, keeping the relative paths, under {@code artifactPath}
     * (symbolic links are not followed).
     *
     * @param localDir     a directory
     * @param artifactPath directory within the run's artifacts, e.g. {@code evaluation}; null or empty for the root
     * @throws IllegalArgumentException if {@code localDir} is not a directory, or for an {@code artifactPath} as in
     *                                  {@link #logArtifact}
     */
    public synchronized void logArtifacts(Path localDir, String artifactPath) {
        Objects.requireNonNull(localDir, "localDir");
        if (!Files.isDirectory(localDir)) {
            throw new IllegalArgumentException("MLflow artifact directory " + localDir + " is not a directory");
        }
        String dir = checkArtifactPath(artifactPath);
        if (!enabled || artifacts == null) {
            return;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(localDir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException | RuntimeException e) {
            disable("list " + localDir, e);
            return;
        }
        for (Path f : files) {
            List<String> parts = new ArrayList<>();
            localDir.relativize(f).forEach(p -> parts.add(p.toString()));
            upload(f, join(dir, String.join("/", parts)));
            if (!enabled) {
                return;
            }
        }
    }

    private void upload(Path file, String relative) {
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (IOException e) {
            disable("read " + file, e);
            return;
        }
        Duration limit = timeout.plusSeconds(bytes >> 20);
        run("upload " + file + " as artifact " + relative, limit, () -> {
            artifacts.put(this, file, relative, limit);
            return null;
        });
    }

    /**
     * Ends the run: status {@code FINISHED} if {@code succeeded}, else {@code FAILED}, end time now. Later calls of
     * any method do nothing. Idempotent.
     */
    public synchronized void finish(boolean succeeded) {
        if (finished) {
            return;
        }
        finished = true;
        if (enabled) {
            run("end the run", timeout, () -> {
                client.setTerminated(runId, succeeded ? Service.RunStatus.FINISHED : Service.RunStatus.FAILED,
                        System.currentTimeMillis());
                return null;
            });
        }
        enabled = false;
        shutDown();
    }

    /** {@link #finish finish(false)} unless {@link #finish} was called. */
    @Override
    public void close() {
        finish(false);
    }

    /** Whether calls are still sent to the server (false when disabled, failed or finished). */
    public boolean enabled() {
        return enabled;
    }

    /** The MLflow run id, if a run was created or reopened (also after a later failure disabled the tracking). */
    public synchronized Optional<String> runId() {
        return Optional.ofNullable(runId);
    }

    /** The MLflow experiment id, if the experiment was found or created. */
    public synchronized Optional<String> experimentId() {
        return Optional.ofNullable(experimentId);
    }

    /** Whether {@link #open} reopened an existing run (by {@link #RUN_ID_TAG}) rather than creating one. */
    public synchronized boolean resumed() {
        return resumed;
    }

    /** The warning logged when a failure disabled this instance, if one did. */
    public synchronized Optional<String> warning() {
        return Optional.ofNullable(warning);
    }

    /** The tracking server's URI, or null for a {@link #disabled()} instance. */
    public String trackingUri() {
        return trackingUri;
    }

    /**
     * Runs {@code call} on this instance's thread, waiting at most {@code limit}; on failure or timeout disables the
     * instance with one warning and returns null.
     */
    private <T> T run(String what, Duration limit, Callable<T> call) {
        if (!enabled) {
            return null;
        }
        Future<T> future;
        try {
            future = calls.submit(call);
        } catch (RuntimeException e) {
            disable(what, e);
            return null;
        }
        try {
            return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            disable(what, new IOException("no answer in " + limit.toMillis() / 1000.0 + " s"));
        } catch (ExecutionException e) {
            disable(what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            disable(what, e);
        }
        return null;
    }

    private synchronized void disable(String what, Throwable cause) {
        if (!enabled) {
            return;
        }
        enabled = false;
        warning = "MLflow tracking off for the rest of this run: cannot " + what + " at " + trackingUri + ": "
                + reason(cause);
        LOG.warn(warning);
        shutDown();
    }

    private void shutDown() {
        if (calls != null) {
            calls.shutdownNow();
        }
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.debug("MLflow client did not close", e);
            }
        }
    }

    /**
     * The Java client retries every refused request (4xx and 5xx alike) twice and logs each retry as a warning
     * that calls it a rate limit; this class reports a failure in one line of its own, so those lines are turned off
     * (logger {@code org.mlflow.tracking.MlflowHttpCaller} at ERROR) where log4j 2 is the logging backend (Spark's).
     */
    private static void quietClientRetries() {
        try {
            org.apache.logging.log4j.core.config.Configurator.setLevel("org.mlflow.tracking.MlflowHttpCaller",
                    org.apache.logging.log4j.Level.ERROR);
        } catch (LinkageError | RuntimeException e) {
            LOG.debug("MLflow client's retry warnings stay on: no log4j 2 backend", e);
        }
    }

    /** One line: the server's error code and message, or the exception's class and message. */
    static String reason(Throwable t) {
        String text;
        if (t instanceof MlflowHttpException h) {
            text = "HTTP " + h.getStatusCode() + " " + serverMessage(h.getBodyMessage());
        } else if (t instanceof ArtifactUploadException || t instanceof IllegalStateException) {
            text = t.getMessage();
        } else {
            Throwable root = t instanceof MlflowClientException && t.getCause() != null ? t.getCause() : t;
            String message = null;
            for (Throwable c = root; c != null && message == null; c = c.getCause() == c ? null : c.getCause()) {
                message = c.getMessage();
            }
            text = root.getClass().getSimpleName() + (message != null ? ": " + message
                    : root instanceof java.net.ConnectException ? ": nothing listens there, or it is unreachable" : "");
        }
        text = text.replaceAll("\\s+", " ").trim();
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }

    private static String serverMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node.hasNonNull("error_code") || node.hasNonNull("message")) {
                return node.path("error_code").asText("") + ": " + node.path("message").asText("");
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the body as it is
        }
        return body;
    }

    HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("User-Agent", "cnn-pipeline-mlflow-tracking");
        String auth = authorization(creds);
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return b;
    }

    private static String authorization(BasicMlflowHostCreds creds) {
        if (creds.getUsername() != null && creds.getPassword() != null) {
            return "Basic " + Base64.getEncoder().encodeToString(
                    (creds.getUsername() + ":" + creds.getPassword()).getBytes(StandardCharsets.UTF_8));
        }
        return creds.getToken() == null ? null : "Bearer " + creds.getToken();
    }

    private static BasicMlflowHostCreds credentials(String uri) {
        String user = System.getenv("MLFLOW_TRACKING_USERNAME");
        String password = System.getenv("MLFLOW_TRACKING_PASSWORD");
        String token = System.getenv("MLFLOW_TRACKING_TOKEN");
        return new BasicMlflowHostCreds(uri, user, password, token, false);
    }

    static String checkTrackingUri(String trackingUri) {
        Objects.requireNonNull(trackingUri, "trackingUri");
        URI uri;
        try {
            uri = new URI(trackingUri.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("MLflow tracking URI is not a URI: " + e.getMessage()
                    + " (got \"" + trackingUri + "\")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("MLflow tracking URI must be http://host:port or https://host[:port] "
                    + "of a tracking server (got \"" + trackingUri + "\")");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("MLflow tracking URI must have no query or fragment (got \""
                    + trackingUri + "\")");
        }
        return trackingUri.trim().replaceAll("/+$", "");
    }

    /** The artifact path with no leading or trailing slash, "" for the root. */
    static String checkArtifactPath(String artifactPath) {
        if (artifactPath == null) {
            return "";
        }
        String p = artifactPath.replaceAll("/+$", "");
        if (p.isEmpty()) {
            return "";
        }
        if (p.startsWith("/") || p.contains("\\")) {
            throw new IllegalArgumentException("MLflow artifact path must be relative, with '/' between names (got \""
                    + artifactPath + "\")");
        }
        for (String segment : p.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("MLflow artifact path must not have empty, '.' or '..' parts "
                        + "(got \"" + artifactPath + "\")");
            }
        }
        return p;
    }

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** A key MLflow accepts: refused characters become '_', at most 250 characters. */
    static String key(String k) {
        String s = KEY_CHARACTER_REFUSED.matcher(k).replaceAll("_");
        return s.length() > MAX_KEY_LENGTH ? s.substring(0, MAX_KEY_LENGTH) : s;
    }

    private static String cut(String s, int limit) {
        if (s.length() <= limit) {
            return s;
        }
        // Do not split a surrogate pair.
        int end = Character.isHighSurrogate(s.charAt(limit - 1)) ? limit - 1 : limit;
        return s.substring(0, end);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? "\"" + s.substring(0, 40) + "...\"" : "\"" + s + "\"";
    }

    static <T> List<List<T>> batches(List<T> items, int size) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            out.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return out;
    }

    /** An artifact upload the server refused. */
    static final class ArtifactUploadException extends IOException {
        ArtifactUploadException(String message) {
            super(message);
        }
    }

    /** Where a run's artifacts go: the server's artifact proxy (HTTP PUT) or a directory the driver can write. */
    private record ArtifactTarget(URI base, Path directory) {

        /**
         * The target for a run's {@code artifact_uri}, or null when this client cannot write there (S3, GCS, ...
         * without the server's artifact proxy).
         */
        static ArtifactTarget of(String artifactUri, String trackingUri) {
            URI uri = URI.create(artifactUri);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            switch (scheme) {
                case "mlflow-artifacts": {
                    // mlflow-artifacts:/<exp>/<run>/artifacts, or mlflow-artifacts://host:port/<...> naming the
                    // artifact server; both are served under /api/2.0/mlflow-artifacts/artifacts/.
                    String server = trackingUri;
                    if (uri.getAuthority() != null) {
                        server = URI.create(trackingUri).getScheme() + "://" + uri.getAuthority();
                    }
                    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("^/+", "");
                    return new ArtifactTarget(URI.create(server + "/api/2.0/mlflow-artifacts/artifacts/" + path),
                            null);
                }
                case "http":
                case "https":
                    return new ArtifactTarget(uri, null);
                case "file":
                    return new ArtifactTarget(null, Path.of(uri));
                case "":
                    return artifactUri.startsWith("/") ? new ArtifactTarget(null, Path.of(artifactUri)) : null;
                default:
                    return null;
            }
        }

        void put(MlflowTracking tracking, Path file, String relative, Duration limit)
                throws IOException, InterruptedException {
            if (directory != null) {
                Path target = directory.resolve(relative);
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                return;
            }
            StringBuilder encoded = new StringBuilder();
            for (String segment : relative.split("/")) {
                encoded.append('/').append(encodeSegment(segment));
            }
            URI target = URI.create(base.toString().replaceAll("/+$", "") + encoded);
            HttpResponse<String> response = tracking.http.send(tracking.request(target).timeout(limit)
                            .header("Content-Type", "application/octet-stream")
                            .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new ArtifactUploadException("HTTP " + response.statusCode() + " "
                        + serverMessage(response.body()));
            }
        }

        private static String encodeSegment(String segment) {
            StringBuilder out = new StringBuilder();
            for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xff;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                    out.append((char) c);
                } else {
                    out.append('%').append(String.format(Locale.ROOT, "%02X", c));
                }
            }
            return out.toString();
        }
    }
}
