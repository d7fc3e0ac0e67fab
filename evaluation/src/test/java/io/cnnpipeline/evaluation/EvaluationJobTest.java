package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.ingest.IngestJob;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.image.UInt8Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class EvaluationJobTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static Path root;
    private static DatasetDirectory dataset;
    private static MultiLayerNetwork net;

    @BeforeAll
    static void datasetAndModel() throws Exception {
        root = Files.createTempDirectory("evaluation-test");
        TestImages.writeClassFolders(root.resolve("images/train"), 3, 6, 16, 1, 1);
        TestImages.writeClassFolders(root.resolve("images/test"), 3, 9, 18, 1, 2);
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("train", root.resolve("images/train").toString());
        inputs.put("test", root.resolve("images/test").toString());
        IngestJob.run(SPARK, new IngestConfig(inputs, Map.of(), "", root.resolve("dataset").toString(), 0, false, 1, ShardCodec.PNG, 90,
                1_000_000, 1000, 1 << 20, 128L << 20, 4096, 0, false, 42, List.of("png"), 0, io.cnnpipeline.ingest.IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false, 0L, Map.of(), "", true, 0L));
        dataset = DatasetDirectory.open(root.resolve("dataset").toString(), SPARK.sparkContext().hadoopConfiguration());
        // Any DL4J model saved with ModelSerializer plus model-meta.json is evaluable; a seeded untrained one suffices.
        net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(16, 16, 1)).build());
        net.init();
        Path run = Files.createDirectories(root.resolve("run"));
        ModelSerializer.writeModel(net, run.resolve("model.zip").toFile(), false);
        Files.write(run.resolve("model-meta.json"), Json.toBytes(Map.of("network", "test", "classes",
                dataset.classes(), "inputHeight", 16, "inputWidth", 16, "channels", 1,
                "mean", dataset.stats().mean(), "std", dataset.stats().std())));
    }

    private static EvaluationConfig config(int crop, int centre, List<Integer> scales) {
        return new EvaluationConfig(dataset.uri(), root.resolve("run").toString(), "last",
                root.resolve("report-" + crop + "-" + centre + "-" + scales.size()).toString(), io.cnnpipeline.dataset.Split.TEST, crop, centre,
                scales, 100, 5);
    }

    @Test
    void distributedResultsEqualAveragingTheViewsOnOneMachine() throws Exception {
        EvaluationConfig config = config(0, 0, List.of(16, 20));
        EvaluationReport report = EvaluationJob.run(SPARK, config);
        assertEquals(27, report.images());
        assertEquals(16, report.cropSize());
        CropPlan plan = new CropPlan(16, 0, List.of(16, 20));
        Normalizer normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
        EvaluationCounts expected = new EvaluationCounts(3, 3);
        List<EvaluationCounts.Mistake> wrong = new java.util.ArrayList<>();
        Map<String, UInt8Image> images = new java.util.HashMap<>();
        for (Row row : dataset.shards(SPARK, "test").collectAsList()) {
            ShardRecord r = ShardRecord.fromRow(row);
            List<UInt8Image> views = plan.views(r.image());
            float[] x = new float[views.size() * 256];
            for (int v = 0; v < views.size(); v++) {
                normalizer.writeChw(views.get(v), x, v * 256);
            }
            INDArray probs = net.output(Nd4j.create(x, new long[] {views.size(), 1, 16, 16}, 'c'));
            for (CropPlan.Mode mode : CropPlan.Mode.values()) {
                int[] range = plan.range(mode);
                double[] mean = new double[3];
                for (int v = range[0]; v < range[1]; v++) {
                    for (int k = 0; k < 3; k++) {
                        mean[k] += probs.getDouble(v, k);
                    }
                }
                expected.add(mode, r.label(), mean);
                int predicted = EvaluationCounts.argmax(mean);
                if (mode == EvaluationReport.DETAIL_MODE && predicted != r.label()) {
                    int n = range[1] - range[0];
                    wrong.add(new EvaluationCounts.Mistake(r.key(), r.label(), predicted, mean[predicted] / n,
                            mean[r.label()] / n, null));
                    images.put(r.key(), r.image());
                }
            }
        }
        for (CropPlan.Mode mode : CropPlan.Mode.values()) {
            long[][] actual = report.modes().get(mode.id()).confusion();
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(expected.confusion[mode.ordinal()][i], actual[i], mode.id() + " row " + i);
            }
        }
        assertEquals(0.0, report.modes().get("centre-crop").topKError(), "top-3 of 3 classes is always right");

        // The 5 most confident mistakes of all 27 images, whichever tasks found them, with their images beside the page.
        wrong.sort(EvaluationCounts.Mistake.ORDER);
        assertTrue(wrong.size() > 5, "an untrained network errs often: " + wrong.size());
        assertEquals(5, report.mistakes().size());
        for (int i = 0; i < 5; i++) {
            EvaluationCounts.Mistake want = wrong.get(i);
            EvaluationReport.Mistake got = report.mistakes().get(i);
            assertEquals(want.key(), got.key(), "mistake " + i);
            assertEquals(dataset.classes().get(want.label()), got.trueClass());
            assertEquals(dataset.classes().get(want.predicted()), got.predictedClass());
            assertEquals(want.probability(), got.probability(), 1e-5);
            assertEquals(want.labelProbability(), got.trueClassProbability(), 1e-5);
            assertTrue(got.probability() > got.trueClassProbability());
            java.awt.image.BufferedImage thumb = javax.imageio.ImageIO.read(
                    Path.of(config.output()).resolve(got.image()).toFile());
            UInt8Image stored = images.get(got.key());
            assertEquals(stored.width(), thumb.getWidth());
            for (int y = 0; y < stored.height(); y++) {
                for (int x = 0; x < stored.width(); x++) {
                    assertEquals(stored.get(x, y, 0), thumb.getRaster().getSample(x, y, 0), got.image());
                }
            }
        }
        assertTrue(report.mistakes().get(0).probability() >= report.mistakes().get(4).probability());
        String page = Files.readString(Path.of(config.output()).resolve("report.html"));
        assertTrue(page.contains("mistakes/005.png") && !page.contains("mistakes/006.png"), page);
        Path out = Path.of(config.output());
        EvaluationReport reread = Json.MAPPER.readValue(out.resolve("report.json").toFile(), EvaluationReport.class);
        assertEquals(report.modes().get("multi-scale").top1Error(), reread.modes().get("multi-scale").top1Error());
        String text = Files.readString(out.resolve("report.txt"));
        assertTrue(text.contains("multi-scale") && text.contains("confusion matrix"), text);
    }

    @Test
    void aCropSizeOtherThanTheModelInputIsRejectedWithItsKey() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> EvaluationJob.run(SPARK, config(12, 0, List.of(16))));
        assertEquals("evaluate.crop-size", e.key());
        assertTrue(e.getMessage().contains("must equal the model's input size 16x16"), e.getMessage());
        InvalidConfigException scales = assertThrows(InvalidConfigException.class,
                () -> config(16, 0, List.of(16, 8)));
        assertEquals("evaluate.scales", scales.key());
    }
}
