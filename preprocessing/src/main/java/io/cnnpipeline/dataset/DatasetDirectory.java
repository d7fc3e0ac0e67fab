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

    /** Hadoop settings for reading shard footers; splits whose shards were checked. */
    private transient Configuration hadoop;
    private final java.util.Set<String> verified = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
        byte[] manifestBytes;
        try {
            manifestBytes = HadoopFiles.read(fs, manifestPath);
        } catch (UncheckedIOException e) {
            // e.g. a ChecksumException: the file was edited without its .crc (local filesystem) or a block is bad.
            throw new io.cnnpipeline.core.StageFailedException("Cannot open dataset " + root + ": " + manifestPath
                    + " cannot be read (edited or damaged: " + e.getCause().getClass().getSimpleName() + ": "
                    + String.valueOf(e.getCause().getMessage()).lines().findFirst().orElse("")
                    + "); rerun the preprocess stage with preprocess.overwrite = true");
        }
        DatasetManifest manifest;
        try {
            manifest = Json.fromBytes(manifestBytes, DatasetManifest.class);
        } catch (RuntimeException e) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot open dataset " + root + ": " + manifestPath
                    + " does not parse (edited or damaged: " + String.valueOf(e.getMessage()).lines().findFirst()
                    .orElse("") + "); rerun the preprocess stage with preprocess.overwrite = true");
        }
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
        DatasetDirectory d = new DatasetDirectory(root.toString(), manifest, sha256(manifestBytes),
                List.copyOf(classes), stats);
        d.hadoop = hadoop;
        return d;
    }

    /**
     * Checks a split's shard files against the manifest before they are read: every file's Parquet footer reads
     * back and their rows add up to the manifest's count. A truncated or replaced shard, or an edited manifest, stops
     * here with one message naming the file, instead of as failed tasks on the executors. Once per split; the footers
     * are a few kilobytes each.
     *
     * @throws io.cnnpipeline.core.StageFailedException naming the file and what to do
     */
    void verify(String split) {
        if (hadoop == null || verified.contains(split)) {
            return;
        }
        Path dir = new Path(new Path(uri, ShardSchema.SHARDS_DIR), split);
        FileSystem fs = HadoopFiles.fs(uri, hadoop);
        long rows = 0;
        try {
            for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (!name.endsWith(".parquet") || name.startsWith(".") || name.startsWith("_")) {
                    continue;
                }
                try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader
                        .open(org.apache.parquet.hadoop.util.HadoopInputFile.fromStatus(st, hadoop))) {
                    rows += reader.getRecordCount();
                } catch (IOException | RuntimeException e) {
                    throw new io.cnnpipeline.core.StageFailedException("Cannot read split " + split + " of dataset "
                            + uri + ": shard " + st.getPath() + " is not a readable Parquet file (truncated or "
                            + "damaged: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                            + "); rerun the preprocess stage with preprocess.overwrite = true");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
        if (rows != count(split)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot read split " + split + " of dataset " + uri
                    + ": its shards hold " + rows + " rows but " + ShardSchema.MANIFEST + " says " + count(split)
                    + " (the manifest was edited or shards changed after publishing); rerun the preprocess stage "
                    + "with preprocess.overwrite = true");
        }
        verified.add(split);
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
        verify(split);
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
