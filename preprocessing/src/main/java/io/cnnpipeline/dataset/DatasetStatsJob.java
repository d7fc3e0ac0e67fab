package io.cnnpipeline.dataset;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.core.Json;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The statistics step on its own: recomputes {@code stats.json} of a published dataset from its train shards —
 * per-channel mean and standard deviation of [0, 1] values, the channel covariance with its eigen-decomposition
 * (AlexNet PCA lighting), class counts and stored image sizes ({@link DatasetStats}).
 *
 * <p>The ingest job computes the same figures while it has the decoded pixels; this job is for datasets whose
 * statistics are missing, stale or in doubt (it decodes every stored train image again). Pixel moments are summed on
 * the executors as exact integers ({@link PixelMoments}) and only the sums reach the driver, so the result does not
 * depend on the partitioning. {@code stats.json} is replaced atomically. Driver-side entry point.
 */
public final class DatasetStatsJob {
    private DatasetStatsJob() {
    }

    /**
     * Computes the statistics of the dataset's train split.
     *
     * @throws IllegalStateException if the dataset cannot be opened or has no train rows
     * @throws ImageDecodeException  wrapped in an IllegalStateException if a stored image does not decode
     */
    public static DatasetStats compute(SparkSession spark, String datasetUri) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        DatasetDirectory dataset = DatasetDirectory.open(datasetUri, hadoop);
        int channels = dataset.manifest().channels();
        Dataset<Row> train = dataset.shards(spark, ShardSchema.TRAIN, spark.sparkContext().defaultParallelism());
        long[] zero = new long[PixelMoments.length(channels)];
        long[] moments = train.select(col(ShardSchema.CODEC.name()), col(ShardSchema.IMAGE.name()),
                        col(ShardSchema.WIDTH.name()), col(ShardSchema.HEIGHT.name()), col(ShardSchema.KEY.name()))
                .javaRDD()
                .map(r -> {
                    try {
                        return PixelMoments.of(ImageEncoder.decodeStored(ShardCodec.fromId(r.getString(0)),
                                (byte[]) r.get(1), r.getInt(2), r.getInt(3), channels));
                    } catch (ImageDecodeException e) {
                        throw new IllegalStateException("Cannot compute statistics: stored image " + r.getString(4)
                                + " does not decode: " + e.getMessage(), e);
                    }
                })
                .treeAggregate(zero, (a, b) -> PixelMoments.add(a, b), (a, b) -> PixelMoments.add(a, b));
        Map<String, Long> classCounts = new TreeMap<>();
        for (Row r : train.groupBy(col(ShardSchema.LABEL_NAME.name())).count().collectAsList()) {
            classCounts.put(r.getString(0), r.getLong(1));
        }
        long images = classCounts.values().stream().mapToLong(Long::longValue).sum();
        return DatasetStats.fromMoments(moments, channels, images, classCounts, imageSizes(train));
    }

    /** Computes the train statistics and replaces the dataset's {@code stats.json} with them (atomically). */
    public static DatasetStats run(SparkSession spark, String datasetUri) {
        DatasetStats stats = compute(spark, datasetUri);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = HadoopFiles.fs(datasetUri, hadoop);
        HadoopFiles.writeAtomically(fs, new Path(fs.makeQualified(new Path(datasetUri)), ShardSchema.STATS),
                Json.toBytes(stats));
        return stats;
    }

    /** Images per stored size {@code "<width>x<height>"}, counted on the executors. */
    public static Map<String, Long> imageSizes(Dataset<Row> rows) {
        Map<String, Long> sizes = new TreeMap<>();
        for (Row r : rows.groupBy(concat(col(ShardSchema.WIDTH.name()), lit("x"), col(ShardSchema.HEIGHT.name())))
                .count().collectAsList()) {
            sizes.put(r.getString(0), r.getLong(1));
        }
        return sizes;
    }
}
