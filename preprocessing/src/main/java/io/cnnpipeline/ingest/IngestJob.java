package io.cnnpipeline.ingest;

import static org.apache.spark.sql.functions.bit_xor;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.cnnpipeline.image.ContactSheet;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.DatasetManifest;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.dataset.DatasetStatsJob;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.dataset.PixelMoments;
import io.cnnpipeline.core.Provenance;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.dataset.Split;
import io.cnnpipeline.image.TurboJpeg;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest Spark job: image files in class-per-folder layout on any Hadoop filesystem → a dataset directory of
 * Parquet shards ({@link ShardSchema}), {@code classes.json}, {@code stats.json}, a quarantine table and
 * {@code _manifest.json}.
 *
 * <p>The folders below the inputs are walked by a Spark job ({@link FolderWalk}: the driver lists one level of
 * folders, never the files), and the files are spread over tasks by a hash of their path, packed by bytes as Spark's
 * file sources pack them ({@code partition-bytes}, each file charged {@code file-open-cost-bytes}), then read,
 * decoded, resized and encoded on the executors; nothing but counts and statistics reaches the driver. Every input
 * is either written or quarantined with its reason, and the job checks {@code inputs = written + quarantined}
 * against the shards it wrote before publishing. The dataset is written into a hidden staging directory and
 * published by one rename, so a failed or killed job leaves nothing that reads as a dataset. Split assignment (train/validation) is a hash of (seed, key): the same in any partitioning.
 *
 * <p>Driver-side entry point.
 */
public final class IngestJob {
    private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

    /** Columns of the intermediate table: the shard row plus the outcome. */
    private static final String REASON = "reason";
    private static final String EXCEPTION_CLASS = "exception_class";
    private static final String MESSAGE = "message";
    private static final String SIZE_BYTES = "size_bytes";
    private static final String MOMENTS = "moments";

    static final StructType PROCESSED_SCHEMA;

    static {
        List<StructField> fields = new ArrayList<>();
        for (ShardSchema.Field f : ShardSchema.FIELDS) {
            fields.add(DataTypes.createStructField(f.name(), f.type(), true));
        }
        fields.add(DataTypes.createStructField(REASON, DataTypes.StringType, true));
        fields.add(DataTypes.createStructField(EXCEPTION_CLASS, DataTypes.StringType, true));
        fields.add(DataTypes.createStructField(MESSAGE, DataTypes.StringType, true));
        fields.add(DataTypes.createStructField(SIZE_BYTES, DataTypes.LongType, false));
        fields.add(DataTypes.createStructField(MOMENTS, DataTypes.createArrayType(DataTypes.LongType), true));
        PROCESSED_SCHEMA = new StructType(fields.toArray(new StructField[0]));
    }

    private IngestJob() {
    }

    /**
     * A row of {@link #PROCESSED_SCHEMA} from (field, value) pairs — a {@link ShardSchema.Field} or a column name of
     * the processing columns; the fields not given are null.
     */
    static Row row(Object[][] fieldValues) {
        Object[] values = new Object[PROCESSED_SCHEMA.size()];
        for (Object[] fv : fieldValues) {
            String name = fv[0] instanceof ShardSchema.Field f ? f.name() : (String) fv[0];
            values[PROCESSED_SCHEMA.fieldIndex(name)] = fv[1];
        }
        return RowFactory.create(values);
    }

    /** A quarantined input's row: its key, split, class folder, source, reason, exception class, message, size. */
    static Row quarantinedRow(String key, String split, String className, String source, String reason,
                              String exceptionClass, String message, long sizeBytes) {
        return row(new Object[][] {{ShardSchema.KEY, key}, {ShardSchema.SPLIT, split},
            {ShardSchema.LABEL_NAME, className}, {ShardSchema.SOURCE, source}, {REASON, reason},
            {EXCEPTION_CLASS, exceptionClass}, {MESSAGE, message}, {SIZE_BYTES, sizeBytes}});
    }

    /**
     * Runs the job: checks the output and the codec, resolves the inputs and the classes, decodes every input on the
     * executors (written or quarantined with a reason), and publishes the dataset directory — shards, quarantine,
     * classes, statistics, contact sheet and manifest, written to a staging directory and renamed into place once
     * {@code inputs = written + quarantined} holds.
     *
     * @throws io.cnnpipeline.core.StageFailedException if the output exists and overwrite is off, or an input does
     *                                                   not exist
     * @throws InvalidConfigException if the TurboJPEG codec is chosen but cannot be loaded
     * @throws IllegalStateException if the train input has no class folders, or the accounting identity does not hold
     * @throws UncheckedIOException  on filesystem errors
     */
    public static IngestResult run(SparkSession spark, IngestConfig config) {
        Ingest ingest = new Ingest(spark, config);
        ingest.checkOutputAndCodec();
        ingest.resolveInputs();
        try {
            return ingest.publish(ingest.process());
        } finally {
            ingest.cleanUp();
        }
    }

    /** One ingest's state, step by step (driver-side). */
    private static final class Ingest {
        final long start = System.nanoTime();
        final SparkSession spark;
        final IngestConfig config;
        final Configuration hadoop;
        final FileSystem outFs;
        final Path output;
        final Path staging;
        /** Split → class-folder root. */
        final Map<String, String> roots = new LinkedHashMap<>();
        /** Split → folder whose files a label file labels. */
        final Map<String, String> labelledFolders = new LinkedHashMap<>();
        /** Split → rows (key, split, label, path) of its manifest or label file. */
        final Map<String, Dataset<Row>> manifestRows = new LinkedHashMap<>();
        List<String> classes;
        Dataset<Row> processedRows;
        /** Every entry below the folder inputs ({@link FolderWalk}), persisted while the job runs. */
        JavaRDD<Row> walk;
        /** Entries below the folder inputs that are not inputs, by reason, and a sample of their paths. */
        final Map<String, Long> ignored = new TreeMap<>();
        final List<String> ignoredSample = new ArrayList<>();

        void noteIgnored(Listing listing) {
            listing.ignored().forEach((k, v) -> ignored.merge(k, v, Long::sum));
            for (String p : listing.sample()) {
                if (ignoredSample.size() < Listing.SAMPLE) {
                    ignoredSample.add(p);
                }
            }
        }

        Ingest(SparkSession spark, IngestConfig config) {
            this.spark = spark;
            this.config = config;
            this.hadoop = spark.sparkContext().hadoopConfiguration();
            this.outFs = HadoopFiles.fs(config.output(), hadoop);
            this.output = outFs.makeQualified(new Path(config.output()));
            this.staging = new Path(output.getParent(), "." + output.getName() + ".staging-" + UUID.randomUUID());
        }

        void checkOutputAndCodec() {
            if (HadoopFiles.exists(outFs, output) && !config.overwrite()) {
                throw new io.cnnpipeline.core.StageFailedException("Cannot write dataset " + output
                        + ": it already exists (set preprocess.overwrite = true to replace it)");
            }
            HadoopFiles.requireWritable(outFs, output.getParent(), "the dataset");
            if (config.jpegCodec() == IngestConfig.JpegCodec.TURBOJPEG) {
                try {
                    TurboJpeg.load(config.turbojpegJar());
                } catch (IllegalStateException e) {
                    throw new InvalidConfigException(IngestConfig.JPEG_CODEC.name(), e.getMessage(), "turbojpeg");
                }
            }
        }

        /** The class-folder roots, labelled folders and manifests of each split, and the classes (train's). */
        void resolveInputs() {
            for (Map.Entry<String, String> e : config.inputs().entrySet()) {
                FileSystem fs = HadoopFiles.fs(e.getValue(), hadoop);
                Path root = fs.makeQualified(new Path(e.getValue()));
                if (!HadoopFiles.exists(fs, root)) {
                    throw new io.cnnpipeline.core.StageFailedException("Cannot read " + IngestConfig.INPUTS.name() + "."
                            + e.getKey() + ": " + root + " does not exist");
                }
                roots.put(e.getKey(), root.toString());
            }
            // Folders with a label file are read like manifests; the rest are class-folder roots.
            for (String split : config.labelFiles().keySet()) {
                labelledFolders.put(split, roots.remove(split));
            }
            for (Map.Entry<String, String> e : config.manifests().entrySet()) {
                manifestRows.put(e.getKey(), Manifests.read(spark, e.getKey(), e.getValue(), config.manifestRoot()));
            }
            if (labelledFolders.containsKey(ShardSchema.TRAIN)) {
                manifestRows.put(ShardSchema.TRAIN, Manifests.readLabelFile(spark, ShardSchema.TRAIN,
                        config.labelFiles().get(ShardSchema.TRAIN), labelledFolders.get(ShardSchema.TRAIN), null));
            }
            String classSource = roots.containsKey(ShardSchema.TRAIN) ? roots.get(ShardSchema.TRAIN)
                    : config.manifests().getOrDefault(ShardSchema.TRAIN, config.labelFiles().get(ShardSchema.TRAIN));
            classes = roots.containsKey(ShardSchema.TRAIN)
                    ? listClasses(roots.get(ShardSchema.TRAIN), hadoop)
                    : Manifests.classes(manifestRows.get(ShardSchema.TRAIN), classSource);
            if (labelledFolders.containsKey(ShardSchema.TEST)) {
                manifestRows.put(ShardSchema.TEST, Manifests.readLabelFile(spark, ShardSchema.TEST,
                        config.labelFiles().get(ShardSchema.TEST), labelledFolders.get(ShardSchema.TEST), classes));
            }
            LOG.info("preprocess: {} classes in {}", classes.size(), classSource);
        }

        /**
         * Every input as one row of {@link #PROCESSED_SCHEMA} — decoded, or quarantined with its reason: folder files,
         * manifest and label-file rows, files a label file does not list, and empty files; persisted, and split by
         * class when {@code stratify-splits} is on.
         */
        Dataset<Row> process() {
            RecordProcessor processor = new RecordProcessor(config, classes);
            Map<String, String> folders = new LinkedHashMap<>(roots);
            folders.putAll(labelledFolders);
            walk = FolderWalk.walk(spark, folders, config.extensions(), config.pathGlob());
            noteIgnored(FolderWalk.ignored(walk));
            java.util.Set<String> classRoots = new java.util.HashSet<>(roots.keySet());
            JavaRDD<Row> files = walk.filter(r -> FolderWalk.FILE.equals(r.getString(0))
                    && classRoots.contains(r.getString(1)));
            JavaRDD<Row> processed = roots.isEmpty() ? spark.emptyDataFrame().javaRDD()
                    : byPath(files, config).mapPartitions(new DecodePartition(processor, roots, RemoteFiles.of(spark)));
            if (!manifestRows.isEmpty()) {
                processed = processed.union(Manifests.process(spark, manifestRows, processor, config));
            }
            for (Map.Entry<String, String> e : labelledFolders.entrySet()) {
                String split = e.getKey();
                processed = processed.union(Manifests.unlisted(spark, split, e.getValue(),
                        config.labelFiles().get(split), manifestRows.get(split),
                        walk.filter(r -> FolderWalk.FILE.equals(r.getString(0)) && split.equals(r.getString(1))),
                        processor));
            }
            processedRows = spark.createDataFrame(processed, PROCESSED_SCHEMA)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            return config.stratifySplits() ? stratify(processedRows, config) : processedRows;
        }

        /** Writes the dataset to the staging directory, checks the accounting identity, and renames it into place. */
        IngestResult publish(Dataset<Row> all) {
            try {
                Column ok = col(REASON).isNull();
                all.filter(col(REASON).isNotNull()).coalesce(1)
                        .select(col(ShardSchema.SOURCE.name()).as("source"), col(ShardSchema.SPLIT.name()).as("split"),
                                col(REASON).as("reason"), col(EXCEPTION_CLASS), col(MESSAGE), col(SIZE_BYTES))
                        .write().parquet(new Path(staging, ShardSchema.QUARANTINE_DIR).toString());

                // Counts per (split, class, outcome): small, collected to the driver.
                Map<String, Map<String, Long>> writtenPerClass = new TreeMap<>();
                Map<String, Long> quarantinedPerSplit = new TreeMap<>();
                Map<String, Long> imageBytesPerSplit = new TreeMap<>();
                Map<String, Map<String, Long>> contentHashPerClass = new TreeMap<>();
                long inputs = 0;
                for (Row r : all.groupBy(col(ShardSchema.SPLIT.name()), col(ShardSchema.LABEL_NAME.name()), ok.as("ok"))
                        .agg(count(lit(1)), sum(length(col(ShardSchema.IMAGE.name()))),
                                bit_xor(xxhash64(col(ShardSchema.KEY.name()), col(ShardSchema.LABEL.name()),
                                        col(ShardSchema.IMAGE.name())))).collectAsList()) {
                    String split = r.getString(0);
                    long n = r.getLong(3);
                    inputs += n;
                    if (r.getBoolean(2)) {
                        writtenPerClass.computeIfAbsent(split, k -> new TreeMap<>()).put(r.getString(1), n);
                        imageBytesPerSplit.merge(split, r.isNullAt(4) ? 0L : r.getLong(4), Long::sum);
                        contentHashPerClass.computeIfAbsent(split, k -> new TreeMap<>()).put(r.getString(1), r.getLong(5));
                    } else {
                        quarantinedPerSplit.merge(split, n, Long::sum);
                    }
                }

                Map<String, DatasetManifest.SplitCounts> splits = new LinkedHashMap<>();
                long written = 0;
                long quarantined = 0;
                for (String split : List.of(ShardSchema.TRAIN, ShardSchema.VALIDATION, ShardSchema.TEST)) {
                    Map<String, Long> perClass = writtenPerClass.getOrDefault(split, Map.of());
                    long expected = perClass.values().stream().mapToLong(Long::longValue).sum();
                    long q = quarantinedPerSplit.getOrDefault(split, 0L);
                    if (expected == 0 && q == 0 && !config.inputs().containsKey(split)) {
                        continue;
                    }
                    Path shardDir = new Path(new Path(staging, ShardSchema.SHARDS_DIR), split);
                    int shardFiles = shardFiles(expected, imageBytesPerSplit.getOrDefault(split, 0L), config);
                    Dataset<Row> rows = all.filter(ok.and(col(ShardSchema.SPLIT.name()).equalTo(split)));
                    (shardFiles > rows.rdd().getNumPartitions()
                            ? rows.repartition(shardFiles) : rows.coalesce(shardFiles))
                            .select(ShardSchema.FIELDS.stream().map(f -> col(f.name())).toArray(Column[]::new))
                            .write()
                            .option("maxRecordsPerFile", config.maxRecordsPerFile())
                            .option("parquet.block.size", config.rowGroupBytes())
                            .option("compression", "zstd")
                            .parquet(shardDir.toString());
                    long readBack = spark.read().parquet(shardDir.toString()).count();
                    if (readBack != expected) {
                        throw new IllegalStateException("Cannot publish dataset " + output + ": split " + split
                                + " has " + readBack + " rows in its shards but " + expected + " were decoded");
                    }
                    splits.put(split, new DatasetManifest.SplitCounts(readBack, q, perClass));
                    written += readBack;
                    quarantined += q;
                }
                Map<String, Long> reasons = new TreeMap<>();
                for (Row r : all.filter(col(REASON).isNotNull()).groupBy(col(REASON)).count().collectAsList()) {
                    reasons.put(r.getString(0), r.getLong(1));
                }
                long quarantineRows = spark.read().parquet(new Path(staging, ShardSchema.QUARANTINE_DIR).toString()).count();
                if (inputs != written + quarantined || quarantineRows != quarantined) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "Cannot publish dataset %s: inputs %d != "
                            + "written %d + quarantined %d (quarantine table has %d rows)", output, inputs, written,
                            quarantined, quarantineRows));
                }

                DatasetStats stats = trainStats(all, config.channels(), writtenPerClass.getOrDefault(ShardSchema.TRAIN, Map.of()));
                FileSystem stagingFs = staging.getFileSystem(hadoop);
                long shardBytes = stagingFs.getContentSummary(new Path(staging, ShardSchema.SHARDS_DIR)).getLength();
                DatasetManifest manifest = new DatasetManifest(ShardSchema.VERSION, Instant.now().toString(),
                        config.inputs(), inputs, written, quarantined, reasons, ignored, ignoredSample, splits,
                        config.channels(),
                        config.shortSide(),
                        config.codec().id(), shardBytes,
                        contentSha256(config, writtenPerClass, contentHashPerClass), config, provenance(spark));
                if (config.contactSheetSize() > 0) {
                    Dataset<Row> sample = spark.read().parquet(new Path(new Path(staging, ShardSchema.SHARDS_DIR),
                            ShardSchema.TRAIN).toString());
                    HadoopFiles.writeAtomically(stagingFs, new Path(staging, ContactSheet.FILE), ContactSheet.render(
                            sample, config.contactSheetSize(), 10, 96, config.seed()));
                }
                HadoopFiles.writeAtomically(stagingFs, new Path(staging, ShardSchema.CLASSES), Json.toBytes(classes));
                HadoopFiles.writeAtomically(stagingFs, new Path(staging, ShardSchema.STATS), Json.toBytes(stats));
                HadoopFiles.writeAtomically(stagingFs, new Path(staging, ShardSchema.MANIFEST), Json.toBytes(manifest));
                HadoopFiles.publishDirectory(outFs, staging, output, config.overwrite());
                IngestResult result = new IngestResult(output.toString(), manifest, classes, stats,
                        (System.nanoTime() - start) / 1e9);
                LOG.info(result.summary());
                return result;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot write dataset " + output + ": " + e.getMessage(), e);
            }
        }

        /** Removes what the job left (cached rows and listing, staging directory). */
        void cleanUp() {
            if (processedRows != null) {
                processedRows.unpersist();
            }
            if (walk != null) {
                walk.unpersist();
            }
            HadoopFiles.deleteQuietly(outFs, staging);
        }
    }

    /**
     * Shard files for a split: enough that no file has more than {@code max-records-per-file} rows nor, when
     * {@code shard-bytes} is set, more than about that many bytes of encoded images.
     */
    static int shardFiles(long rows, long imageBytes, IngestConfig config) {
        long byRows = (rows + config.maxRecordsPerFile() - 1) / config.maxRecordsPerFile();
        long byBytes = config.shardBytes() > 0 ? (imageBytes + config.shardBytes() - 1) / config.shardBytes() : 0;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.max(byRows, byBytes)));
    }

    /**
     * The listed files ({@link FolderWalk} rows) spread over tasks by a hash of their path and sorted by path within
     * each task, so that which task reads a file, and in what order, does not depend on how the listing was split.
     * Tasks are packed by bytes as Spark's file sources pack them: {@code partition-bytes} per task, each file
     * charged its length plus {@code file-open-cost-bytes}, and at least the default parallelism.
     */
    static JavaRDD<Row> byPath(JavaRDD<Row> files, IngestConfig config) {
        long openCost = config.fileOpenCostBytes();
        long charged = files.map(r -> r.getLong(3) + openCost).fold(0L, Long::sum);
        long partitionBytes = config.partitionBytes();
        int tasks = (int) Math.min(Integer.MAX_VALUE, Math.max(files.context().defaultParallelism(),
                (charged + partitionBytes - 1) / partitionBytes));
        return files.mapToPair(r -> new scala.Tuple2<>(r.getString(2), r))
                .repartitionAndSortWithinPartitions(new org.apache.spark.HashPartitioner(tasks))
                .values();
    }

    /**
     * Stratified split assignment: within each class, the written train-input rows ordered by their hash of
     * (seed, key) give the first round(validation-fraction × n) to validation and the next round(test-fraction × n)
     * to test. Only (class, hash) pairs are shuffled to find the per-class thresholds, which reach the driver (two
     * numbers per class); the rows themselves stay where they are.
     */
    static Dataset<Row> stratify(Dataset<Row> processed, IngestConfig config) {
        long seed = config.seed();
        UserDefinedFunction hash = udf((UDF1<String, Double>) key -> RandomStreams.unitInterval(seed,
                RandomStreams.SPLIT, key), DataTypes.DoubleType);
        Column eligible = col(REASON).isNull().and(col(ShardSchema.SPLIT.name()).equalTo(ShardSchema.TRAIN));
        WindowSpec byClass = Window.partitionBy(col("c"));
        Dataset<Row> ranked = processed.filter(eligible)
                .select(col(ShardSchema.LABEL_NAME.name()).as("c"), hash.apply(col(ShardSchema.KEY.name())).as("u"))
                .withColumn("rank", row_number().over(byClass.orderBy(col("u"))))
                .withColumn("n", count(lit(1)).over(byClass))
                .withColumn("kv", round(col("n").multiply(config.validationFraction())))
                .withColumn("kt", round(col("n").multiply(config.testFraction())));
        Map<String, double[]> thresholds = new HashMap<>();
        for (Row r : ranked.groupBy(col("c")).agg(
                max(when(col("rank").leq(col("kv")), col("u"))),
                max(when(col("rank").leq(col("kv").plus(col("kt"))), col("u")))).collectAsList()) {
            thresholds.put(r.getString(0), new double[] {r.isNullAt(1) ? -1 : r.getDouble(1),
                r.isNullAt(2) ? -1 : r.getDouble(2)});
        }
        UserDefinedFunction assign = udf((UDF2<String, String, String>) (className, key) -> {
            double[] t = thresholds.get(className);
            double u = RandomStreams.unitInterval(seed, RandomStreams.SPLIT, key);
            return t == null ? ShardSchema.TRAIN : u <= t[0] ? ShardSchema.VALIDATION
                    : u <= t[1] ? ShardSchema.TEST : ShardSchema.TRAIN;
        }, DataTypes.StringType);
        return processed.withColumn(ShardSchema.SPLIT.name(), when(eligible,
                assign.apply(col(ShardSchema.LABEL_NAME.name()), col(ShardSchema.KEY.name())))
                .otherwise(col(ShardSchema.SPLIT.name())));
    }

    /** Sorted names of the class folders directly under {@code root} (hidden and {@code _} folders skipped). */
    static List<String> listClasses(String root, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(root, hadoop);
        List<String> names = new ArrayList<>();
        try {
            for (FileStatus st : fs.listStatus(new Path(root))) {
                String name = st.getPath().getName();
                if (st.isDirectory() && !name.startsWith(".") && !name.startsWith("_")) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list classes under " + root + ": " + e.getMessage(), e);
        }
        if (names.isEmpty()) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot read preprocess.inputs.train: " + root
                    + " has no class folders (expected <root>/<class>/<image>)");
        }
        names.sort(null);
        return names;
    }

    /** The paths under {@code root} that match {@code glob} (relative to the root), or the root if glob is "". */
    static List<Path> globMatches(String root, String glob, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(root, hadoop);
        if (glob.isEmpty()) {
            return List.of(new Path(root));
        }
        try {
            FileStatus[] matches = fs.globStatus(new Path(new Path(root), glob));
            List<Path> paths = new ArrayList<>();
            for (FileStatus st : matches == null ? new FileStatus[0] : matches) {
                paths.add(st.getPath());
            }
            return paths;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root + "/" + glob + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a walk below an input root found: the image files to read and the entries it left out, by reason.
     *
     * @param files   qualified URI → length in bytes, of the files with a listed extension
     * @param ignored reason → entries left out: {@code hidden} (a file or folder whose name starts with {@code .} or
     *                {@code _}, as Spark's file sources skip them; a hidden folder counts once) and
     *                {@code not-an-image-extension}
     * @param sample  up to {@link #SAMPLE} ignored paths, in walk order
     */
    public record Listing(Map<String, Long> files, Map<String, Long> ignored, List<String> sample) {
        /** Ignored paths kept as a sample. */
        public static final int SAMPLE = 10;
    }

    /**
     * Walks {@code root} (the entries matching {@code glob}, "" = everything below it) with
     * {@code listStatusIterator}: {@code listFiles} builds LocatedFileStatus objects, which on the local filesystem
     * fork a shell per file to read permissions. Extensions compare in any letter case.
     *
     * @throws UncheckedIOException if a directory cannot be listed
     */
    public static Listing listing(String root, List<String> extensions, String glob, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(root, hadoop);
        Map<String, Long> files = new TreeMap<>();
        Map<String, Long> ignored = new TreeMap<>();
        List<String> sample = new ArrayList<>();
        java.util.function.BiConsumer<String, Path> ignore = (reason, path) -> {
            ignored.merge(reason, 1L, Long::sum);
            if (sample.size() < Listing.SAMPLE) {
                sample.add(fs.makeQualified(path).toString());
            }
        };
        java.util.ArrayDeque<Path> dirs = new java.util.ArrayDeque<>();
        try {
            for (Path match : globMatches(root, glob, hadoop)) {
                FileStatus st = fs.getFileStatus(match);
                if (st.isDirectory()) {
                    dirs.push(match);
                } else if (FolderWalk.hasExtension(match.getName(), extensions)) {
                    files.put(fs.makeQualified(match).toString(), st.getLen());
                } else {
                    ignore.accept(FolderWalk.NOT_AN_IMAGE, match);
                }
            }
            while (!dirs.isEmpty()) {
                org.apache.hadoop.fs.RemoteIterator<FileStatus> it = fs.listStatusIterator(dirs.pop());
                while (it.hasNext()) {
                    FileStatus st = it.next();
                    String name = st.getPath().getName();
                    if (FolderWalk.hidden(name)) {
                        ignore.accept(FolderWalk.HIDDEN, st.getPath());
                        continue;
                    }
                    if (st.isDirectory()) {
                        dirs.push(st.getPath());
                        continue;
                    }
                    if (FolderWalk.hasExtension(name, extensions)) {
                        files.put(fs.makeQualified(st.getPath()).toString(), st.getLen());
                    } else {
                        ignore.accept(FolderWalk.NOT_AN_IMAGE, st.getPath());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root + ": " + e.getMessage(), e);
        }
        return new Listing(files, ignored, sample);
    }

    private static DatasetStats trainStats(Dataset<Row> all, int channels, Map<String, Long> classCounts) {
        Dataset<Row> train = all.filter(col(REASON).isNull().and(col(ShardSchema.SPLIT.name()).equalTo(ShardSchema.TRAIN)));
        long[] zero = new long[PixelMoments.length(channels)];
        long[] moments = train.select(col(MOMENTS)).javaRDD()
                .map(r -> {
                    List<Long> list = r.getList(0);
                    long[] m = new long[list.size()];
                    for (int i = 0; i < m.length; i++) {
                        m[i] = list.get(i);
                    }
                    return m;
                })
                .fold(zero, (a, b) -> PixelMoments.add(a.clone(), b));
        Map<String, Long> sizes = DatasetStatsJob.imageSizes(train);
        long images = classCounts.values().stream().mapToLong(Long::longValue).sum();
        return DatasetStats.fromMoments(moments, channels, images, new TreeMap<>(classCounts), sizes);
    }

    /**
     * The dataset's content fingerprint ({@link DatasetManifest#contentSha256()}): SHA-256 of a text that lists, per
     * split and class in sorted order, the rows written and the XOR of the rows' 64-bit xxHash of (key, label, encoded
     * image). XOR makes it independent of row order and partitioning; keys are relative to the split inputs, so moving
     * the inputs elsewhere keeps it; any changed image, label, key or split assignment changes it.
     */
    static String contentSha256(IngestConfig config, Map<String, Map<String, Long>> writtenPerClass,
                                Map<String, Map<String, Long>> contentHashPerClass) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "cnn-pipeline dataset content v1\t%d\t%d\t%d\t%s%n",
                ShardSchema.VERSION, config.channels(), config.shortSide(), config.codec().id()));
        for (Map.Entry<String, Map<String, Long>> split : writtenPerClass.entrySet()) {
            for (Map.Entry<String, Long> cls : split.getValue().entrySet()) {
                text.append(String.format(Locale.ROOT, "%s\t%s\t%d\t%016x%n", split.getKey(), cls.getKey(),
                        cls.getValue(), contentHashPerClass.get(split.getKey()).get(cls.getKey())));
            }
        }
        return DatasetDirectory.sha256(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Map<String, String> provenance(SparkSession spark) {
        return Provenance.of(spark).asMap();
    }

    /**
     * Executor side: the per-record work shared by every input layout — validation split assignment by a hash of
     * (seed, key), class lookup, decode, resize, encode, pixel moments — with failures turned into quarantine rows.
     */
    static final class RecordProcessor implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        final IngestConfig config;
        private final ImagePreparation preparation;
        private final Map<String, Integer> classIndex;

        RecordProcessor(IngestConfig config, List<String> classes) {
            this.config = config;
            this.preparation = ImagePreparation.of(config);
            this.classIndex = new HashMap<>();
            for (int i = 0; i < classes.size(); i++) {
                classIndex.put(classes.get(i), i);
            }
        }

        /** What a partition function does with one input row, given the partition's decoder and encoder. */
        interface PerRow {
            Row apply(Row row, ImageDecoder decoder, ImageEncoder encoder);
        }

        /** Maps a partition's rows lazily, with one decoder and one encoder for the whole partition. */
        Iterator<Row> map(Iterator<Row> rows, PerRow f) {
            ImageDecoder decoder = decoder();
            ImageEncoder encoder = encoder();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    return f.apply(rows.next(), decoder, encoder);
                }
            };
        }

        ImageDecoder decoder() {
            return preparation.decoder();
        }

        ImageEncoder encoder() {
            return new ImageEncoder(config.codec(), config.jpegQuality(),
                    config.jpegCodec() == IngestConfig.JpegCodec.TURBOJPEG ? config.turbojpegJar() : null);
        }

        /**
         * The split a record of {@code inputSplit} lands in: train records may move to validation or test by their
         * own hash; with stratified splits they stay in train here and {@link IngestJob#stratify} assigns them.
         */
        String split(String inputSplit, String key) {
            if (inputSplit.equals(ShardSchema.TRAIN) && !config.stratifySplits()
                    && config.validationFraction() + config.testFraction() > 0) {
                double u = RandomStreams.unitInterval(config.seed(), RandomStreams.SPLIT, key);
                if (u < config.validationFraction()) {
                    return ShardSchema.VALIDATION;
                }
                if (u < config.validationFraction() + config.testFraction()) {
                    return ShardSchema.TEST;
                }
            }
            return inputSplit;
        }

        Row process(String key, String inputSplit, String className, String path, long size, byte[] content,
                    ImageDecoder decoder, ImageEncoder encoder) {
            String split = split(inputSplit, key);
            Integer label = classIndex.get(className);
            if (label == null) {
                return quarantine(key, inputSplit, className, path, size, "unknown-class", null,
                        "class '" + className + "' is not a class of the train input");
            }
            try {
                UInt8Image image = preparation.prepare(content, decoder);
                byte[] encoded = encoder.encode(image);
                // Stratified rows of the train input learn their split later; their moments are kept until then.
                long[] moments = split.equals(ShardSchema.TRAIN)
                        || (config.stratifySplits() && inputSplit.equals(ShardSchema.TRAIN))
                        ? PixelMoments.of(image) : null;
                return row(new Object[][] {{ShardSchema.KEY, key}, {ShardSchema.SPLIT, split},
                    {ShardSchema.LABEL, label}, {ShardSchema.LABEL_NAME, className},
                    {ShardSchema.HEIGHT, image.height()}, {ShardSchema.WIDTH, image.width()},
                    {ShardSchema.CHANNELS, image.channels()}, {ShardSchema.CODEC, config.codec().id()},
                    {ShardSchema.IMAGE, encoded}, {ShardSchema.SOURCE, path}, {SIZE_BYTES, size}, {MOMENTS, moments}});
            } catch (ImageDecodeException e) {
                return quarantine(key, inputSplit, className, path, size, e.reason(), e.exceptionClass(),
                        e.getMessage());
            } catch (RuntimeException e) {
                return quarantine(key, inputSplit, className, path, size, "processing-failed", e.getClass().getName(),
                        String.valueOf(e.getMessage()));
            }
        }

        Row quarantine(String key, String inputSplit, String className, String path, long size, String reason,
                       String exceptionClass, String message) {
            return quarantinedRow(key, split(inputSplit, key), className, path, reason, exceptionClass, message, size);
        }
    }

    /**
     * Executor side: one partition of listed class-folder files ({@link FolderWalk} rows: kind, input split, path,
     * length) read and turned into processed rows: empty files, files outside a class folder, files of a class the
     * train input does not have and unreadable files quarantined with their reason.
     */
    static final class DecodePartition implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;

        private final RecordProcessor processor;
        private final Map<String, String> roots;
        private final RemoteFiles files;

        DecodePartition(RecordProcessor processor, Map<String, String> roots, RemoteFiles files) {
            this.processor = processor;
            this.roots = new HashMap<>(roots);
            this.files = files;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return processor.map(rows, this::process);
        }

        private Row process(Row file, ImageDecoder decoder, ImageEncoder encoder) {
            String inputSplit = file.getString(1);
            String path = file.getString(2);
            long size = file.getLong(3);
            String root = roots.get(inputSplit);
            String relative = path.startsWith(root + "/") ? path.substring(root.length() + 1) : path;
            String key = inputSplit + "/" + relative;
            int slash = relative.indexOf('/');
            String className = slash > 0 ? relative.substring(0, slash) : "";
            if (size == 0) {
                return quarantinedRow(key, inputSplit, className, path, "empty-file", null, "file has 0 bytes", 0L);
            }
            if (slash <= 0) {
                return processor.quarantine(key, inputSplit, className, path, size, "no-class-folder",
                        null, "file is not inside a class folder of " + root);
            }
            if (processor.classIndex.get(className) == null) {
                return processor.quarantine(key, inputSplit, className, path, size, "unknown-class", null,
                        "class folder '" + className + "' does not exist in the train input");
            }
            RemoteFiles.Content content = files.read(path, size);
            if (!content.ok()) {
                return processor.quarantine(key, inputSplit, className, path, content.size(), content.reason(),
                        content.exceptionClass(), content.message());
            }
            return processor.process(key, inputSplit, className, path, content.size(), content.bytes(), decoder,
                    encoder);
        }
    }
}
