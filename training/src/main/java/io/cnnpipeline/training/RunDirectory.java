package io.cnnpipeline.training;

import io.cnnpipeline.core.HadoopFiles;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The layout of a training run directory {@code <train.runs-dir>/<train.run-id>/}, declared once, and the runs
 * directory's {@code latest} pointer. Any Hadoop filesystem.
 *
 * <p>Lifecycle: {@code train} creates the directory (a new run) or continues it ({@code --resume}, or
 * {@code --resume=auto} when it has a checkpoint) and then points {@code <runs-dir>/latest} at it; {@code evaluate}
 * and a resume without an explicit run-id read that pointer, so {@code train} then {@code evaluate} as two commands
 * find each other.
 */
public final class RunDirectory {
    /** The configuration a run was started with; its presence marks a run directory. */
    public static final String RESOLVED_CONFIG = "config.resolved.conf";
    /** Seed, dataset hashes, versions and git commit of the run (JSON). */
    public static final String PROVENANCE = "provenance.json";
    /** One JSON object per completed epoch. */
    public static final String METRICS = "metrics.jsonl";
    /** One {@link RoundMetrics} per averaging round. */
    public static final String ROUNDS = "rounds.jsonl";
    /** The final network (DL4J {@code ModelSerializer} zip with updater state). */
    public static final String MODEL = ModelMeta.MODEL_FILE;
    /** The network of the epoch with the best validation accuracy (when there is a validation split). */
    public static final String BEST_MODEL = "best-model.zip";
    /** Classes, input geometry and normalization of the model ({@link ModelMeta}). */
    public static final String MODEL_META = ModelMeta.FILE;
    /** The evaluation job's default output folder inside the run directory. */
    public static final String EVALUATION = "evaluation";
    /** File in the runs directory holding the run-id of the run trained last. */
    public static final String LATEST = "latest";

    private RunDirectory() {
    }

    /** A new run-id, {@code run-<UTC yyyyMMdd-HHmmss>}: what an empty {@code train.run-id} stands for. */
    public static String newRunId() {
        return "run-" + java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)
                .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    /**
     * The run-id in {@code <runsDir>/latest}, if a run has been trained there.
     *
     * @throws java.io.UncheckedIOException if the pointer exists but cannot be read
     */
    public static Optional<String> latest(FileSystem fs, Path runsDir) {
        Path pointer = new Path(runsDir, LATEST);
        if (!HadoopFiles.exists(fs, pointer)) {
            return Optional.empty();
        }
        String id = new String(HadoopFiles.read(fs, pointer), StandardCharsets.UTF_8).trim();
        return id.isEmpty() ? Optional.empty() : Optional.of(id);
    }

    /** Points {@code <runsDir>/latest} at {@code runId} (written atomically: a reader sees the old or the new id). */
    public static void markLatest(FileSystem fs, Path runsDir, String runId) {
        HadoopFiles.writeAtomically(fs, new Path(runsDir, LATEST), (runId + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
