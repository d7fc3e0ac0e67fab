package io.cnnpipeline.pipeline;

import io.cnnpipeline.core.BuildInfo;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.pipeline.tracking.MlflowTracking;
import io.cnnpipeline.training.EpochMetrics;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainResult;
import io.cnnpipeline.training.TrainingJob;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages' MLflow records ({@code tracking.*}): one MLflow run per cnn-pipeline run id, which a resumed training
 * and the run's evaluation continue (found by the {@link MlflowTracking#RUN_ID_TAG} tag). Artifacts are copied from
 * the run directory (any Hadoop filesystem) to a local temporary directory and uploaded from there.
 */
final class Tracking {
    private static final Logger LOG = LoggerFactory.getLogger(Tracking.class);

    private Tracking() {
    }

    /** The tracking of run {@code runId}: disabled when {@code tracking.mlflow-uri} is empty. */
    static MlflowTracking open(PipelineConfig config, String runId, Map<String, String> tags) {
        if (config.trackingMlflowUri().isEmpty()) {
            return MlflowTracking.disabled();
        }
        Map<String, String> all = new LinkedHashMap<>(tags);
        all.put(MlflowTracking.RUN_ID_TAG, runId);
        all.put("cnn-pipeline.version", BuildInfo.version());
        all.put("mlflow.source.git.commit", BuildInfo.gitCommit());
        return MlflowTracking.open(config.trackingMlflowUri(), config.trackingExperiment(), runId, all,
                Duration.ofSeconds(config.trackingTimeoutSeconds()));
    }

    /** Tags of a training run: the network and the training dataset's content fingerprint (when it can be read). */
    static Map<String, String> trainingTags(PipelineConfig config, Configuration hadoop) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("network", config.train().network().id());
        if (!config.trackingMlflowUri().isEmpty()) {
            try {
                tags.put(DATASET_TAG, io.cnnpipeline.dataset.DatasetDirectory.open(config.train().dataset(), hadoop)
                        .contentFingerprint());
            } catch (RuntimeException e) {
                LOG.debug("no dataset fingerprint for the tracking tags", e);   // the training reports it
            }
        }
        return tags;
    }

    /** The tag holding the training dataset's content fingerprint. */
    static final String DATASET_TAG = "cnn-pipeline.dataset-content-sha256";

    /** A training listener logging the params at the start and each epoch's metrics. */
    static TrainingJob.Listener trainingListener(MlflowTracking tracking, PipelineConfig config) {
        return new TrainingJob.Listener() {
            @Override
            public void started(String runDir, String datasetFingerprint) {
                Map<String, String> params = new LinkedHashMap<>(config.trainingKeys());
                params.put("dataset.content-sha256", datasetFingerprint);
                tracking.logParams(params);
            }

            @Override
            public void epoch(EpochMetrics metrics) {
                tracking.logEpoch(metrics);
            }
        };
    }

    /** Uploads the run's page, plots, metrics and model. */
    static void trainingArtifacts(MlflowTracking tracking, TrainResult result, Configuration hadoop) {
        if (!tracking.enabled()) {
            return;
        }
        upload(tracking, hadoop, result.runDir(), List.of("report.html", RunDirectory.METRICS, RunDirectory.ROUNDS,
                RunDirectory.RESOLVED_CONFIG, RunDirectory.PROVENANCE, RunDirectory.MODEL_META, RunDirectory.MODEL,
                "plots"), "");
    }

    /** Logs the evaluation's top-1/top-5 errors per crop mode and uploads its page and report. */
    static void evaluation(MlflowTracking tracking, EvaluationReport report, String runDir, Configuration hadoop) {
        if (!tracking.enabled()) {
            return;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        report.modes().forEach((mode, r) -> {
            metrics.put("test_top1_error." + mode, r.top1Error());
            metrics.put("test_top" + report.topK() + "_error." + mode, r.topKError());
        });
        tracking.logMetrics(0, metrics);
        upload(tracking, hadoop, runDir, List.of(RunDirectory.EVALUATION), "");
    }

    private static void upload(MlflowTracking tracking, Configuration hadoop, String runDir, List<String> names,
                               String artifactPath) {
        java.nio.file.Path local = null;
        try {
            FileSystem fs = HadoopFiles.fs(runDir, hadoop);
            local = Files.createTempDirectory("cnn-pipeline-artifacts");
            for (String name : names) {
                Path source = new Path(runDir, name);
                if (!fs.exists(source)) {
                    continue;
                }
                java.nio.file.Path target = local.resolve(name);
                fs.copyToLocalFile(false, source, new Path(target.toUri()), true);
                if (Files.isDirectory(target)) {
                    tracking.logArtifacts(target, join(artifactPath, name));
                } else {
                    tracking.logArtifact(target, artifactPath);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("tracking: cannot upload the artifacts of {}: {}", runDir, e.toString());
        } finally {
            if (local != null) {
                deleteRecursively(local);
            }
        }
    }

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    private static void deleteRecursively(java.nio.file.Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot delete {}", dir, e);
        }
    }
}
