package io.cnnpipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.evaluation.CropPlan;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.ingest.ImagePreparation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Batch inference on real Spark and real files: the accounting identity with bad inputs, independence from
 * partitioning and from the input layout, the optional columns, the notebook path agreeing with the job, and config
 * errors before any work. (The comparison with the evaluation job on Fashion-MNIST is in the pipeline module's
 * DemoEndToEndTest, where the data and a trained model are.)
 */
class PredictionJobTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static Path root;
    private static final ImagePreparation PREPARATION = new ImagePreparation(1, 20, false, 1L << 26, null, false, 0);

    @BeforeAll
    static void imagesAndModel() throws Exception {
        root = Files.createTempDirectory("predict-test");
        // Nested class folders of 24 px images (prepared to short side 20), plus the odd ones out.
        TestImages.writeClassFolders(root.resolve("images/a"), 3, 7, 24, 1, 5);
        Files.createDirectories(root.resolve("images/b/deeper"));
        Files.write(root.resolve("images/b/deeper/Loose File.PNG"),
                Files.readAllBytes(root.resolve("images/a/class-1/img-000.png")));
        byte[] png = Files.readAllBytes(root.resolve("images/a/class-2/img-001.png"));
        Files.write(root.resolve("images/b/truncated.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Files.writeString(root.resolve("images/b/not-an-image.png"), "hello, I am text");
        Files.write(root.resolve("images/b/empty.png"), new byte[0]);
        Files.writeString(root.resolve("images/b/notes.txt"), "not listed: not an image extension");

        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(11).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(16, 16, 1)).build());
        net.init();
        Path run = Files.createDirectories(root.resolve("run"));
        ModelSerializer.writeModel(net, run.resolve("model.zip").toFile(), false);
        Files.write(run.resolve("model-meta.json"), Json.toBytes(Map.of("network", "test", "classes",
                List.of("class-0", "class-1", "class-2"), "inputHeight", 16, "inputWidth", 16, "channels", 1,
                "mean", new double[] {0.45}, "std", new double[] {0.3})));
    }

    private static PredictionConfig config(String input, String manifest, String output, CropPlan.Mode mode,
                                           int partitions, boolean extras) {
        return new PredictionConfig(input, manifest, root.resolve("no-dataset").toString(), "",
                root.resolve("run").toString(), "last", root.resolve(output).toString(), false, mode, 20,
                List.of(16, 22), 64, 2, extras, extras, List.of("png", "jpg"), 0, partitions);
    }

    /** key → row of an output's predictions. */
    private static Map<String, Row> read(String output) {
        Map<String, Row> rows = new HashMap<>();
        for (Row r : SPARK.read().parquet(root.resolve(output).resolve(PredictionJob.PREDICTIONS).toString())
                .collectAsList()) {
            rows.put(r.getAs("key"), r);
        }
        return rows;
    }

    @Test
    void everyInputIsPredictedOrQuarantinedWithItsReason() throws Exception {
        PredictionSummary s = PredictionJob.run(SPARK, config(root.resolve("images").toString(), "", "out-all",
                CropPlan.Mode.TEN_CROP, 0, false), PREPARATION);
        assertEquals(21 + 4, s.inputs(), "21 class-folder images, one loose image, 3 bad files; notes.txt ignored");
        assertEquals(22, s.predicted());
        assertEquals(3, s.quarantined());
        assertEquals(Map.of("corrupt", 1L, "empty-file", 1L, "unsupported-format", 1L), s.quarantineReasons());
        assertEquals(22, s.classHistogram().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(List.of("class-0", "class-1", "class-2"), List.copyOf(s.classHistogram().keySet()));

        Map<String, Row> rows = read("out-all");
        assertEquals(22, rows.size());
        Row loose = rows.get("b/deeper/Loose File.PNG");
        assertTrue(loose.<String>getAs("path").endsWith("/images/b/deeper/Loose%20File.PNG")
                || loose.<String>getAs("path").endsWith("/images/b/deeper/Loose File.PNG"), loose.toString());
        // The same bytes under another name: the same prediction.
        assertEquals(rows.get("a/class-1/img-000.png").getList(2), loose.getList(2));
        assertEquals(2, loose.getList(2).size());
        assertFalse(List.of(SPARK.read().parquet(root.resolve("out-all/predictions").toString()).columns())
                .contains("embedding"));

        List<Row> quarantine = SPARK.read().parquet(root.resolve("out-all").resolve(PredictionJob.QUARANTINE)
                .toString()).orderBy("key").collectAsList();
        assertEquals(List.of("b/empty.png", "b/not-an-image.png", "b/truncated.png"),
                quarantine.stream().map(r -> r.<String>getAs("key")).toList());
        assertEquals(List.of("empty-file", "unsupported-format", "corrupt"),
                quarantine.stream().map(r -> r.<String>getAs("reason")).toList());
        PredictionSummary written = Json.fromBytes(Files.readAllBytes(root.resolve("out-all")
                .resolve(PredictionJob.SUMMARY)), PredictionSummary.class);
        assertEquals(s.inputs(), written.inputs());
        assertEquals(s.classHistogram(), written.classHistogram());
        assertTrue(s.line().contains("25 inputs = 22 predicted + 3 quarantined"), s.line());

        // An existing output is not replaced unless asked, and nothing runs before saying so.
        StageFailedException e = assertThrows(StageFailedException.class, () -> PredictionJob.run(SPARK,
                config(root.resolve("images").toString(), "", "out-all", CropPlan.Mode.TEN_CROP, 0, false),
                PREPARATION));
        assertTrue(e.getMessage().contains("predict.overwrite"), e.getMessage());
    }

    @Test
    void partitioningAndInputLayoutDoNotChangeThePredictions() throws Exception {
        PredictionJob.run(SPARK, config(root.resolve("images/a").toString(), "", "out-p1", CropPlan.Mode.MULTI_SCALE,
                1, true), PREPARATION);
        PredictionJob.run(SPARK, config(root.resolve("images/a").toString(), "", "out-p7", CropPlan.Mode.MULTI_SCALE,
                7, true), PREPARATION);
        // A manifest of the same files, relative and absolute, plus one that is missing.
        List<String> lines = new ArrayList<>(List.of("# images of class 0 and 2", ""));
        for (int i = 0; i < 7; i++) {
            lines.add(String.format("a/class-0/img-%03d.png", i));
            lines.add(root.resolve(String.format("images/a/class-2/img-%03d.png", i)).toString());
        }
        lines.add("a/class-0/missing.png");
        Files.write(root.resolve("images/manifest.txt"), lines);
        PredictionSummary m = PredictionJob.run(SPARK, config("", root.resolve("images/manifest.txt").toString(),
                "out-manifest", CropPlan.Mode.MULTI_SCALE, 3, true), PREPARATION);
        assertEquals(15, m.inputs());
        assertEquals(Map.of("missing-file", 1L), m.quarantineReasons());

        Map<String, Row> one = read("out-p1");
        Map<String, Row> seven = read("out-p7");
        Map<String, Row> manifest = read("out-manifest");
        assertEquals(21, one.size());
        assertEquals(one.keySet(), seven.keySet());
        assertTrue(one.values().stream().map(r -> r.getList(4)).distinct().count() > 15,
                "images get their own scores (a comparison of equal constants would prove nothing)");
        for (String key : one.keySet()) {
            Row a = one.get(key);
            Row b = seven.get(key);
            assertEquals(a.getList(2), b.getList(2), key);
            assertClose(a.getList(4), b.getList(4), 1e-5, key);
            assertClose(a.getList(5), b.getList(5), 1e-5, key);
            assertClose(a.getList(6), b.getList(6), 1e-5, key);
            String relative = key.startsWith("a/class-0/") ? key
                    : key.startsWith("a/class-2/") ? root.resolve("images").resolve(key).toString() : null;
            if (relative != null) {
                Row c = manifest.get(relative);
                assertEquals(a.getList(2), c.getList(2), key);
                assertClose(a.getList(4), c.getList(4), 1e-5, key);
            }
        }
        Row any = one.values().iterator().next();
        List<Float> probabilities = any.getList(5);
        assertEquals(3, probabilities.size());
        assertEquals(1.0, probabilities.stream().mapToDouble(Float::doubleValue).sum(), 1e-4);
        assertEquals(probabilities.get(any.<Integer>getList(2).get(0)), any.<Double>getList(4).get(0), 1e-6);
        assertEquals(6, any.getList(6).size(), "the dense layer's 6 activations");
    }

    @Test
    void theNotebookHandleAgreesWithTheJob() throws Exception {
        PredictionJob.run(SPARK, config(root.resolve("images/a/class-1").toString(), "", "out-nb",
                CropPlan.Mode.TEN_CROP, 0, false), PREPARATION);
        Map<String, Row> rows = read("out-nb");
        TrainedModel model = TrainedModel.load(root.resolve("run").toString()).withCentreScale(20)
                .withCropMode(CropPlan.Mode.TEN_CROP, List.of(16));
        for (int i = 0; i < 7; i++) {
            String name = String.format("img-%03d.png", i);
            UInt8Image image = PREPARATION.prepare(Files.readAllBytes(root.resolve("images/a/class-1/" + name)),
                    PREPARATION.decoder());
            TrainedModel.Prediction p = model.predict(List.of(image), 2).get(0);
            Row r = rows.get(name);
            assertEquals(r.<Integer>getList(2), p.top().stream().map(TrainedModel.ClassScore::index).toList());
            assertEquals(r.<Double>getList(4).get(0), p.best().probability(), 1e-5);
        }
    }

    @Test
    void settingsAreCheckedBeforeAnyWork() throws Exception {
        InvalidConfigException none = assertThrows(InvalidConfigException.class, () -> config("", "", "out-x",
                CropPlan.Mode.CENTRE, 0, false));
        assertEquals("predict.input", none.key());
        InvalidConfigException two = assertThrows(InvalidConfigException.class, () -> config("a", "b", "out-x",
                CropPlan.Mode.CENTRE, 0, false));
        assertTrue(two.getMessage().contains("exactly one"), two.getMessage());
        PredictionConfig smallScale = new PredictionConfig(root.resolve("images").toString(), "", "d", "",
                root.resolve("run").toString(), "last", root.resolve("out-y").toString(), false,
                CropPlan.Mode.MULTI_SCALE, 20, List.of(12), 64, 2, false, false, List.of("png"), 0, 0);
        InvalidConfigException scale = assertThrows(InvalidConfigException.class,
                () -> PredictionJob.run(SPARK, smallScale, PREPARATION));
        assertEquals("predict.scales", scale.key());
        assertFalse(Files.exists(root.resolve("out-y")));
        StageFailedException noModel = assertThrows(StageFailedException.class, () -> PredictionJob.run(SPARK,
                new PredictionConfig(root.resolve("images").toString(), "", "d", "", root.resolve("no-run").toString(),
                        "last", root.resolve("out-z").toString(), false, CropPlan.Mode.CENTRE, 20, List.of(16), 64,
                        2, false, false, List.of("png"), 0, 0), PREPARATION));
        assertTrue(noModel.getMessage().contains("model.zip"), noModel.getMessage());

        // A truncated model.zip: one message naming it, before any task.
        java.nio.file.Path damaged = root.resolve("damaged-run");
        Files.createDirectories(damaged);
        byte[] zip = Files.readAllBytes(root.resolve("run/model.zip"));
        Files.write(damaged.resolve("model.zip"), java.util.Arrays.copyOf(zip, zip.length / 2));
        Files.copy(root.resolve("run/model-meta.json"), damaged.resolve("model-meta.json"));
        StageFailedException truncated = assertThrows(StageFailedException.class, () -> PredictionJob.run(SPARK,
                new PredictionConfig(root.resolve("images").toString(), "", "d", "", damaged.toString(), "last",
                        root.resolve("out-t").toString(), false, CropPlan.Mode.CENTRE, 20, List.of(16), 64, 2, false,
                        false, List.of("png"), 0, 0), PREPARATION));
        assertTrue(truncated.getMessage().startsWith("Cannot read model ") && truncated.getMessage()
                .contains("damaged-run/model.zip: it is not a readable DL4J model zip"), truncated.getMessage());
        assertThrows(StageFailedException.class, () -> TrainedModel.load(damaged.toString()));
        assertFalse(Files.exists(root.resolve("out-t")));
    }

    private static void assertClose(List<? extends Number> a, List<? extends Number> b, double tolerance,
                                    String what) {
        assertEquals(a.size(), b.size(), what);
        double[] x = a.stream().mapToDouble(Number::doubleValue).toArray();
        double[] y = b.stream().mapToDouble(Number::doubleValue).toArray();
        assertArrayEquals(x, y, tolerance, what);
    }
}
