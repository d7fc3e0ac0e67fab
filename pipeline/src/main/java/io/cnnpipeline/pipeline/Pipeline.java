package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationJob;
import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.dataset.DatasetStatsJob;
import io.cnnpipeline.ingest.IngestJob;
import io.cnnpipeline.ingest.IngestResult;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainResult;
import io.cnnpipeline.training.TrainingJob;
import java.util.Map;
import io.cnnpipeline.core.Progress;
import io.cnnpipeline.pipeline.tracking.MlflowTracking;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The stages as plain Java calls — what the CLI, notebooks and other JVM code use. Each stage takes a
 * {@link SparkSession} and a validated {@link PipelineConfig} and returns its result; {@link #run} chains the three.
 * Driver-side.
 */
public final class Pipeline {
    private Pipeline() {
    }

    /** Results of {@link #run}. */
    public record RunResult(IngestResult preprocess, TrainResult train, EvaluationReport evaluate) {
    }

    /**
     * Gets or creates the Spark session: under spark-submit the master comes from spark-submit; otherwise from
     * {@code spark.master} (default {@code local[2]}). {@code spark.conf} entries are applied either way.
     */
    public static SparkSession sparkSession(PipelineConfig config) {
        io.cnnpipeline.training.dl4j.JvmSettings.install();
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) {
            conf.setMaster(config.sparkMaster());
        }
        if (!conf.contains("spark.app.name")) {
            conf.setAppName(config.sparkAppName());
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        Progress.setInterval(java.time.Duration.ofSeconds(config.progressEverySeconds()));
        for (Map.Entry<String, String> e : config.sparkConf().entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** Stage 1: image files → Parquet shards, statistics and manifest. */
    public static IngestResult preprocess(SparkSession spark, PipelineConfig config) {
        return progress(spark, "preprocess", () -> IngestJob.run(spark, config.preprocess()));
    }

    /** Stage 1 from Java settings ({@code IngestConfig.builder()...build()}). */
    public static IngestResult preprocess(SparkSession spark, io.cnnpipeline.ingest.IngestConfig config) {
        return progress(spark, "preprocess", () -> IngestJob.run(spark, config));
    }

    /**
     * Stage 2 from Java settings ({@code TrainingConfig.builder()...build()}): the run {@code config.runId()}, started
     * or resumed as {@code config.resume()} says; its {@code config.resolved.conf} lists the settings' keys.
     */
    public static TrainResult train(SparkSession spark, io.cnnpipeline.training.TrainingConfig config) {
        return progress(spark, "train", () -> TrainingJob.run(spark, config,
                io.cnnpipeline.training.TrainingConfig.builder().render(config)));
    }

    /** Stage 3 from Java settings ({@code EvaluationConfig.builder()...build()}). */
    public static EvaluationReport evaluate(SparkSession spark, io.cnnpipeline.evaluation.EvaluationConfig config) {
        return progress(spark, "evaluate", () -> EvaluationJob.run(spark, config));
    }

    /**
     * The statistics step alone: recomputes {@code stats.json} of the dataset at {@code datasetUri} from its train
     * shards ({@link DatasetStatsJob}); "" = {@code train.dataset}.
     */
    public static DatasetStats stats(SparkSession spark, PipelineConfig config, String datasetUri) {
        return DatasetStatsJob.run(spark, datasetUri.isEmpty() ? config.train().dataset() : datasetUri);
    }

    /**
     * Stage 2: shards → trained model in a run directory. Without a {@code train.run-id}, a new run gets a fresh id;
     * a resume ({@code train.resume = true}) continues the runs directory's {@code latest} run, and
     * {@code train.resume = auto} continues it when there is one.
     *
     * @throws io.cnnpipeline.core.StageFailedException if the run exists (new run), or there is nothing
     *                                                           to resume
     */
    public static TrainResult train(SparkSession spark, PipelineConfig config) {
        io.cnnpipeline.training.TrainingConfig.ResumeMode resume = config.train().resume();
        if (config.runIdDefaulted() && resume != io.cnnpipeline.training.TrainingConfig.ResumeMode.FALSE) {
            java.util.Optional<String> latest = latestRun(spark, config);
            if (latest.isPresent()) {
                config = config.withRunId(latest.get());
            } else if (resume == io.cnnpipeline.training.TrainingConfig.ResumeMode.TRUE) {
                throw new io.cnnpipeline.core.StageFailedException("Cannot resume: no train.run-id (--run-id) "
                        + "was given and " + config.train().runsDir() + " has no " + RunDirectory.LATEST + " run");
            }
        }
        PipelineConfig resolved = config;
        try (MlflowTracking tracking = Tracking.open(resolved, resolved.train().runId(),
                Tracking.trainingTags(resolved, spark.sparkContext().hadoopConfiguration()))) {
            TrainResult result = progress(spark, "train", () -> TrainingJob.run(spark, resolved.train(),
                    resolved.render(), Tracking.trainingListener(tracking, resolved)));
            Tracking.trainingArtifacts(tracking, result, spark.sparkContext().hadoopConfiguration());
            tracking.finish(true);
            return result;
        }
    }

    /**
     * Stage 3: model + test shards → evaluation report. Without a {@code train.run-id} or {@code evaluate.run-dir},
     * evaluates the runs directory's {@code latest} run.
     *
     * @throws io.cnnpipeline.core.StageFailedException if there is no such run or model
     */
    public static EvaluationReport evaluate(SparkSession spark, PipelineConfig config) {
        if (config.runIdDefaulted() && !config.evaluateRunDirSet()) {
            config = withLatestRun(spark, config, "evaluate", "or evaluate.run-dir ");
        }
        PipelineConfig resolved = config;
        try (MlflowTracking tracking = Tracking.open(resolved, resolved.train().runId(), Map.of())) {
            EvaluationReport report = progress(spark, "evaluate", () -> EvaluationJob.run(spark,
                    resolved.evaluate()));
            Tracking.evaluation(tracking, report, resolved.evaluate().runDir(),
                    spark.sparkContext().hadoopConfiguration());
            tracking.finish(true);
            return report;
        }
    }

    /**
     * Batch inference: a trained model applied to the images of {@code predict.input}, {@code predict.manifest} or
     * {@code predict.split} ({@link PredictionJob}), image files prepared as {@code preprocess.*} prepares them.
     * Without a {@code train.run-id} or {@code predict.run-dir}, uses the runs directory's {@code latest} run.
     *
     * @throws InvalidConfigException         if the {@code predict} settings are invalid
     * @throws io.cnnpipeline.core.StageFailedException if there is no such run, model or input
     */
    public static io.cnnpipeline.model.PredictionSummary predict(SparkSession spark, PipelineConfig config) {
        config.predict();
        if (config.runIdDefaulted() && !config.predictRunDirSet()) {
            config = withLatestRun(spark, config, "predict", "or predict.run-dir ");
        }
        PipelineConfig resolved = config;
        return progress(spark, "predict", () -> io.cnnpipeline.model.PredictionJob.run(spark, resolved.predict(),
                io.cnnpipeline.ingest.ImagePreparation.of(resolved.preprocess())));
    }

    /**
     * Exports a run's model to ONNX ({@link io.cnnpipeline.model.ModelExport}). Without a {@code train.run-id}, the
     * runs directory's {@code latest} run.
     *
     * @param model  {@code last}, {@code best} or the path of a model zip
     * @param output the ONNX file, or null for beside the model ({@code model.onnx}, {@code best-model.onnx})
     * @param verify images of {@code evaluate.dataset}'s test split to compare ONNX Runtime with DL4J on; 0 = none
     * @throws io.cnnpipeline.core.StageFailedException if there is no such model, or the verification fails
     */
    public static io.cnnpipeline.model.ModelExport.Result export(SparkSession spark, PipelineConfig config,
                                                                String model, String output, int verify) {
        if (config.runIdDefaulted() && (model.equals("last") || model.equals("best"))) {
            config = withLatestRun(spark, config, "export", "");
        }
        String runDir = config.evaluate().runDir();
        String zip = switch (model) {
            case "last" -> runDir + "/" + RunDirectory.MODEL;
            case "best" -> runDir + "/" + RunDirectory.BEST_MODEL;
            default -> model;
        };
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        io.cnnpipeline.model.TrainedModel trained = io.cnnpipeline.model.TrainedModel.load(zip, hadoop);
        String target = output != null ? output
                : zip.substring(0, zip.length() - (zip.endsWith(".zip") ? 4 : 0)) + ".onnx";
        org.nd4j.linalg.api.ndarray.INDArray pixels = null;
        if (verify > 0) {
            io.cnnpipeline.dataset.DatasetDirectory dataset = io.cnnpipeline.dataset.DatasetDirectory.open(
                    config.evaluate().dataset(), hadoop);
            java.util.List<io.cnnpipeline.image.UInt8Image> images = new java.util.ArrayList<>();
            for (org.apache.spark.sql.Row r : dataset.shards(spark, io.cnnpipeline.dataset.ShardSchema.TEST)
                    .orderBy(io.cnnpipeline.dataset.ShardSchema.KEY.name()).limit(verify).collectAsList()) {
                images.add(io.cnnpipeline.dataset.ShardRecord.fromRow(r).image());
            }
            pixels = io.cnnpipeline.model.ModelExport.pixels(trained, images);
        }
        return io.cnnpipeline.model.ModelExport.onnx(trained, target, pixels, hadoop);
    }

    /**
     * A hyperparameter search ({@link io.cnnpipeline.pipeline.search.SearchJob}): trials of {@code search.space}
     * trained from {@code config} on its dataset, scored on the validation split, under {@code search.dir};
     * continues the search that directory holds.
     *
     * @throws InvalidConfigException if the search settings or a value of the space are invalid
     * @throws io.cnnpipeline.core.StageFailedException if the directory holds another search, or a trial fails
     */
    public static io.cnnpipeline.pipeline.search.SearchJob.Result search(SparkSession spark, PipelineConfig config) {
        return io.cnnpipeline.pipeline.search.SearchJob.run(spark, config);
    }

    /** Runs a stage with its progress lines ({@link Progress}). */
    private static <T> T progress(SparkSession spark, String stage, java.util.function.Supplier<T> job) {
        try (Progress p = Progress.start(spark.sparkContext(), stage)) {
            return job.get();
        }
    }

    /** All three stages from one configuration; the evaluation takes the run the training stage wrote. */
    public static RunResult run(SparkSession spark, PipelineConfig config) {
        IngestResult ingest = preprocess(spark, config);
        TrainResult train = train(spark, config);
        EvaluationReport report = evaluate(spark, config.withRunId(train.runId()));
        return new RunResult(ingest, train, report);
    }

    /**
     * PNG grids of the configured training augmentation ({@code train.augmentation}): rows of source images, columns
     * of augmented variants (epochs 1..variants), one grid named {@code pipeline} and one per transform
     * ({@code <step>-<type>}), as {@code augment-preview} writes them.
     *
     * @param spark    used only to read sample rows of {@code train.dataset} when {@code images} is empty
     * @param images   image files or directories, decoded and resized to {@code preprocess.short-side} as the
     *                 preprocess stage would store them; empty = the dataset's train split
     * @param cell     cell side in pixels; 0 = 4 x input size for inputs under 48 px, else min(input size, 160)
     * @throws InvalidConfigException if the augmentation cannot run on these images (e.g. PCA lighting on luma)
     */
    public static Map<String, byte[]> augmentationPreview(SparkSession spark, PipelineConfig config,
                                                          java.util.List<java.nio.file.Path> images, int rows,
                                                          int variants, int cell) {
        InvalidConfigException.require(rows >= 1, "--rows", "must be >= 1", rows);
        InvalidConfigException.require(variants >= 1, "--variants", "must be >= 1", variants);
        InvalidConfigException.require(cell >= 0, "--cell", "must be >= 0", cell);
        io.cnnpipeline.augment.AugmentationPipeline pipeline = config.train().augmentation();
        PreviewSources.Loaded loaded = !images.isEmpty()
                ? PreviewSources.files(images, config.preprocess().channels(), config.preprocess().shortSide(), 0,
                        rows, new java.util.HashSet<>(config.preprocess().extensions()))
                : PreviewSources.dataset(spark, config.train().dataset(), rows, config.seed());
        try {
            pipeline = pipeline.withStats(loaded.stats());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("train.augmentation", e.getMessage(), null);
        }
        int side = pipeline.inputSize();
        int cellSize = cell > 0 ? cell : (side < 48 ? 4 * side : Math.min(side, 160));
        return AugmentationPreview.render(pipeline, loaded.sources(), variants, config.seed(), cellSize);
    }

    /**
     * {@code config} with the runs directory's {@code latest} run as its run-id.
     *
     * @param alternative the setting besides {@code --run-id} that would have named the run, with a trailing space
     * @throws io.cnnpipeline.core.StageFailedException if there is no latest run
     */
    private static PipelineConfig withLatestRun(SparkSession spark, PipelineConfig config, String stage,
                                                String alternative) {
        String runsDir = config.train().runsDir();
        return config.withRunId(latestRun(spark, config).orElseThrow(() ->
                new io.cnnpipeline.core.StageFailedException("Cannot " + stage + ": no train.run-id (--run-id) "
                        + alternative + "was given and " + runsDir + " has no " + RunDirectory.LATEST
                        + " run (train one first)")));
    }

    private static java.util.Optional<String> latestRun(SparkSession spark, PipelineConfig config) {
        String runsDir = config.train().runsDir();
        org.apache.hadoop.fs.FileSystem fs = io.cnnpipeline.core.HadoopFiles.fs(runsDir,
                spark.sparkContext().hadoopConfiguration());
        return RunDirectory.latest(fs, fs.makeQualified(new org.apache.hadoop.fs.Path(runsDir)));
    }
}
