package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.PadCrop;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.TestSpark;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingJobTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final AugmentationPipeline AUG = new AugmentationPipeline(16, List.of(
            new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true), 0.5)));

    @Test
    void trainsAndWritesACompleteRunDirectory(@TempDir Path runs) throws Exception {
        TrainingConfig config = TrainingFixtures.config(runs.toString(), "r1", "adam", 0.001, 3, 2, 8, 2, "direct",
                AUG);
        TrainResult result = TrainingJob.run(SPARK, config, "train { epochs = 3 }\n");
        Path run = runs.resolve("r1");
        assertEquals(Set.of("config.resolved.conf", "provenance.json", "metrics.jsonl", "rounds.jsonl", "model.zip",
                "model-meta.json", "model-card.json", "model-card.md", "checkpoints", "best-model.zip", "report.html",
                "plots"), names(run));
        ModelCard card = io.cnnpipeline.core.Json.fromBytes(Files.readAllBytes(run.resolve("model-card.json")),
                ModelCard.class);
        assertEquals(3, card.epochs());
        assertEquals(TrainableNetwork.restore(Files.readAllBytes(run.resolve("model.zip")), false).numParams(),
                card.parameters());
        assertEquals("NCHW", card.input().layout());
        assertEquals(io.cnnpipeline.dataset.DatasetDirectory.sha256("train { epochs = 3 }\n".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), card.trainingConfigSha256());
        assertTrue(card.datasetContentSha256() != null && card.evaluations().isEmpty(), card.toString());
        assertTrue(Files.readString(run.resolve("model-card.md")).contains("Not evaluated yet"));
        assertEquals(Set.of("loss.png", "loss-per-round.png", "accuracy.png", "learning-rate.png",
                "images-per-second.png"), names(run.resolve("plots")));
        java.awt.image.BufferedImage plot = javax.imageio.ImageIO.read(run.resolve("plots/accuracy.png").toFile());
        assertEquals(640, plot.getWidth());
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("<img src=\"plots/loss.png\"") && html.contains("<td>3</td>"), html);
        assertEquals("train { epochs = 3 }\n", Files.readString(run.resolve("config.resolved.conf")));

        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        for (int i = 0; i < 3; i++) {
            JsonNode m = Json.MAPPER.readTree(lines.get(i));
            assertEquals(i + 1, m.get("epoch").asInt());
            assertTrue(Double.isFinite(m.get("loss").asDouble()));
            assertTrue(m.get("imagesPerSecond").asDouble() > 0);
            assertEquals(0.001, m.get("learningRate").asDouble(), 0);
        }
        // Per averaging round: rounds 1..R of each epoch, the iteration advancing by the averaging frequency (2), and
        // the epoch's loss is its last round's.
        List<JsonNode> rounds = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("rounds.jsonl"))) {
            rounds.add(Json.MAPPER.readTree(line));
        }
        int iteration = 0;
        for (int epoch = 1; epoch <= 3; epoch++) {
            int e = epoch;
            List<JsonNode> ofEpoch = rounds.stream().filter(r -> r.get("epoch").asInt() == e).toList();
            assertTrue(ofEpoch.size() >= 2, "rounds of epoch " + epoch + ": " + ofEpoch);
            for (int r = 0; r < ofEpoch.size(); r++) {
                assertEquals(r + 1, ofEpoch.get(r).get("round").asInt());
                assertEquals(ofEpoch.size(), ofEpoch.get(r).get("rounds").asInt());
                iteration += 2;
                assertEquals(iteration, ofEpoch.get(r).get("iteration").asInt());
            }
            assertEquals(Json.MAPPER.readTree(lines.get(epoch - 1)).get("loss").asDouble(),
                    ofEpoch.get(ofEpoch.size() - 1).get("loss").asDouble(), 0.0);
        }
        assertTrue(html.contains("<img src=\"plots/loss-per-round.png\"")
                && html.contains("<a href=\"evaluation/report.html\">"), html);

        // Three easy synthetic classes: far better than chance (1/3) after three epochs.
        assertTrue(result.last().validationAccuracy() > 0.8, "validation accuracy " + result.last().validationAccuracy());
        assertTrue(result.last().trainAccuracy() > 0.8, "train accuracy " + result.last().trainAccuracy());
        assertTrue(result.epochs().get(2).loss() < result.epochs().get(0).loss() * 1.5);

        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), true);
        assertEquals(3, net.output(org.nd4j.linalg.factory.Nd4j.zeros(1, 1, 16, 16)).columns());
        JsonNode meta = Json.MAPPER.readTree(run.resolve("model-meta.json").toFile());
        assertEquals(List.of("class-0", "class-1", "class-2"),
                Json.MAPPER.convertValue(meta.get("classes"), List.class));
        assertEquals(16, meta.get("inputHeight").asInt());
        JsonNode provenance = Json.MAPPER.readTree(run.resolve("provenance.json").toFile());
        assertEquals(42, provenance.get("seed").asLong());
        assertEquals(64, provenance.get("datasetManifestSha256").asText().length());

        IllegalStateException again = assertThrows(IllegalStateException.class,
                () -> TrainingJob.run(SPARK, config, ""));
        assertTrue(again.getMessage().contains("already exists (choose another train.run-id"), again.getMessage());
    }

    @Test
    void exportApproachLeavesNoExportedDataSetsBehindAndWritesTrainingStats(@TempDir Path runs) throws Exception {
        File dl4jTmp = new File(System.getProperty("java.io.tmpdir"), "hadoop-" + System.getProperty("user.name")
                + "/dl4j");
        Set<String> before = listing(dl4jTmp);
        TrainingConfig config = TrainingFixtures.config(runs.toString(), "export", "nesterov", 0.01, 1, 2, 8, 1,
                "export", AUG, true);
        TrainResult result = TrainingJob.run(SPARK, config, "");
        String html = Files.readString(runs.resolve("export/training-stats.html"));
        assertTrue(html.contains("<html") && html.length() > 10_000, "training-stats.html: " + html.length() + " chars");
        assertEquals(1, result.epochs().size());
        assertFalse(Files.exists(runs.resolve("export/.export")), "exported minibatches must be deleted");
        assertEquals(before, listing(dl4jTmp), "nothing may be exported under " + dl4jTmp);
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList());
        }
    }

    private static Set<String> listing(File dir) throws Exception {
        if (!dir.exists()) {
            return Set.of();
        }
        try (Stream<Path> s = Files.walk(dir.toPath())) {
            return new TreeSet<>(s.map(Path::toString).toList());
        }
    }

    @Test
    void theSameSeedTrainsTheSameModelBitForBit(@TempDir Path runs) throws Exception {
        // dl4j-spark's default balanced repartitioning shuffles minibatches before every averaging round, and a
        // shuffle's read order is not deterministic: runs then differed from the second epoch on. The minibatch RDD
        // is built with one partition per worker and handed over as it is.
        float[][] params = new float[2][];
        List<List<String>> metrics = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            TrainingConfig config = TrainingFixtures.config(runs.toString(), "same-" + run, "adam", 0.005, 3, 2, 8, 2,
                    "direct", AUG);
            TrainingJob.run(SPARK, config, "");
            MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(
                    runs.resolve("same-" + run).resolve("model.zip").toFile(), true);
            params[run] = net.params().dup('c').data().asFloat();
            List<String> lines = new java.util.ArrayList<>();
            for (String line : Files.readAllLines(runs.resolve("same-" + run).resolve("metrics.jsonl"))) {
                JsonNode m = Json.MAPPER.readTree(line);
                lines.add(m.get("loss") + " " + m.get("trainAccuracy") + " " + m.get("validationAccuracy"));
            }
            metrics.add(lines);
        }
        assertEquals(metrics.get(0), metrics.get(1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(params[0], params[1]);
    }

    @Test
    void theWorkersTrainWithTheScheduledLearningRate(@TempDir Path runs) throws Exception {
        // Plain SGD, so that a rate of ~0 means no change. Epoch 1 is the same in all three runs (same seed, same
        // rate); after a step to 1e-9 x the rate at epoch 1, epoch 2 must leave the parameters where epoch 1 left
        // them, while a constant rate keeps moving them.
        LearningRateSchedule stepToZero = new LearningRateSchedule(LearningRateSchedule.Type.STEP, List.of(1.0), 1e-9, 1, 0, 0, 0, 0, 0.1);
        TrainingConfig one = TrainingFixtures.config(runs.toString(), "one", "sgd", 0.02, 1, 2, 8, 2, "direct", AUG);
        TrainingConfig two = TrainingFixtures.config(runs.toString(), "two", "sgd", 0.02, 2, 2, 8, 2, "direct", AUG);
        TrainingConfig stepped = TrainingFixtures.withSchedule(TrainingFixtures.config(runs.toString(), "stepped",
                "sgd", 0.01, 2, 2, 8, 2, "direct", AUG), stepToZero, 8);
        TrainResult steppedResult = TrainingJob.run(SPARK, stepped, "");
        TrainingJob.run(SPARK, one, "");
        TrainingJob.run(SPARK, two, "");
        // linear scaling rule: 0.01 x (2 workers x 8) / 8
        assertEquals(0.02, steppedResult.epochs().get(0).learningRate(), 1e-12);
        assertEquals(0.02 * 1e-9, steppedResult.epochs().get(1).learningRate(), 1e-20);
        float[] afterOne = params(runs.resolve("one"));
        float[] afterStep = params(runs.resolve("stepped"));
        float[] afterTwo = params(runs.resolve("two"));
        double stepMoved = 0;
        double constantMoved = 0;
        for (int i = 0; i < afterOne.length; i++) {
            stepMoved = Math.max(stepMoved, Math.abs(afterStep[i] - afterOne[i]));
            constantMoved = Math.max(constantMoved, Math.abs(afterTwo[i] - afterOne[i]));
        }
        assertTrue(constantMoved > 1e-3, "a constant rate moves the parameters in epoch 2: " + constantMoved);
        assertTrue(stepMoved < 1e-6, "epoch 2 at rate 2e-11 leaves them in place: " + stepMoved);
    }

    private static float[] params(Path run) throws IOException {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), true).params().dup('c')
                .data().asFloat();
    }

    @Test
    void aGrowingBatchSizeTakesEffectAtItsEpochAndEarlyStoppingKeepsTheBestModel(@TempDir Path runs) throws Exception {
        // 90 training images, 2 workers, averaging every 2: batch 8 -> 12 minibatches -> 3 rounds = 6 iterations;
        // batch 16 from epoch 2 -> 6 minibatches -> 2 rounds = 4 iterations per epoch
        java.util.SortedMap<Integer, Integer> growing = new java.util.TreeMap<>(Map.of(2, 16));
        TrainingConfig config = TrainingFixtures.withBatchSchedule(TrainingFixtures.config(runs.toString(), "grow",
                "adam", 0.001, 3, 2, 8, 2, "direct", AUG), growing, 0);
        TrainResult result = TrainingJob.run(SPARK, config, "");
        assertEquals(List.of(8, 16, 16), result.epochs().stream().map(EpochMetrics::batchSizePerWorker).toList());
        List<Long> iterations = result.epochs().stream().map(EpochMetrics::iteration).toList();
        assertEquals(iterations.get(2), model(runs.resolve("grow")).getIterationCount());
        // twice the batch, about half the minibatches: fewer averaging rounds per epoch
        assertTrue(iterations.get(2) - iterations.get(1) < iterations.get(0), iterations.toString());
        assertEquals(iterations.get(2) - iterations.get(1), iterations.get(1) - iterations.get(0));
        // dl4j-spark's count: rounds of workers x averaging-frequency minibatches, rounded down, at least one
        assertEquals(2, TrainingJob.iterationsPerEpoch(3, 2, 2));
        assertEquals(2, TrainingJob.iterationsPerEpoch(7, 2, 2));
        assertEquals(6, TrainingJob.iterationsPerEpoch(12, 2, 2));
        // best-model.zip is the epoch with the best validation accuracy
        assertTrue(Files.exists(runs.resolve("grow").resolve("best-model.zip")));

        // Early stopping: a rate so small that validation accuracy cannot improve after epoch 1 stops at epoch 1 +
        // patience, with the best model being the epoch-1 one.
        TrainingConfig stalled = TrainingFixtures.withBatchSchedule(TrainingFixtures.config(runs.toString(), "stall",
                "sgd", 1e-12, 10, 2, 8, 2, "direct", AUG), new java.util.TreeMap<>(), 2);
        TrainResult stopped = TrainingJob.run(SPARK, stalled, "");
        assertEquals(3, stopped.epochs().size(), "stopped after 2 epochs without improvement");
        assertEquals(2, ValidationTracker.epochsSinceBest(stopped.epochs()));
    }

    private static MultiLayerNetwork model(Path run) throws IOException {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), true);
    }
}
