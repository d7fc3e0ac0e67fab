package io.cnnpipeline.evaluation;

import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import io.cnnpipeline.training.TrainableNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation Spark job: loads a trained model (DL4J {@code ModelSerializer} zip and its {@code model-meta.json})
 * and the test shards, computes every image's views ({@link CropPlan}) and the network's softmax outputs on the
 * executors, averages them per mode, and aggregates confusion matrices and top-k counts; only counts reach the
 * driver. Writes {@code report.json} and {@code report.txt} to the output directory (atomically, file by file).
 * Driver-side entry point.
 */
public final class EvaluationJob {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluationJob.class);

    /** {@code model-meta.json} fields the evaluation needs (the training module writes more). */
    record Meta(List<String> classes, int inputHeight, int inputWidth, int channels, double[] mean, double[] std) {
    }

    private EvaluationJob() {
    }

    /**
     * Runs the evaluation.
     *
     * @throws InvalidConfigException if the crop size does not match the model's input or the model's classes differ
     *                                from the dataset's
     * @throws IllegalStateException  if the model or dataset cannot be read
     */
    public static EvaluationReport run(SparkSession spark, EvaluationConfig config) {
        long start = System.nanoTime();
        io.cnnpipeline.core.Provenance provenance = io.cnnpipeline.core.Provenance.of(spark);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        DatasetDirectory dataset = DatasetDirectory.open(config.dataset(), hadoop);
        FileSystem fs = HadoopFiles.fs(config.runDir(), hadoop);
        Path runDir = fs.makeQualified(new Path(config.runDir()));
        Path modelPath;
        Path metaPath = new Path(runDir, io.cnnpipeline.training.RunDirectory.MODEL_META);
        if (config.modelFile() != null) {
            modelPath = new Path(runDir, config.modelFile());
        } else {
            FileSystem pathFs = HadoopFiles.fs(config.model(), hadoop);
            modelPath = pathFs.makeQualified(new Path(config.model()));
            Path beside = new Path(modelPath.getParent(), io.cnnpipeline.training.RunDirectory.MODEL_META);
            if (HadoopFiles.exists(pathFs, beside)) {
                metaPath = beside;
            }
        }
        FileSystem modelFs = HadoopFiles.fs(modelPath.toString(), hadoop);
        FileSystem metaFs = HadoopFiles.fs(metaPath.toString(), hadoop);
        if (!HadoopFiles.exists(modelFs, modelPath)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot evaluate run " + runDir + ": there is no "
                    + modelPath + " (evaluate.model = " + config.model() + (config.model().equals("best")
                    ? "; best-model.zip is written only when the dataset has a validation split)"
                    : "; has training finished?)"));
        }
        if (!HadoopFiles.exists(metaFs, metaPath)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot evaluate " + modelPath + ": there is no "
                    + metaPath + " (classes, input size and normalization of the model)");
        }
        Meta meta = readMeta(HadoopFiles.read(metaFs, metaPath));
        if (config.cropSize() == 0) {
            config = config.withCropSize(meta.inputHeight());
        }
        InvalidConfigException.require(config.cropSize() == meta.inputHeight() && config.cropSize() == meta.inputWidth(),
                "evaluate.crop-size", "must equal the model's input size " + meta.inputWidth() + "x"
                        + meta.inputHeight(), config.cropSize());
        for (int s : config.scales()) {
            InvalidConfigException.require(s >= config.cropSize(), "evaluate.scales",
                    "every scale must be >= the crop size " + config.cropSize(), config.scales());
        }
        if (!meta.classes().equals(dataset.classes())) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot evaluate " + modelPath + " on " + dataset.uri()
                    + ": the model's classes " + meta.classes() + " differ from the dataset's " + dataset.classes());
        }
        CropPlan plan = new CropPlan(config.cropSize(), config.centreScale(), config.scales());
        int classes = meta.classes().size();
        int topK = Math.min(5, classes);
        LOG.info("evaluate: {} on {} split {} ({} images), {} views per image", modelPath, dataset.uri(),
                config.split().id(), dataset.count(config.split().id()), plan.viewsPerImage());

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<byte[]> model = jsc.broadcast(HadoopFiles.read(modelFs, modelPath));
        EvaluatePartition fn = new EvaluatePartition(model, plan, new Normalizer(meta.mean(), meta.std()), classes,
                topK, config.batchSize());
        EvaluationCounts counts;
        try {
            counts = dataset.shards(spark, config.split().id(), 4 * jsc.defaultParallelism()).javaRDD().mapPartitions(fn)
                    .reduce(EvaluationCounts::merge);
        } finally {
            model.destroy();
        }
        EvaluationReport report = EvaluationReport.of(counts, config, modelPath.toString(), meta.classes(), plan,
                (System.nanoTime() - start) / 1e9, dataset.contentFingerprint(), provenance);

        FileSystem outFs = HadoopFiles.fs(config.output(), hadoop);
        Path out = outFs.makeQualified(new Path(config.output()));
        try {
            outFs.mkdirs(out);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + out, e);
        }
        HadoopFiles.writeAtomically(outFs, new Path(out, "report.json"), Json.toBytes(report));
        HadoopFiles.writeAtomically(outFs, new Path(out, "report.txt"),
                report.summary().getBytes(StandardCharsets.UTF_8));
        LOG.info("evaluate: report written to {}", out);
        return report;
    }

    private static Meta readMeta(byte[] bytes) {
        try {
            Map<?, ?> all = Json.MAPPER.readValue(bytes, Map.class);
            return Json.MAPPER.convertValue(Map.of(
                    "classes", all.get("classes"), "inputHeight", all.get("inputHeight"),
                    "inputWidth", all.get("inputWidth"), "channels", all.get("channels"),
                    "mean", all.get("mean"), "std", all.get("std")), Meta.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("Cannot parse model-meta.json: " + e.getMessage(), e);
        }
    }

    /** Executor side: one network per partition, views batched across images, counts out. */
    static final class EvaluatePartition implements FlatMapFunction<Iterator<Row>, EvaluationCounts> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> model;
        private final CropPlan plan;
        private final Normalizer normalizer;
        private final int classes;
        private final int topK;
        private final int batchSize;

        EvaluatePartition(Broadcast<byte[]> model, CropPlan plan, Normalizer normalizer, int classes, int topK,
                          int batchSize) {
            this.model = model;
            this.plan = plan;
            this.normalizer = normalizer;
            this.classes = classes;
            this.topK = topK;
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<EvaluationCounts> call(Iterator<Row> rows) throws IOException {
            EvaluationCounts counts = new EvaluationCounts(classes, topK);
            if (!rows.hasNext()) {
                return List.of(counts).iterator();
            }
            java.util.function.UnaryOperator<INDArray> net = restore(model.value());
            int views = plan.viewsPerImage();
            int imagesPerBatch = Math.max(1, batchSize / views);
            List<ShardRecord> chunk = new ArrayList<>(imagesPerBatch);
            while (rows.hasNext()) {
                chunk.add(ShardRecord.fromRow(rows.next()));
                if (chunk.size() == imagesPerBatch || !rows.hasNext()) {
                    evaluate(net, chunk, counts);
                    chunk.clear();
                }
            }
            return List.of(counts).iterator();
        }

        private void evaluate(java.util.function.UnaryOperator<INDArray> net, List<ShardRecord> chunk,
                              EvaluationCounts counts) {
            int c = normalizer.channels();
            int size = plan.cropSize();
            int chw = c * size * size;
            List<CropPlan.Views> views = new ArrayList<>(chunk.size());
            int total = 0;
            for (ShardRecord record : chunk) {
                CropPlan.Views v = plan.uniqueViews(record.image());
                views.add(v);
                total += v.unique().size();
            }
            float[] features = new float[total * chw];
            int[] offset = new int[chunk.size()];
            int row = 0;
            for (int i = 0; i < chunk.size(); i++) {
                offset[i] = row;
                for (UInt8Image view : views.get(i).unique()) {
                    normalizer.writeChw(view, features, row++ * chw);
                }
            }
            INDArray input = Nd4j.create(features, new long[] {total, c, size, size}, 'c');
            float[] probs = net.apply(input).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                    .dup('c').data().asFloat();
            for (int i = 0; i < chunk.size(); i++) {
                int[] index = views.get(i).index();
                for (CropPlan.Mode mode : CropPlan.Mode.values()) {
                    int[] range = plan.range(mode);
                    double[] mean = new double[classes];
                    for (int v = range[0]; v < range[1]; v++) {
                        int base = (offset[i] + index[v]) * classes;
                        for (int k = 0; k < classes; k++) {
                            mean[k] += probs[base + k];
                        }
                    }
                    counts.add(mode, chunk.get(i).label(), mean);
                }
                counts.images++;
            }
        }
    }

    /**
     * The inference function (NCHW float32 batch → class probabilities) of a DL4J ModelSerializer zip holding a
     * MultiLayerNetwork or a ComputationGraph with one input and one output, restored as the training module restores
     * its checkpoints ({@link TrainableNetwork#restore}, which also turns on the oneDNN/cuDNN layer helpers).
     *
     * @throws IOException if the bytes are not a DL4J model zip
     */
    static java.util.function.UnaryOperator<INDArray> restore(byte[] zip) throws IOException {
        return TrainableNetwork.restore(zip, false)::output;
    }
}
