package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationJob;
import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.preprocessing.DatasetStats;
import io.cnnpipeline.preprocessing.DatasetStatsJob;
import io.cnnpipeline.preprocessing.IngestJob;
import io.cnnpipeline.preprocessing.IngestResult;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainResult;
import io.cnnpipeline.training.TrainingJob;
import java.util.Map;
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
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) {
            conf.setMaster(config.sparkMaster());
        }
        if (!conf.contains("spark.app.name")) {
            conf.setAppName(config.sparkAppName());
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        for (Map.Entry<String, String> e : config.sparkConf().entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** Stage 1: image files → Parquet shards, statistics and manifest. */
    public static IngestResult preprocess(SparkSession spark, PipelineConfig config) {
        return IngestJob.run(spark, config.preprocess());
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
     * @throws io.cnnpipeline.preprocessing.StageFailedException if the run exists (new run), or there is nothing
     *                                                           to resume
     */
    public static TrainResult train(SparkSession spark, PipelineConfig config) {
        String resume = config.train().resume();
        if (config.runIdDefaulted() && !resume.equals("false")) {
            java.util.Optional<String> latest = latestRun(spark, config);
            if (latest.isPresent()) {
                config = config.withRunId(latest.get());
            } else if (resume.equals("true")) {
                throw new io.cnnpipeline.preprocessing.StageFailedException("Cannot resume: no train.run-id (--run-id) "
                        + "was given and " + config.train().runsDir() + " has no " + RunDirectory.LATEST + " run");
            }
        }
        return TrainingJob.run(spark, config.train(), config.render());
    }

    /**
     * Stage 3: model + test shards → evaluation report. Without a {@code train.run-id} or {@code evaluate.run-dir},
     * evaluates the runs directory's {@code latest} run.
     *
     * @throws io.cnnpipeline.preprocessing.StageFailedException if there is no such run or model
     */
    public static EvaluationReport evaluate(SparkSession spark, PipelineConfig config) {
        if (config.runIdDefaulted() && !config.evaluateRunDirSet()) {
            String runsDir = config.train().runsDir();
            config = config.withRunId(latestRun(spark, config).orElseThrow(() ->
                    new io.cnnpipeline.preprocessing.StageFailedException("Cannot evaluate: no train.run-id (--run-id) "
                            + "or evaluate.run-dir was given and " + runsDir + " has no " + RunDirectory.LATEST
                            + " run (train one first)")));
        }
        return EvaluationJob.run(spark, config.evaluate());
    }

    /** All three stages from one configuration; the evaluation takes the run the training stage wrote. */
    public static RunResult run(SparkSession spark, PipelineConfig config) {
        IngestResult ingest = preprocess(spark, config);
        TrainResult train = train(spark, config);
        EvaluationReport report = evaluate(spark, config.withRunId(train.runId()));
        return new RunResult(ingest, train, report);
    }

    private static java.util.Optional<String> latestRun(SparkSession spark, PipelineConfig config) {
        String runsDir = config.train().runsDir();
        org.apache.hadoop.fs.FileSystem fs = io.cnnpipeline.preprocessing.HadoopFiles.fs(runsDir,
                spark.sparkContext().hadoopConfiguration());
        return RunDirectory.latest(fs, fs.makeQualified(new org.apache.hadoop.fs.Path(runsDir)));
    }
}
