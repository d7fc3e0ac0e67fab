package io.cnnpipeline.ingest;

import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.dataset.ShardSchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Manifest inputs: a CSV file with a header, or Parquet, with columns {@code path} and {@code label} (class name) per
 * split. Relative paths resolve against the manifest root (default: the manifest's directory), absolute URIs are kept,
 * and the record key is {@code <split>/<path relative to the root>} (or {@code <split>/<URI>} outside it), so
 * {@code a.jpg} and {@code ./a.jpg} are the same key. Files are read on the executors through Hadoop's FileSystem;
 * nothing but the class names reaches the driver.
 *
 * <p>Every manifest row is an input: a key listed more than once with one label is written once and its other
 * listings are quarantined as {@code duplicate-key}; a key listed with different labels is quarantined every time as
 * {@code conflicting-labels}; a listed file that does not exist is {@code missing-file}; a file listed in the train
 * split and in another is kept in train and quarantined elsewhere as {@code also-in-train} (test images must not be
 * trained on). Folders with a label file ({@link #readLabelFile}) are read the same way.
 */
final class Manifests {
    static final StructType ROWS = new StructType()
            .add("key", DataTypes.StringType, false)
            .add("input_split", DataTypes.StringType, false)
            .add("class_name", DataTypes.StringType, false)
            .add("path", DataTypes.StringType, false);

    /** Marks a path Hadoop cannot parse (quarantined as {@code invalid-path}). */
    static final String INVALID = "\u0000invalid:";

    private Manifests() {
    }

    /**
     * The rows of one split's manifest ({@link #ROWS}).
     *
     * @throws IllegalStateException if the manifest does not exist or lacks the {@code path} and {@code label} columns
     */
    static Dataset<Row> read(SparkSession spark, String split, String uri, String manifestRoot) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path manifest = existing(uri, "preprocess.manifests." + split, hadoop);
        String name = manifest.getName().toLowerCase(Locale.ROOT);
        boolean csv = name.endsWith(".csv") || name.endsWith(".csv.gz") || name.endsWith(".txt");
        Dataset<Row> df = csv
                ? spark.read().option("header", "true").option("mode", "FAILFAST").csv(manifest.toString())
                : spark.read().parquet(manifest.toString());
        List<String> columns = Arrays.asList(df.columns());
        if (!columns.contains("path") || !columns.contains("label")) {
            throw new IllegalStateException("Cannot read preprocess.manifests." + split + ": " + manifest
                    + " needs the columns path and label (got " + columns + ")");
        }
        String root;
        if (manifestRoot.isEmpty()) {
            root = manifest.getParent().toString();
        } else {
            FileSystem rootFs = HadoopFiles.fs(manifestRoot, hadoop);
            root = rootFs.makeQualified(new Path(manifestRoot)).toString();
        }
        String base = root;
        JavaRDD<Row> rows = df.select(col("path").cast("string"), col("label").cast("string")).javaRDD()
                .map(r -> row(split, base, r.isNullAt(0) ? "" : r.getString(0).trim(),
                        r.isNullAt(1) ? "" : r.getString(1).trim()));
        return spark.createDataFrame(rows, ROWS);
    }

    /**
     * The qualified path of the file that configuration key {@code key} names.
     *
     * @throws IllegalStateException if it does not exist
     */
    private static Path existing(String uri, String key, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(uri, hadoop);
        Path path = fs.makeQualified(new Path(uri));
        if (!HadoopFiles.exists(fs, path)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot read " + key + ": " + path + " does not exist");
        }
        return path;
    }

    /** A manifest row ({@link #ROWS}) for {@code path} (relative to {@code base}, or absolute) with its label. */
    private static Row row(String split, String base, String path, String label) {
        String resolved;
        try {
            resolved = path.isEmpty() ? "" : new Path(new Path(base + "/"), path).toString();
        } catch (IllegalArgumentException e) {
            resolved = INVALID + path;
        }
        String key = split + "/" + (resolved.startsWith(base + "/") ? resolved.substring(base.length() + 1)
                : resolved.startsWith(INVALID) ? path : resolved.isEmpty() ? "(empty path)" : resolved);
        return RowFactory.create(key, split, label, resolved);
    }

    /**
     * The rows ({@link #ROWS}) of a label file for a folder without class folders, ImageNet validation style: one
     * {@code <path> <label>} per line, separated by white space or a comma, paths relative to {@code folder}; empty
     * lines and lines starting with {@code #} are skipped. A label that is a whole number, when {@code classes} are
     * given and none of them has that name, is a 0-based index into them (Caffe's {@code val.txt}); an index out of
     * range stays as it is and is quarantined as an unknown class. A line without a label is quarantined as
     * {@code missing-label}.
     *
     * @param classes the sorted class names, or null (labels are names)
     * @throws IllegalStateException if the label file does not exist
     */
    static Dataset<Row> readLabelFile(SparkSession spark, String split, String uri, String folder,
                                      List<String> classes) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path labels = existing(uri, "preprocess.label-files." + split, hadoop);
        String base = HadoopFiles.fs(folder, hadoop).makeQualified(new Path(folder)).toString();
        List<String> names = classes == null ? null : List.copyOf(classes);
        JavaRDD<Row> rows = spark.read().textFile(labels.toString()).javaRDD()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .map(line -> {
                    String[] parts = line.split("[\\s,]+");
                    String label = parts.length < 2 ? "" : parts[parts.length - 1];
                    String path = parts.length < 2 ? line : line.substring(0, line.lastIndexOf(label)).strip()
                            .replaceAll(",$", "").strip();
                    if (names != null && label.matches("[0-9]{1,9}") && !names.contains(label)) {
                        int index = Integer.parseInt(label);
                        label = index < names.size() ? names.get(index) : label;
                    }
                    return row(split, base, path, label);
                });
        return spark.createDataFrame(rows, ROWS);
    }

    /**
     * Quarantine rows ({@code missing-label}) for the files of a labelled folder that its label file does not list.
     *
     * @param files the folder's image files, as {@link FolderWalk} rows (kind, split, qualified path, length)
     */
    static JavaRDD<Row> unlisted(SparkSession spark, String split, String folder, String labelFile,
                                 Dataset<Row> labelled, JavaRDD<Row> files, IngestJob.RecordProcessor processor) {
        String base = HadoopFiles.fs(folder, spark.sparkContext().hadoopConfiguration())
                .makeQualified(new Path(folder)).toString();
        StructType schema = new StructType().add("path", DataTypes.StringType, false)
                .add("length", DataTypes.LongType, false);
        return spark.createDataFrame(files.map(r -> RowFactory.create(r.getString(2), r.getLong(3))), schema)
                .join(labelled.select(col("path")), "path", "left_anti")
                .javaRDD()
                .map(r -> {
                    String path = r.getString(0);
                    String key = split + "/" + (path.startsWith(base + "/") ? path.substring(base.length() + 1) : path);
                    return processor.quarantine(key, split, "", path, r.getLong(1), "missing-label", null,
                            "not listed in " + labelFile);
                });
    }

    /**
     * The sorted distinct labels of the train manifest.
     *
     * @throws IllegalStateException if it has no labelled rows
     */
    static List<String> classes(Dataset<Row> train, String uri) {
        List<String> names = new ArrayList<>();
        for (Row r : train.select(col("class_name")).distinct().collectAsList()) {
            if (!r.getString(0).isEmpty()) {
                names.add(r.getString(0));
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("Cannot read preprocess.manifests.train: " + uri + " has no labelled rows");
        }
        names.sort(null);
        return names;
    }

    /**
     * Reads, decodes and encodes the listed files on the executors into processed rows ({@code IngestJob}'s
     * schema), with duplicate, conflicting, missing and unreadable listings as quarantine rows. Files are spread
     * over tasks of {@code partition-bytes / file-open-cost-bytes} files each (at least the default parallelism).
     */
    static JavaRDD<Row> process(SparkSession spark, Map<String, Dataset<Row>> manifests,
                                IngestJob.RecordProcessor processor, IngestConfig config) {
        Dataset<Row> all = null;
        for (Dataset<Row> m : manifests.values()) {
            all = all == null ? m : all.union(m);
        }
        WindowSpec byKey = Window.partitionBy(col("key"));
        Dataset<Row> marked = all
                .withColumn("listings", count(lit(1)).over(byKey))
                .withColumn("labels", size(collect_set(col("class_name")).over(byKey)))
                .withColumn("rank", row_number().over(byKey.orderBy(col("class_name"), col("path"))))
                .withColumn("in_train", array_contains(collect_set(col("input_split"))
                        .over(Window.partitionBy(col("path"))), ShardSchema.TRAIN));
        long rows = all.count();
        long filesPerTask = Math.max(1, config.partitionBytes() / Math.max(1, config.fileOpenCostBytes()));
        int tasks = (int) Math.max(spark.sparkContext().defaultParallelism(), (rows + filesPerTask - 1) / filesPerTask);
        return marked.repartition(tasks, col("key")).javaRDD()
                .mapPartitions(new ReadPartition(processor, RemoteFiles.of(spark)));
    }

    /** Executor side: reads listed files and hands them to the shared record processing. */
    static final class ReadPartition implements FlatMapFunction<Iterator<Row>, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final IngestJob.RecordProcessor processor;
        private final RemoteFiles files;

        ReadPartition(IngestJob.RecordProcessor processor, RemoteFiles files) {
            this.processor = processor;
            this.files = files;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return processor.map(rows, (r, decoder, encoder) -> read(r.getString(0), r.getString(1),
                    r.getString(2), r.getString(3), r.getLong(4), r.getInt(5), r.getInt(6), r.getBoolean(7),
                    decoder, encoder));
        }

        private Row read(String key, String split, String className, String path, long listings, int labels,
                         int rank, boolean inTrain, ImageDecoder decoder,
                         ImageEncoder encoder) {
            if (labels > 1) {
                return processor.quarantine(key, split, className, path, 0, "conflicting-labels", null,
                        "listed " + listings + " times with " + labels + " different labels");
            }
            if (rank > 1) {
                return processor.quarantine(key, split, className, path, 0, "duplicate-key", null,
                        "listed " + listings + " times; written once");
            }
            if (inTrain && !split.equals(ShardSchema.TRAIN) && !path.isEmpty() && !path.startsWith(INVALID)) {
                return processor.quarantine(key, split, className, path, 0, "also-in-train", null,
                        "the same file is listed in the train split; kept there only");
            }
            if (className.isEmpty()) {
                return processor.quarantine(key, split, className, path, 0, "missing-label", null,
                        "the manifest row has no label");
            }
            if (path.startsWith(INVALID)) {
                return processor.quarantine(key, split, className, path.substring(INVALID.length()), 0,
                        "invalid-path", null, "not a valid path or URI");
            }
            if (path.isEmpty()) {
                return processor.quarantine(key, split, className, path, 0, "missing-file", null,
                        "the manifest row has no path");
            }
            RemoteFiles.Content file = files.read(path);
            if (!file.ok()) {
                return processor.quarantine(key, split, className, path, file.size(), file.reason(),
                        file.exceptionClass(), file.message());
            }
            return processor.process(key, split, className, path, file.size(), file.bytes(), decoder, encoder);
        }
    }
}
