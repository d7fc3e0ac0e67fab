package io.cnnpipeline.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.evaluation.CropPlan;
import io.cnnpipeline.evaluation.ViewScorer;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.ingest.ImagePreparation;
import io.cnnpipeline.ingest.FolderWalk;
import io.cnnpipeline.ingest.RemoteFiles;
import io.cnnpipeline.training.ModelMeta;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainableNetwork;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch inference as a Spark job ({@code cnn-pipeline predict}): a trained model applied to unlabelled images — the
 * files below a folder (any layout), the paths of a manifest, or a dataset split — at Spark scale.
 *
 * <p>Files are read on the executors through Hadoop's FileSystem and prepared exactly as the preprocess stage prepares
 * them ({@link ImagePreparation}: decode with EXIF orientation, short-side resize, optional centre crop), then scored
 * with the evaluation's views and averaging ({@link ViewScorer}, {@link CropPlan}) for the configured crop mode. A
 * file that cannot be read or decoded is quarantined with its reason, like the preprocess stage's:
 * {@code inputs = predicted + quarantined} is checked before anything is published. The model is broadcast once and
 * restored once per partition; only counts reach the driver.
 *
 * <p>Output directory (written to a staging directory and renamed into place, {@link HadoopFiles#publishDirectory}):
 * <ul>
 *   <li>{@code predictions/} — Parquet, one row per predicted image, sorted by key: {@code path} (URI of the file, or
 *       the record's source), {@code key} (path relative to {@code predict.input}, the manifest's line, or the
 *       dataset key), {@code top_k_indices} (int), {@code top_k_names}, {@code top_k_probabilities} (double, the mean
 *       softmax probability over the views, most probable first), and with the options {@code probabilities}
 *       (float, one per class) and {@code embedding} (float, the output layer's input averaged over the views);</li>
 *   <li>{@code quarantine/} — Parquet: {@code path}, {@code key}, {@code reason}, {@code exception_class},
 *       {@code message}, {@code size_bytes};</li>
 *   <li>{@code summary.json} — {@link PredictionSummary}.</li>
 * </ul>
 *
 * <p>Results do not depend on partitioning: each image's scores come from its own views only (to float rounding of
 * the batched forward pass; the top-k classes are the same).
 */
public final class PredictionJob {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionJob.class);
    /** Output subdirectory of the predictions. */
    public static final String PREDICTIONS = "predictions";
    /** Output subdirectory of the quarantined inputs. */
    public static final String QUARANTINE = "quarantine";
    /** Output file of the {@link PredictionSummary}. */
    public static final String SUMMARY = "summary.json";

    static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("key", DataTypes.StringType, false)
            .add("top_k_indices", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
            .add("top_k_names", DataTypes.createArrayType(DataTypes.StringType, false), true)
            .add("top_k_probabilities", DataTypes.createArrayType(DataTypes.DoubleType, false), true)
            .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("reason", DataTypes.StringType, true)
            .add("exception_class", DataTypes.StringType, true)
            .add("message", DataTypes.StringType, true)
            .add("size_bytes", DataTypes.LongType, false);

    private PredictionJob() {
    }

    /**
     * Runs batch inference.
     *
     * @param preparation how image files become images (the preprocess stage's settings; its channels are replaced by
     *                    the model's); not used for a dataset split, whose records are prepared already
     * @throws StageFailedException if the model, the input or the output location is not usable (before any Spark
     *                              work), or if the accounting identity fails (nothing published)
     */
    public static PredictionSummary run(SparkSession spark, PredictionConfig config, ImagePreparation preparation) {
        long start = System.nanoTime();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        RunDirectory.ModelFiles files = RunDirectory.modelFiles(config.runDir(), config.model(),
                config.modelFile(), hadoop, "predict");
        ModelMeta meta = Json.fromBytes(HadoopFiles.read(HadoopFiles.fs(files.meta().toString(), hadoop),
                files.meta()), ModelMeta.class);
        int classes = meta.classes().size();
        int topK = Math.min(config.topK(), classes);
        int crop = meta.inputHeight();
        for (int s : config.scales()) {
            io.cnnpipeline.core.InvalidConfigException.require(s >= crop, PredictionConfig.SCALES.name(),
                    "every scale must be >= the model's input size " + crop, config.scales());
        }
        io.cnnpipeline.core.InvalidConfigException.require(config.centreScale() == 0 || config.centreScale() >= crop,
                PredictionConfig.CENTRE_SCALE.name(), "must be 0 or >= the model's input size " + crop,
                config.centreScale());

        FileSystem outFs = HadoopFiles.fs(config.output(), hadoop);
        Path output = outFs.makeQualified(new Path(config.output()));
        if (HadoopFiles.exists(outFs, output) && !config.overwrite()) {
            throw new StageFailedException("Cannot write predictions to " + output
                    + ": it already exists (set predict.overwrite = true to replace it)");
        }
        HadoopFiles.requireWritable(outFs, output.getParent(), "the predictions");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Inputs inputs = inputs(spark, config, config.partitions() > 0 ? config.partitions()
                : 4 * jsc.defaultParallelism());
        LOG.info("predict: {} with {} views on {}", files.model(), config.cropMode().id(), inputs.description());

        byte[] modelBytes = HadoopFiles.read(HadoopFiles.fs(files.model().toString(), hadoop), files.model());
        TrainedModel.restore(modelBytes, files.model().toString());   // a damaged zip stops here, not in every task
        Broadcast<byte[]> model = jsc.broadcast(modelBytes);
        Path staging = new Path(output.getParent(), "." + output.getName() + ".staging-" + UUID.randomUUID());
        try {
            PredictPartition fn = new PredictPartition(model, new CropPlan(crop, config.centreScale(),
                    config.scales()), config.cropMode(), new Normalizer(meta.mean(), meta.std()), meta.classes(),
                    topK, config.batchSize(), config.probabilities(), config.embedding(),
                    preparation.withChannels(meta.channels()), inputs.fromDataset() ? null : RemoteFiles.of(spark));
            Dataset<Row> all = spark.createDataFrame(inputs.rows().mapPartitions(fn), SCHEMA)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            try {
                return publish(spark, config, all, files, meta, inputs, staging, output, start);
            } finally {
                all.unpersist();
            }
        } finally {
            model.destroy();
            inputs.release().run();
            HadoopFiles.deleteQuietly(outFs, staging);
        }
    }

    private static PredictionSummary publish(SparkSession spark, PredictionConfig config, Dataset<Row> all,
                                             RunDirectory.ModelFiles files, ModelMeta meta, Inputs inputs, Path staging,
                                             Path output, long start) {
        FileSystem fs = HadoopFiles.fs(output.toString(), spark.sparkContext().hadoopConfiguration());
        Dataset<Row> predicted = all.filter(col("reason").isNull());
        long count = predicted.count();
        int outFiles = config.files() > 0 ? config.files() : (int) Math.max(1, (count + 99_999) / 100_000);
        Dataset<Row> out = predicted.drop("reason", "exception_class", "message", "size_bytes");
        if (!config.probabilities()) {
            out = out.drop("probabilities");
        }
        if (!config.embedding()) {
            out = out.drop("embedding");
        }
        out.repartitionByRange(outFiles, col("key")).sortWithinPartitions(col("key"))
                .write().parquet(new Path(staging, PREDICTIONS).toString());
        all.filter(col("reason").isNotNull()).select("path", "key", "reason", "exception_class", "message",
                "size_bytes").orderBy(col("key")).coalesce(1).write().parquet(new Path(staging, QUARANTINE).toString());

        Map<String, Long> reasons = new TreeMap<>();
        for (Row r : all.filter(col("reason").isNotNull()).groupBy("reason").count().collectAsList()) {
            reasons.put(r.getString(0), r.getLong(1));
        }
        Map<String, Long> histogram = new LinkedHashMap<>();
        for (String c : meta.classes()) {
            histogram.put(c, 0L);
        }
        for (Row r : predicted.groupBy(element_at(col("top_k_names"), 1)).count().collectAsList()) {
            histogram.put(r.getString(0), r.getLong(1));
        }
        long quarantined = reasons.values().stream().mapToLong(Long::longValue).sum();
        long total = all.count();
        if (total != count + quarantined) {
            throw new StageFailedException(String.format(java.util.Locale.ROOT, "Cannot publish predictions to %s: "
                    + "inputs %d != predicted %d + quarantined %d", output, total, count, quarantined));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PredictionSummary summary = new PredictionSummary(files.model().toString(), meta.network(),
                inputs.description(), config.cropMode().id(), total, count, quarantined, reasons, histogram,
                seconds, count / seconds, output.toString(), io.cnnpipeline.core.BuildInfo.gitCommit(),
                java.time.Instant.now().toString());
        HadoopFiles.writeAtomically(fs, new Path(staging, SUMMARY), Json.toBytes(summary));
        try {
            HadoopFiles.publishDirectory(fs, staging, output, config.overwrite());
        } catch (IllegalStateException e) {
            throw new StageFailedException(e.getMessage() + " (set predict.overwrite = true to replace it)");
        }
        LOG.info("{}", summary.line());
        return summary;
    }

    /** The input rows ({@code path, key, size} or shard rows) and a description for logs and the summary. */
    private record Inputs(JavaRDD<Row> rows, boolean fromDataset, String description, Runnable release) {
        Inputs(JavaRDD<Row> rows, boolean fromDataset, String description) {
            this(rows, fromDataset, description, () -> { });
        }
    }

    private static Inputs inputs(SparkSession spark, PredictionConfig config, int partitions) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (!config.split().isEmpty()) {
            DatasetDirectory dataset = DatasetDirectory.open(config.dataset(), hadoop);
            if (!dataset.hasSplit(config.split())) {
                throw new StageFailedException("Cannot predict split " + config.split() + " of " + dataset.uri()
                        + ": the dataset has no such split");
            }
            JavaRDD<Row> records = dataset.shards(spark, config.split(), partitions).javaRDD();
            return new Inputs(config.partitions() > 0 ? records.repartition(partitions) : records, true,
                    "split " + config.split() + " of " + dataset.uri());
        }
        if (!config.input().isEmpty()) {
            FileSystem fs = HadoopFiles.fs(config.input(), hadoop);
            Path root = fs.makeQualified(new Path(config.input()));
            if (!HadoopFiles.exists(fs, root)) {
                throw new StageFailedException("Cannot read predict.input: " + root + " does not exist");
            }
            // Listed by the executors, folder by folder (FolderWalk): the driver never holds the list of files.
            JavaRDD<Row> walk = FolderWalk.walk(spark, Map.of("", root.toString()), config.extensions(), "");
            JavaRDD<Row> files = walk.filter(r -> FolderWalk.FILE.equals(r.getString(0)));
            long listed = files.count();
            if (listed == 0) {
                walk.unpersist(false);
                throw new StageFailedException("Cannot predict: no file with an extension of " + config.extensions()
                        + " below " + root + " (predict.extensions)");
            }
            String prefix = root.toString() + "/";
            int n = config.partitions() > 0 ? partitions
                    : (int) Math.max(partitions, Math.min(100_000, listed / 2_000));
            JavaRDD<Row> rows = files.map(r -> {
                String path = r.getString(2);
                String key = path.startsWith(prefix) ? path.substring(prefix.length()) : new Path(path).getName();
                return RowFactory.create(path, key, r.getLong(3));
            }).repartition(n);
            return new Inputs(rows, false, listed + " files below " + root, () -> walk.unpersist(false));
        }
        FileSystem fs = HadoopFiles.fs(config.manifest(), hadoop);
        Path manifest = fs.makeQualified(new Path(config.manifest()));
        if (!HadoopFiles.exists(fs, manifest)) {
            throw new StageFailedException("Cannot read predict.manifest: " + manifest + " does not exist");
        }
        String base = manifest.getParent().toString();
        boolean csv;
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(fs.open(manifest),
                StandardCharsets.UTF_8))) {
            String first = in.readLine();
            csv = first != null && List.of(first.split(",", -1)).stream().map(String::trim).anyMatch("path"::equals);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + manifest, e);
        }
        Dataset<Row> paths = csv
                ? spark.read().option("header", "true").csv(manifest.toString()).select(col("path"))
                : spark.read().text(manifest.toString()).select(col("value").as("path"));
        JavaRDD<Row> rows = paths.javaRDD().repartition(partitions).flatMap(r -> {
            String line = r.isNullAt(0) ? "" : r.getString(0).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                return java.util.Collections.emptyIterator();
            }
            String path;
            try {
                path = new Path(line).isAbsolute() || line.contains(":/") ? line : base + "/" + line;
            } catch (IllegalArgumentException e) {
                path = "";
            }
            return List.of(RowFactory.create(path, line, -1L)).iterator();
        });
        return new Inputs(rows, false, "paths listed in " + manifest);
    }

    /**
     * The network as one function of an NCHW batch: softmax probabilities [rows, classes], followed by the
     * penultimate activations (the output layer's input, flattened) when {@code embedding}.
     */
    static UnaryOperator<INDArray> outputs(TrainableNetwork network, boolean embedding) {
        if (!embedding) {
            return network::output;
        }
        Model m = network.model();
        if (m instanceof MultiLayerNetwork net) {
            return x -> {
                List<INDArray> activations = net.feedForward(x, false);
                return Nd4j.hstack(activations.get(activations.size() - 1).castTo(DataType.FLOAT),
                        flat(activations.get(activations.size() - 2)));
            };
        }
        ComputationGraph graph = (ComputationGraph) m;
        String out = graph.getConfiguration().getNetworkOutputs().get(0);
        String before = graph.getConfiguration().getVertexInputs().get(out).get(0);
        return x -> {
            Map<String, INDArray> activations = graph.feedForward(x, false);
            return Nd4j.hstack(activations.get(out).castTo(DataType.FLOAT), flat(activations.get(before)));
        };
    }

    private static INDArray flat(INDArray a) {
        return a.castTo(DataType.FLOAT).reshape('c', a.size(0), a.length() / a.size(0));
    }

    /** Executor side: reads, prepares and scores one partition's images; one network per partition. */
    static final class PredictPartition implements FlatMapFunction<Iterator<Row>, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> model;
        private final CropPlan plan;
        private final CropPlan.Mode mode;
        private final Normalizer normalizer;
        private final List<String> classes;
        private final int topK;
        private final int batchSize;
        private final boolean probabilities;
        private final boolean embedding;
        private final ImagePreparation preparation;
        /** Reads the input files; null for dataset records. */
        private final RemoteFiles files;

        PredictPartition(Broadcast<byte[]> model, CropPlan plan, CropPlan.Mode mode, Normalizer normalizer,
                         List<String> classes, int topK, int batchSize, boolean probabilities, boolean embedding,
                         ImagePreparation preparation, RemoteFiles files) {
            this.model = model;
            this.plan = plan;
            this.mode = mode;
            this.normalizer = normalizer;
            this.classes = List.copyOf(classes);
            this.topK = topK;
            this.batchSize = batchSize;
            this.probabilities = probabilities;
            this.embedding = embedding;
            this.preparation = preparation;
            this.files = files;
        }

        /** One input on its way: its identity, and its image or its quarantine row. */
        private record Item(String path, String key, long size, UInt8Image image, Row quarantined) {
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) throws IOException {
            if (!rows.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            ViewScorer scorer = new ViewScorer(plan, normalizer,
                    outputs(TrainableNetwork.restore(model.value(), false), embedding));
            ImageDecoder decoder = files == null ? null : preparation.decoder();
            int imagesPerBatch = Math.max(1, batchSize / scorer.viewsPerImage(List.of(mode)));
            List<Row> out = new ArrayList<>();
            List<Item> chunk = new ArrayList<>(imagesPerBatch);
            while (rows.hasNext()) {
                Row r = rows.next();
                Item item = files == null ? record(r) : read(r, decoder);
                if (item.quarantined() != null) {
                    out.add(item.quarantined());
                } else {
                    chunk.add(item);
                }
                if (chunk.size() == imagesPerBatch || (!rows.hasNext() && !chunk.isEmpty())) {
                    score(scorer, chunk, out);
                    chunk.clear();
                }
            }
            return out.iterator();
        }

        private static Item record(Row row) {
            ShardRecord r = ShardRecord.fromRow(row);
            String source = row.getAs(io.cnnpipeline.dataset.ShardSchema.SOURCE.name());
            return new Item(source == null ? r.key() : source, r.key(), 0, r.image(), null);
        }

        private Item read(Row row, ImageDecoder decoder) {
            String path = row.getString(0);
            String key = row.getString(1);
            if (path.isEmpty()) {
                return quarantine(key, key, Math.max(0, row.getLong(2)), "invalid-path", null,
                        "not a valid path or URI");
            }
            RemoteFiles.Content file = files.read(path);
            long size = file.size();
            if (!file.ok()) {
                return quarantine(path, key, size, file.reason(), file.exceptionClass(), file.message());
            }
            try {
                return new Item(path, key, size, preparation.prepare(file.bytes(), decoder), null);
            } catch (ImageDecodeException e) {
                return quarantine(path, key, size, e.reason(), e.exceptionClass(), e.getMessage());
            } catch (RuntimeException e) {
                return quarantine(path, key, size, "processing-failed", e.getClass().getName(),
                        String.valueOf(e.getMessage()));
            }
        }

        private static Item quarantine(String path, String key, long size, String reason, String exceptionClass,
                                       String message) {
            return new Item(path, key, size, null, RowFactory.create(path, key, null, null, null, null, null, reason,
                    exceptionClass, message, size));
        }

        private void score(ViewScorer scorer, List<Item> chunk, List<Row> out) {
            List<UInt8Image> images = new ArrayList<>(chunk.size());
            for (Item item : chunk) {
                images.add(item.image());
            }
            double[][][] scores = scorer.score(images, List.of(mode));
            int n = classes.size();
            for (int i = 0; i < chunk.size(); i++) {
                double[] s = scores[i][0];
                Integer[] order = new Integer[n];
                for (int k = 0; k < n; k++) {
                    order[k] = k;
                }
                java.util.Arrays.sort(order, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : a - b);
                int[] top = new int[topK];
                String[] names = new String[topK];
                double[] p = new double[topK];
                for (int k = 0; k < topK; k++) {
                    top[k] = order[k];
                    names[k] = classes.get(order[k]);
                    p[k] = s[order[k]];
                }
                float[] all = null;
                if (probabilities) {
                    all = new float[n];
                    for (int k = 0; k < n; k++) {
                        all[k] = (float) s[k];
                    }
                }
                float[] features = null;
                if (embedding) {
                    features = new float[s.length - n];
                    for (int k = n; k < s.length; k++) {
                        features[k - n] = (float) s[k];
                    }
                }
                Item item = chunk.get(i);
                out.add(RowFactory.create(item.path(), item.key(), ints(top), names, doubles(p), floats(all),
                        floats(features), null, null, null, item.size()));
            }
        }

        private static Integer[] ints(int[] v) {
            return java.util.Arrays.stream(v).boxed().toArray(Integer[]::new);
        }

        private static Double[] doubles(double[] v) {
            return java.util.Arrays.stream(v).boxed().toArray(Double[]::new);
        }

        private static Float[] floats(float[] v) {
            if (v == null) {
                return null;
            }
            Float[] out = new Float[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i];
            }
            return out;
        }
    }
}
