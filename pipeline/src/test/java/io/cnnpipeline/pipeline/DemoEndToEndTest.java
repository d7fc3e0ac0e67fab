package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.core.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's path on real data: Fashion-MNIST from Debian's dataset-fashion-mnist (installed by .ci/run) written out as
 * PNG class folders, then preprocess → train (2 workers, parameter averaging) → evaluate, on a subset.
 */
class DemoEndToEndTest {
    @Test
    void fashionMnistSubsetThroughAllThreeStages(@TempDir Path tmp) throws Exception {
        List<String> sets = List.of(
                "demo.images-dir=\"" + tmp.resolve("images") + "\"",
                "demo.train-limit=2500", "demo.test-limit=500",
                "preprocess.output=\"" + tmp.resolve("dataset") + "\"",
                "train.runs-dir=\"" + tmp.resolve("runs") + "\"", "train.run-id=demo",
                "train.epochs=1", "train.train-accuracy-sample=500");
        PipelineConfig config = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), sets);
        Demo.prepareImages(config);
        assertEquals(10, Files.list(tmp.resolve("images/train")).filter(Files::isDirectory).count());
        Pipeline.RunResult r = Pipeline.run(TestSpark.get(), config);

        assertEquals(3000, r.preprocess().manifest().inputCount());
        assertEquals(0, r.preprocess().manifest().quarantined());
        assertEquals(FashionMnist.CLASSES, r.preprocess().classes());
        assertEquals(1, r.preprocess().stats().channels());
        // Fashion-MNIST's pixel mean is about 0.286 and its standard deviation about 0.353.
        assertEquals(0.286, r.preprocess().stats().mean()[0], 0.02);
        assertEquals(0.353, r.preprocess().stats().std()[0], 0.02);

        assertEquals(1, r.train().epochs().size());
        assertTrue(Files.exists(tmp.resolve("runs/demo/model.zip")));
        EvaluationReport report = r.evaluate();
        assertEquals(500, report.images());
        assertEquals(41, report.viewsPerImage());
        double centre = 1 - report.modes().get("centre-crop").top1Error();
        assertTrue(centre > 0.5, "centre-crop accuracy after one epoch on 2,250 images: " + centre);
        assertTrue(Files.exists(tmp.resolve("runs/demo/evaluation/report.json")));

        // The report's pictures decode as PNGs of the asked width with more than a blank canvas on them.
        for (byte[] png : List.of(io.cnnpipeline.evaluation.EvaluationPlots.confusionHeatmap(report, "multi-scale", 640),
                io.cnnpipeline.evaluation.EvaluationPlots.accuracyByMode(report, 640))) {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
            assertEquals(640, image.getWidth());
            java.util.Set<Integer> colours = new java.util.HashSet<>();
            for (int y = 0; y < image.getHeight(); y += 4) {
                for (int x = 0; x < image.getWidth(); x += 4) {
                    colours.add(image.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 20, "a drawn chart: " + colours.size() + " colours");
        }
        if (System.getenv("CNN_PIPELINE_KEEP_PLOTS") != null) {
            Files.write(Path.of(System.getenv("CNN_PIPELINE_KEEP_PLOTS"), "confusion.png"),
                    io.cnnpipeline.evaluation.EvaluationPlots.confusionHeatmap(report, "multi-scale", 640));
            Files.write(Path.of(System.getenv("CNN_PIPELINE_KEEP_PLOTS"), "accuracy.png"),
                    io.cnnpipeline.evaluation.EvaluationPlots.accuracyByMode(report, 640));
        }

        // The model handle classifies the test images, as files, as the evaluation's centre crop did.
        io.cnnpipeline.model.TrainedModel model = io.cnnpipeline.model.TrainedModel.load(r.train().runDir());
        assertEquals(FashionMnist.CLASSES, model.classes());
        assertEquals(28, model.inputSize());
        java.util.List<io.cnnpipeline.image.UInt8Image> images = new java.util.ArrayList<>();
        java.util.List<Integer> labels = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.walk(tmp.resolve("images/test"))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                images.add(model.decode(f));
                labels.add(model.classes().indexOf(f.getParent().getFileName().toString()));
            }
        }
        assertEquals(500, images.size());
        java.util.List<io.cnnpipeline.model.TrainedModel.Prediction> predictions = model.predict(images);
        int correct = 0;
        for (int i = 0; i < images.size(); i++) {
            io.cnnpipeline.model.TrainedModel.Prediction p = predictions.get(i);
            assertEquals(5, p.top().size());
            assertEquals(1.0, java.util.Arrays.stream(p.probabilities()).sum(), 1e-3, "softmax");
            assertTrue(p.top().get(0).probability() >= p.top().get(1).probability());
            correct += p.best().index() == labels.get(i) ? 1 : 0;
        }
        // One forward pass of 500 against the evaluation's batches: allow one argmax to flip on a near-tie.
        assertEquals(centre * 500, correct, 1.0, "predict agrees with the evaluation's centre crop");
        // Alone or in a batch of 500: the same class, probabilities equal to float rounding.
        assertEquals(predictions.get(7).best().index(), model.predict(images.get(7)).best().index());
        assertEquals(predictions.get(7).best().probability(), model.predict(images.get(7)).best().probability(), 1e-5);

        predictMatchesTheEvaluation(sets, report, tmp);

        // Export to ONNX, verified in ONNX Runtime on the 500 test images; the model card records both.
        io.cnnpipeline.model.ModelExport.Result onnx = Pipeline.export(TestSpark.get(), config, "last", null, 500);
        assertEquals(500, onnx.verification().images());
        assertTrue(onnx.verification().within(1e-4), onnx.line());
        assertTrue(Files.size(tmp.resolve("runs/demo/model.onnx")) == onnx.bytes());
        String card = Files.readString(tmp.resolve("runs/demo/model-card.md"));
        assertTrue(card.contains("| model.zip | test | 500 |") && card.contains("- onnx: " + onnx.file()), card);
    }

    /**
     * {@code predict} on the test images as plain PNG files, in every crop mode, gives the evaluation's per-image
     * results: the confusion matrix of its top-1 classes against the class folders equals the report's; and predicting
     * the dataset's test split gives every file's prediction again.
     */
    private static void predictMatchesTheEvaluation(List<String> demo, EvaluationReport report, Path tmp) {
        org.apache.spark.sql.SparkSession spark = TestSpark.get();
        for (io.cnnpipeline.evaluation.CropPlan.Mode mode : io.cnnpipeline.evaluation.CropPlan.Mode.values()) {
            PipelineConfig config = with(demo, List.of("predict.input=\"" + tmp.resolve("images/test") + "\"",
                    "predict.crop-mode=" + mode.id(), "predict.top-k=3",
                    "predict.output=\"" + tmp.resolve("predictions-" + mode.id()) + "\""));
            io.cnnpipeline.model.PredictionSummary s = Pipeline.predict(spark, config);
            assertEquals(500, s.inputs());
            assertEquals(500, s.predicted());
            long[][] confusion = new long[10][10];
            for (org.apache.spark.sql.Row r : spark.read().parquet(tmp.resolve("predictions-" + mode.id())
                    .resolve("predictions").toString()).collectAsList()) {
                String key = r.getAs("key");
                int label = FashionMnist.CLASSES.indexOf(key.substring(0, key.indexOf('/')));
                confusion[label][r.<Integer>getList(r.fieldIndex("top_k_indices")).get(0)]++;
            }
            long[][] expected = report.modes().get(mode.id()).confusion();
            long differing = 0;
            for (int i = 0; i < 10; i++) {
                for (int j = 0; j < 10; j++) {
                    differing += Math.abs(confusion[i][j] - expected[i][j]);
                }
            }
            // Different batches (oneDNN sums in another order): allow one argmax to flip on a near-tie.
            assertTrue(differing <= 2, mode.id() + ": " + differing / 2 + " images differ from the evaluation");
        }
        PipelineConfig split = with(demo, List.of("predict.split=test", "predict.crop-mode=10-crop",
                "predict.output=\"" + tmp.resolve("predictions-split") + "\""));
        assertEquals(500, Pipeline.predict(spark, split).predicted());
        java.util.Map<String, org.apache.spark.sql.Row> byPath = new java.util.HashMap<>();
        for (org.apache.spark.sql.Row r : spark.read().parquet(tmp.resolve("predictions-10-crop/predictions")
                .toString()).collectAsList()) {
            byPath.put(r.getAs("path"), r);
        }
        int same = 0;
        for (org.apache.spark.sql.Row r : spark.read().parquet(tmp.resolve("predictions-split/predictions")
                .toString()).collectAsList()) {
            org.apache.spark.sql.Row file = byPath.get(r.<String>getAs("path"));
            assertTrue(file != null, "the record's source file was predicted: " + r.getAs("path"));
            assertEquals(file.<Double>getList(file.fieldIndex("top_k_probabilities")).get(0),
                    r.<Double>getList(r.fieldIndex("top_k_probabilities")).get(0), 1e-5);
            same += file.getList(file.fieldIndex("top_k_indices")).get(0)
                    .equals(r.getList(r.fieldIndex("top_k_indices")).get(0)) ? 1 : 0;
        }
        assertTrue(same >= 499, same + " of 500 records predicted as their files");
    }

    private static PipelineConfig with(List<String> sets, List<String> more) {
        List<String> all = new java.util.ArrayList<>(sets);
        all.addAll(more);
        return PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), all);
    }
}
