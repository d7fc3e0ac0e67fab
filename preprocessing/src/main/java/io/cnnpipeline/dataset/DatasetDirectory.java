package io.cnnpipeline.dataset;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.ingest.IngestJob;
import io.cnnpipeline.core.Json;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A published dataset directory (the output of {@link IngestJob}) opened for reading: its manifest, classes and
 * statistics, and its shards per split. Driver-side.
 */
public final class DatasetDirectory {
    private final String uri;
    private final DatasetManifest manifest;
    private final String manifestSha256;
    private final List<String> classes;
    private final DatasetStats stats;

    private DatasetDirectory(String uri, DatasetManifest manifest, String manifestSha256, List<String> classes,
                             DatasetStats stats) {
        this.uri = uri;
        this.manifest = manifest;
        this.manifestSha256 = manifestSha256;
        this.classes = classes;
        this.stats = stats;
    }

    /**
     * Opens a dataset directory.
     *
     * @throws IllegalStateException if it has no {@code _manifest.json} (not a dataset, or one still being written)
     *                               or its schema version is not {@link ShardSchema#VERSION}
     */
    public static DatasetDirectory open(String uri, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(uri, hadoop);
        Path root = fs.makeQualified(new Path(uri));
        Path manifestPath = new Path(root, ShardSchema.MANIFEST);
        if (!HadoopFiles.exists(fs, manifestPath)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot open dataset " + root + ": no " + ShardSchema.MANIFEST
                    + " (run the preprocess stage first)");
        }
        byte[] manifestBytes = HadoopFiles.read(fs, manifestPath);
        DatasetManifest manifest = Json.fromBytes(manifestBytes, DatasetManifest.class);
        if (manifest.schemaVersion() != ShardSchema.VERSION) {
            throw new IllegalStateException("Cannot open dataset " + root + ": shard schema version "
                    + manifest.schemaVersion() + " is not the supported " + ShardSchema.VERSION);
        }
        List<String> classes;
        try {
            classes = Json.MAPPER.readValue(HadoopFiles.read(fs, new Path(root, ShardSchema.CLASSES)),
                    new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse " + ShardSchema.CLASSES + " of " + root, e);
        }
        DatasetStats stats = Json.fromBytes(HadoopFiles.read(fs, new Path(root, ShardSchema.STATS)), DatasetStats.class);
        return new DatasetDirectory(root.toString(), manifest, sha256(manifestBytes), List.copyOf(classes), stats);
    }

    public String uri() {
        return uri;
    }

    public DatasetManifest manifest() {
        return manifest;
    }

    /** SHA-256 of the manifest bytes: identifies the dataset in provenance records. */
    public String manifestSha256() {
        return manifestSha256;
    }

    /**
     * What identifies this dataset's content for a resumed training run: {@link DatasetManifest#contentSha256()} when
     * the manifest has it (a re-run of the preprocess stage on the same inputs gives the same value), else
     * {@link #manifestSha256()} for manifests written before content fingerprints.
     */
    public String contentFingerprint() {
        return manifest.contentSha256() != null ? manifest.contentSha256() : manifestSha256;
    }

    public List<String> classes() {
        return classes;
    }

    public DatasetStats stats() {
        return stats;
    }

    /** Whether the dataset has rows in {@code split}. */
    public boolean hasSplit(String split) {
        DatasetManifest.SplitCounts counts = manifest.splits().get(split);
        return counts != null && counts.written() > 0;
    }

    /** Rows written to {@code split}. */
    public long count(String split) {
        DatasetManifest.SplitCounts counts = manifest.splits().get(split);
        return counts == null ? 0 : counts.written();
    }

    /**
     * The shards of one split as a DataFrame with {@link ShardSchema#SPARK_SCHEMA}.
     *
     * @throws IllegalStateException if the split is empty or absent
     */
    public Dataset<Row> shards(SparkSession spark, String split) {
        if (!hasSplit(split)) {
            throw new IllegalStateException("Cannot read split " + split + " of dataset " + uri + ": it has no rows");
        }
        return spark.read().schema(ShardSchema.SPARK_SCHEMA)
                .parquet(new Path(new Path(uri, ShardSchema.SHARDS_DIR), split).toString());
    }

    /**
     * The shards of one split with at least {@code minPartitions} partitions (repartitioned if the files give fewer),
     * so that small splits still spread over every executor core.
     */
    public Dataset<Row> shards(SparkSession spark, String split, int minPartitions) {
        Dataset<Row> df = shards(spark, split);
        return df.rdd().getNumPartitions() < minPartitions ? df.repartition(minPartitions) : df;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
