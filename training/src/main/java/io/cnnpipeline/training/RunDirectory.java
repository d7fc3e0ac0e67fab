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

    /** A model zip and the {@code model-meta.json} that describes it. */
    public record ModelFiles(Path model, Path meta) {
    }

    /**
     * The model a stage reads: {@code <runDir>/<modelFile>} with the run's {@code model-meta.json}, or, when
     * {@code modelFile} is null, the zip at path/URI {@code model} with the {@code model-meta.json} beside it when
     * there is one (else the run's).
     *
     * @param stage the reading stage, for messages and its {@code <stage>.model} key ({@code evaluate}, {@code predict})
     * @throws io.cnnpipeline.core.StageFailedException if the zip or the metadata does not exist
     */
    public static ModelFiles modelFiles(String runDir, String model, String modelFile,
                                        org.apache.hadoop.conf.Configuration hadoop, String stage) {
        FileSystem fs = HadoopFiles.fs(runDir, hadoop);
        Path run = fs.makeQualified(new Path(runDir));
        Path meta = new Path(run, MODEL_META);
        Path zip;
        if (modelFile != null) {
            zip = new Path(run, modelFile);
        } else {
            FileSystem pathFs = HadoopFiles.fs(model, hadoop);
            zip = pathFs.makeQualified(new Path(model));
            Path beside = new Path(zip.getParent(), MODEL_META);
            if (HadoopFiles.exists(pathFs, beside)) {
                meta = beside;
            }
        }
        if (!HadoopFiles.exists(HadoopFiles.fs(zip.toString(), hadoop), zip)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot " + stage + " with " + zip
                    + ": it does not exist (" + stage + ".model = " + model + (model.equals("best")
                    ? "; " + BEST_MODEL + " is written only when the dataset has a validation split)"
                    : "; has training finished?)"));
        }
        if (!HadoopFiles.exists(HadoopFiles.fs(meta.toString(), hadoop), meta)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot " + stage + " with " + zip + ": there is no "
                    + meta + " (classes, input size and normalization of the model)");
        }
        return new ModelFiles(zip, meta);
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
