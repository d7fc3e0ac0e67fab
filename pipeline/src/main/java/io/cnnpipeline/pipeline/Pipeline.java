package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationJob;
import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.preprocessing.DatasetStats;
import io.cnnpipeline.preprocessing.DatasetStatsJob;
import io.cnnpipeline.preprocessing.IngestJob;
import io.cnnpipeline.preprocessing.IngestResult;
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

    /** Stage 2: shards → trained model in a run directory. */
    public static TrainResult train(SparkSession spark, PipelineConfig config) {
        return TrainingJob.run(spark, config.train(), config.render());
    }

    /** Stage 3: model + test shards → evaluation report. */
    public static EvaluationReport evaluate(SparkSession spark, PipelineConfig config) {
        return EvaluationJob.run(spark, config.evaluate());
    }

    /** All three stages from one configuration. */
    public static RunResult run(SparkSession spark, PipelineConfig config) {
        IngestResult ingest = preprocess(spark, config);
        TrainResult train = train(spark, config);
        EvaluationReport report = evaluate(spark, config);
        return new RunResult(ingest, train, report);
    }
}
