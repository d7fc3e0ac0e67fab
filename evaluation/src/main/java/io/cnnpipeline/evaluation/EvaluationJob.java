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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation Spark job: loads a trained model (DL4J {@code ModelSerializer} zip and its {@code model-meta.json})
 * and the test shards, computes every image's views ({@link CropPlan}) and the network's softmax outputs on the
 * executors, averages them per mode, and aggregates confusion matrices and top-k counts; only counts and the
 * {@code evaluate.mistakes} most confident wrong predictions of each task (with thumbnails) reach the driver, which
 * keeps the most confident of those. Writes {@code report.json}, {@code report.txt} and the page
 * {@code report.html} with its pictures ({@link EvaluationPage}) to the output directory (atomically, file by file).
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
        io.cnnpipeline.training.RunDirectory.ModelFiles files = io.cnnpipeline.training.RunDirectory.modelFiles(
                config.runDir(), config.model(), config.modelFile(), hadoop, "evaluate");
        Path modelPath = files.model();
        Path metaPath = files.meta();
        FileSystem modelFs = HadoopFiles.fs(modelPath.toString(), hadoop);
        FileSystem metaFs = HadoopFiles.fs(metaPath.toString(), hadoop);
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
        FileSystem outputFs = HadoopFiles.fs(config.output(), hadoop);
        HadoopFiles.requireWritable(outputFs, outputFs.makeQualified(new Path(config.output())), "the report");
        CropPlan plan = new CropPlan(config.cropSize(), config.centreScale(), config.scales());
        int classes = meta.classes().size();
        int topK = Math.min(5, classes);
        LOG.info("evaluate: {} on {} split {} ({} images), {} views per image", modelPath, dataset.uri(),
                config.split().id(), dataset.count(config.split().id()), plan.viewsPerImage());

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        byte[] modelBytes = HadoopFiles.read(modelFs, modelPath);
        io.cnnpipeline.model.TrainedModel.restore(modelBytes, modelPath.toString());   // a damaged zip stops here
        Broadcast<byte[]> model = jsc.broadcast(modelBytes);
        EvaluatePartition fn = new EvaluatePartition(model, plan, new Normalizer(meta.mean(), meta.std()), classes,
                topK, config.batchSize(), config.mistakes());
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
        List<byte[]> thumbnails = counts.mistakes.stream().map(EvaluationCounts.Mistake::png).toList();
        EvaluationPage.write(outFs, out, report, thumbnails, EvaluationConfig.builder().render(config),
                trainingRunLinks(outFs, runDir, out));
        LOG.info("evaluate: report written to {}", out);
        updateModelCard(modelFs, modelPath, report, config);
        return report;
    }

    /** Adds the results to the model card beside the model ({@code model-card.json/md}), when there is one. */
    private static void updateModelCard(FileSystem fs, Path modelPath, EvaluationReport report,
                                        EvaluationConfig config) {
        io.cnnpipeline.training.ModelCard card = io.cnnpipeline.training.ModelCard.read(fs, modelPath.getParent());
        if (card == null) {
            return;
        }
        Map<String, Double> top1 = new java.util.LinkedHashMap<>();
        Map<String, Double> top5 = new java.util.LinkedHashMap<>();
        report.modes().forEach((mode, r) -> {
            top1.put(mode, 1 - r.top1Error());
            top5.put(mode, 1 - r.topKError());
        });
        card.withEvaluation(new io.cnnpipeline.training.ModelCard.Evaluation(modelPath.getName(), report.dataset(),
                config.split().id(), report.images(), top1, top5, java.time.Instant.now().toString()))
                .write(fs, modelPath.getParent());
    }

    /**
     * The training run's files the page links to, as paths relative to the output directory, when the output is the
     * run's own {@code evaluation/} directory (a relative link elsewhere would break when the report is copied).
     */
    private static Map<String, String> trainingRunLinks(FileSystem fs, Path runDir, Path out) {
        Map<String, String> links = new java.util.LinkedHashMap<>();
        if (!out.equals(new Path(runDir, io.cnnpipeline.training.RunDirectory.EVALUATION))) {
            return links;
        }
        for (String[] file : new String[][] {{"report.html", "training report"},
            {io.cnnpipeline.training.RunDirectory.RESOLVED_CONFIG, "training configuration"},
            {io.cnnpipeline.training.RunDirectory.PROVENANCE, "training provenance"},
            {io.cnnpipeline.training.RunDirectory.MODEL_META, "model metadata"}}) {
            if (HadoopFiles.exists(fs, new Path(runDir, file[0]))) {
                links.put("../" + file[0], file[1]);
            }
        }
        return links;
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
        private final int keepMistakes;

        EvaluatePartition(Broadcast<byte[]> model, CropPlan plan, Normalizer normalizer, int classes, int topK,
                          int batchSize, int keepMistakes) {
            this.model = model;
            this.plan = plan;
            this.normalizer = normalizer;
            this.classes = classes;
            this.topK = topK;
            this.batchSize = batchSize;
            this.keepMistakes = keepMistakes;
        }

        @Override
        public Iterator<EvaluationCounts> call(Iterator<Row> rows) throws IOException {
            EvaluationCounts counts = new EvaluationCounts(classes, topK, keepMistakes);
            if (!rows.hasNext()) {
                return List.of(counts).iterator();
            }
            MostConfident mistakes = new MostConfident(keepMistakes);
            ViewScorer scorer = new ViewScorer(plan, normalizer, restore(model.value()));
            int views = plan.viewsPerImage();
            int imagesPerBatch = Math.max(1, batchSize / views);
            List<ShardRecord> chunk = new ArrayList<>(imagesPerBatch);
            while (rows.hasNext()) {
                chunk.add(ShardRecord.fromRow(rows.next()));
                if (chunk.size() == imagesPerBatch || !rows.hasNext()) {
                    evaluate(scorer, chunk, counts, mistakes);
                    chunk.clear();
                }
            }
            counts.keep(mistakes.encoded());
            return List.of(counts).iterator();
        }

        private void evaluate(ViewScorer scorer, List<ShardRecord> chunk, EvaluationCounts counts,
                              MostConfident mistakes) {
            List<UInt8Image> images = new ArrayList<>(chunk.size());
            for (ShardRecord record : chunk) {
                images.add(record.image());
            }
            List<CropPlan.Mode> modes = List.of(CropPlan.Mode.values());
            double[][][] scores = scorer.score(images, modes);
            for (int i = 0; i < chunk.size(); i++) {
                int label = chunk.get(i).label();
                for (int m = 0; m < modes.size(); m++) {
                    double[] mean = scores[i][m];
                    counts.add(modes.get(m), label, mean);
                    if (modes.get(m) == EvaluationReport.DETAIL_MODE) {
                        int predicted = EvaluationCounts.argmax(mean);
                        if (predicted != label) {
                            mistakes.offer(chunk.get(i), predicted, mean[predicted], mean[label]);
                        }
                    }
                }
                counts.images++;
            }
        }
    }

    /**
     * A task's most confident mistakes so far, at most {@code keep}: a heap whose head is the least confident kept,
     * holding thumbnails (PNG-encoded only at the end of the task, for the ones that stay).
     */
    static final class MostConfident {
        /** Thumbnails are at most this many pixels on their long side. */
        static final int THUMBNAIL_SIDE = 128;
        private final int keep;
        private final java.util.PriorityQueue<Candidate> heap;

        private record Candidate(EvaluationCounts.Mistake mistake, UInt8Image thumbnail) {
        }

        MostConfident(int keep) {
            this.keep = keep;
            this.heap = new java.util.PriorityQueue<>(Math.max(1, keep),
                    java.util.Comparator.comparing(Candidate::mistake, EvaluationCounts.Mistake.ORDER.reversed()));
        }

        void offer(ShardRecord record, int predicted, double probability, double labelProbability) {
            if (keep == 0) {
                return;
            }
            EvaluationCounts.Mistake m = new EvaluationCounts.Mistake(record.key(), record.label(), predicted,
                    probability, labelProbability, null);
            if (heap.size() == keep && EvaluationCounts.Mistake.ORDER.compare(m, heap.peek().mistake()) >= 0) {
                return;
            }
            heap.add(new Candidate(m, thumbnail(record.image())));
            if (heap.size() > keep) {
                heap.poll();
            }
        }

        List<EvaluationCounts.Mistake> encoded() {
            io.cnnpipeline.image.ImageEncoder png = new io.cnnpipeline.image.ImageEncoder(
                    io.cnnpipeline.dataset.ShardCodec.PNG, 90);
            List<EvaluationCounts.Mistake> out = new ArrayList<>(heap.size());
            for (Candidate c : heap) {
                EvaluationCounts.Mistake m = c.mistake();
                out.add(new EvaluationCounts.Mistake(m.key(), m.label(), m.predicted(), m.probability(),
                        m.labelProbability(), png.encode(c.thumbnail())));
            }
            return out;
        }

        /** The image, or shrunk so that its long side is {@link #THUMBNAIL_SIDE} pixels. */
        static UInt8Image thumbnail(UInt8Image image) {
            int longSide = Math.max(image.width(), image.height());
            if (longSide <= THUMBNAIL_SIDE) {
                return image;
            }
            return io.cnnpipeline.image.Resize.to(image,
                    Math.max(1, (int) Math.round((double) image.width() * THUMBNAIL_SIDE / longSide)),
                    Math.max(1, (int) Math.round((double) image.height() * THUMBNAIL_SIDE / longSide)));
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
