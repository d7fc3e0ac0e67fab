package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.PadCrop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointResumeTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final AugmentationPipeline AUG = new AugmentationPipeline(16, List.of(
            new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true), 0.5)));

    private static MultiLayerNetwork model(Path run) throws Exception {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), true);
    }

    @Test
    void aRunStoppedAfterEpochOneAndResumedEqualsTheUninterruptedRun(@TempDir Path runs) throws Exception {
        // Adam: the resumed run needs the moment estimates and the iteration count (bias correction) too.
        TrainingConfig whole = TrainingFixtures.config(runs.toString(), "whole", "adam", 0.003, 3, 2, 8, 2, "direct",
                AUG);
        TrainResult uninterrupted = TrainingJob.run(SPARK, whole, "");

        TrainingConfig first = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "stopped", "adam",
                0.003, 3, 2, 8, 2, "direct", AUG), false, 1, 0.003);
        TrainingJob.run(SPARK, first, "");
        assertTrue(Files.exists(runs.resolve("stopped/checkpoints/epoch-0001.zip")));
        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 3, 0.003), "");

        MultiLayerNetwork a = model(runs.resolve("whole"));
        MultiLayerNetwork b = model(runs.resolve("stopped"));
        assertArrayEquals(a.params().dup('c').data().asFloat(), b.params().dup('c').data().asFloat());
        assertArrayEquals(a.getUpdater().getStateViewArray().dup('c').data().asFloat(),
                b.getUpdater().getStateViewArray().dup('c').data().asFloat());
        assertEquals(a.getIterationCount(), b.getIterationCount());
        assertEquals(3, resumed.epochs().size(), "metrics of epoch 1 are kept");
        for (int i = 0; i < 3; i++) {
            assertEquals(uninterrupted.epochs().get(i).loss(), resumed.epochs().get(i).loss(), 0, "epoch " + (i + 1));
            assertEquals(uninterrupted.epochs().get(i).validationAccuracy(),
                    resumed.epochs().get(i).validationAccuracy());
        }
        assertEquals(3, Files.readAllLines(runs.resolve("stopped/metrics.jsonl")).size());
        // keep-checkpoints = 2: epochs 2 and 3
        try (var files = Files.list(runs.resolve("stopped/checkpoints"))) {
            assertEquals(List.of("epoch-0002.json", "epoch-0002.zip", "epoch-0003.json", "epoch-0003.zip",
                    "latest.json"),
                    files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
        }
    }

    /**
     * Checkpoints between averaging rounds: a run whose driver stopped right after the checkpoint of round 3 of epoch
     * 2 (its run directory as the stop left it: later checkpoints, model and metrics never written) resumes at round
     * 4 with the minibatches the uninterrupted run fitted there, and ends equal to it, bit for bit, with the same
     * per-round losses.
     */
    @Test
    void aRunResumedBetweenAveragingRoundsEqualsTheUninterruptedRun(@TempDir Path runs) throws Exception {
        TrainingConfig whole = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "whole", "adam", 0.003,
                2, 2, 8, 1, "direct", AUG), Map.of("checkpointEveryRounds", 1, "keepCheckpoints", 100));
        TrainResult uninterrupted = TrainingJob.run(SPARK, whole, "");
        Path checkpoints = runs.resolve("whole/checkpoints");
        List<String> written;
        try (var files = Files.list(checkpoints)) {
            written = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".zip")).sorted().toList();
        }
        assertTrue(written.contains("epoch-0002-round-0003.zip") && written.contains("epoch-0001.zip")
                && written.contains("epoch-0002.zip"), "checkpoints: " + written);
        List<String> rounds = Files.readAllLines(runs.resolve("whole/rounds.jsonl"));
        long roundsPerEpoch = rounds.stream().filter(l -> l.contains("\"epoch\":1,")).count();
        assertTrue(roundsPerEpoch > 3, "rounds of epoch 1: " + roundsPerEpoch);
        assertFalse(written.contains(String.format("epoch-0001-round-%04d.zip", roundsPerEpoch)),
                "no round checkpoint right before the epoch-end one");

        Path crashed = runs.resolve("crashed");
        org.apache.commons.io.FileUtils.copyDirectory(runs.resolve("whole").toFile(), crashed.toFile());
        try (var files = Files.walk(crashed)) {   // Hadoop's checksums of the files edited below
            for (Path crc : files.filter(f -> f.getFileName().toString().endsWith(".crc")).toList()) {
                Files.delete(crc);
            }
        }
        for (String name : List.of("model.zip", "model-meta.json", "metrics.jsonl")) {
            Files.deleteIfExists(crashed.resolve(name));
        }
        Files.writeString(crashed.resolve("metrics.jsonl"),
                Files.readAllLines(runs.resolve("whole/metrics.jsonl")).get(0) + "\n");
        try (var files = Files.list(crashed.resolve("checkpoints"))) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith("epoch-") && n.compareTo("epoch-0002-round-0003.zip") > 0) {
                    Files.delete(f);
                }
            }
        }
        Files.copy(crashed.resolve("checkpoints/epoch-0002-round-0003.json"),
                crashed.resolve("checkpoints/latest.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.with(whole, Map.of("runId", "crashed",
                "resume", "true")), "");
        MultiLayerNetwork a = model(runs.resolve("whole"));
        MultiLayerNetwork b = model(crashed);
        assertArrayEquals(a.params().dup('c').data().asFloat(), b.params().dup('c').data().asFloat());
        assertArrayEquals(a.getUpdater().getStateViewArray().dup('c').data().asFloat(),
                b.getUpdater().getStateViewArray().dup('c').data().asFloat());
        assertEquals(a.getIterationCount(), b.getIterationCount());
        assertEquals(uninterrupted.epochs().get(1).loss(), resumed.epochs().get(1).loss(), 0);
        assertEquals(uninterrupted.epochs().get(1).learningRate(), resumed.epochs().get(1).learningRate(), 0);
        List<String> resumedRounds = Files.readAllLines(crashed.resolve("rounds.jsonl"));
        assertEquals(rounds.size(), resumedRounds.size(), "every round once");
        for (int i = 0; i < rounds.size(); i++) {
            assertEquals(field(rounds.get(i), "loss"), field(resumedRounds.get(i), "loss"), "round line " + (i + 1));
            assertEquals(field(rounds.get(i), "iteration"), field(resumedRounds.get(i), "iteration"));
        }
        assertTrue(Files.exists(crashed.resolve("config.resumed-after-epoch-2-round-3.conf")));
    }

    private static String field(String json, String name) throws Exception {
        return io.cnnpipeline.core.Json.MAPPER.readTree(json).get(name).asText();
    }

    /**
     * A truncated newest checkpoint and a corrupt latest.json: the resume falls back to the checkpoint before them
     * and ends equal to the uninterrupted run; with no readable checkpoint left it stops with one message naming
     * them.
     */
    @Test
    void aCorruptNewestCheckpointFallsBackToTheOneBeforeIt(@TempDir Path runs) throws Exception {
        TrainingConfig whole = TrainingFixtures.config(runs.toString(), "whole", "nesterov", 0.01, 3, 2, 8, 2,
                "direct", AUG);
        TrainingJob.run(SPARK, whole, "");
        TrainingConfig first = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "stopped",
                "nesterov", 0.01, 3, 2, 8, 2, "direct", AUG), false, 2, 0.01);
        TrainingJob.run(SPARK, first, "");
        Path checkpoints = runs.resolve("stopped/checkpoints");
        byte[] zip = Files.readAllBytes(checkpoints.resolve("epoch-0002.zip"));
        Files.write(checkpoints.resolve("epoch-0002.zip"), java.util.Arrays.copyOf(zip, zip.length / 3));
        Files.writeString(checkpoints.resolve("latest.json"), "{\"epoch\": 2, \"model\": ");

        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 3, 0.01), "");
        assertEquals(3, resumed.epochs().size());
        assertArrayEquals(model(runs.resolve("whole")).params().dup('c').data().asFloat(),
                model(runs.resolve("stopped")).params().dup('c').data().asFloat(),
                "epoch 2 trained again from epoch 1's checkpoint: the uninterrupted run's parameters");

        // Nothing readable: one message naming the files, no training.
        TrainingConfig other = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "broken",
                "nesterov", 0.01, 3, 2, 8, 2, "direct", AUG), false, 1, 0.01);
        TrainingJob.run(SPARK, other, "");
        Path broken = runs.resolve("broken/checkpoints/epoch-0001.zip");
        Files.write(broken, new byte[] {'P', 'K', 3, 4, 0, 0});
        io.cnnpipeline.core.StageFailedException e = assertThrows(io.cnnpipeline.core.StageFailedException.class,
                () -> TrainingJob.run(SPARK, TrainingFixtures.resumed(other, true, 2, 0.01), ""));
        assertTrue(e.getMessage().contains("no checkpoint reads back") && e.getMessage().contains("epoch-0001.zip"),
                e.getMessage());
    }

    /**
     * A ComputationGraph (ResNet-20, batch norm) trains through dl4j-spark's SparkComputationGraph, checkpoints as a
     * graph, and resumes as if never stopped, to float rounding: oneDNN's multi-threaded batch-norm and
     * convolution-gradient reductions may differ in the last bit between runs (observed: 1 ulp).
     */
    @Test
    void aResNetRunStoppedAndResumedEqualsTheUninterruptedRun(@TempDir Path runs) throws Exception {
        TrainingConfig whole = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "whole", "nesterov",
                0.01, 2, 2, 8, 2, "direct", AUG), java.util.Map.of("network", "resnet20"));
        TrainResult uninterrupted = TrainingJob.run(SPARK, whole, "");
        TrainingConfig first = TrainingFixtures.with(whole, java.util.Map.of("runId", "stopped", "epochs", 1));
        TrainingJob.run(SPARK, first, "");
        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.with(first, java.util.Map.of("resume", "true",
                "epochs", 2)), "");

        TrainableNetwork a = TrainableNetwork.restore(Files.readAllBytes(runs.resolve("whole/model.zip")), true);
        TrainableNetwork b = TrainableNetwork.restore(Files.readAllBytes(runs.resolve("stopped/model.zip")), true);
        assertTrue(a.isGraph() && b.isGraph(), "saved as ComputationGraphs");
        TrainableNetwork init = TrainableNetwork.of(Networks.create(whole, 16, 16, 1, 3));
        assertFalse(java.util.Arrays.equals(init.params().dup('c').data().asFloat(),
                a.params().dup('c').data().asFloat()), "training changed nothing");
        assertArrayEquals(a.params().dup('c').data().asFloat(), b.params().dup('c').data().asFloat(), 1e-5f);
        assertEquals(a.iterationCount(), b.iterationCount());
        assertEquals(uninterrupted.epochs().get(1).loss(), resumed.epochs().get(1).loss(), 1e-5);
        assertTrue(Double.isFinite(uninterrupted.epochs().get(1).loss()));
    }

    @Test
    void aDivergingRunStopsNamingTheEpochAndTheLastGoodCheckpointWhichItKeeps(@TempDir Path runs) throws Exception {
        TrainingConfig first = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "nan", "sgd", 0.01,
                1, 2, 8, 2, "direct", AUG), false, 1, 0.01);
        TrainingJob.run(SPARK, first, "");
        // resumed with an absurd learning rate, epoch 2 diverges
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 3, 1e12), ""));
        assertTrue(e.getMessage().contains("after epoch 2 (iteration "), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoints/epoch-0001.zip"), e.getMessage());
        assertFalse(Files.exists(runs.resolve("nan/checkpoints/epoch-0002.zip")), "no checkpoint of a diverged model");
        Checkpoints.State latest = new Checkpoints(org.apache.hadoop.fs.FileSystem.getLocal(
                new org.apache.hadoop.conf.Configuration()), new org.apache.hadoop.fs.Path(runs.resolve("nan").toUri()),
                2).latest();
        assertEquals(1, latest.epoch());
        assertTrue(TrainingJob.finite(ModelSerializer.restoreMultiLayerNetwork(
                runs.resolve("nan/checkpoints/epoch-0001.zip").toFile(), true).params()));
    }

    @Test
    void aResumeAcceptsARerunOfThePreprocessStageAndRefusesOtherData(@TempDir Path tmp) {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 3, 40, 16, 1, 11);
        Path data = tmp.resolve("dataset");
        TrainingFixtures.ingest(images, data, 42);
        TrainingConfig first = TrainingFixtures.with(TrainingFixtures.resumed(TrainingFixtures.config(
                tmp.resolve("runs").toString(), "rerun", "sgd", 0.01, 1, 2, 8, 2, "direct", AUG), false, 1, 0.01),
                Map.of("dataset", data.toString()));
        TrainingJob.run(SPARK, first, "");

        // Same inputs and settings again (as a scheduler re-running the whole DAG would): a new manifest, same rows.
        TrainingFixtures.ingest(images, data, 42);
        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 2, 0.01), "");
        assertEquals(2, resumed.epochs().size());

        // Another validation split of the same images is another dataset.
        TrainingFixtures.ingest(images, data, 7);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 3, 0.01), ""));
        assertTrue(e.getMessage().contains("trained on another dataset (content sha256"), e.getMessage());
    }

    @Test
    void anEpochThatOverrunsItsLimitIsCancelledAndTheRunResumesFromTheLastCheckpoint(@TempDir Path runs) {
        TrainingConfig first = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "slow", "sgd", 0.01,
                2, 2, 8, 2, "direct", AUG), false, 1, 0.01);
        TrainingJob.run(SPARK, first, "");
        // 6 ms: the epoch's first training job is cancelled as soon as it starts
        TrainingConfig limited = TrainingFixtures.with(TrainingFixtures.resumed(first, true, 2, 0.01),
                Map.of("epochTimeoutMinutes", 1e-4));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainingJob.run(SPARK, limited, ""));
        assertTrue(e.getMessage().startsWith("Cannot finish epoch 2: its fit took longer than 0.0001 min "
                + "(train.epoch-timeout-minutes) and its Spark jobs were cancelled; the last checkpoint is "),
                e.getMessage());
        assertTrue(e.getMessage().contains("checkpoints/epoch-0001.zip"), e.getMessage());
        assertFalse(Files.exists(runs.resolve("slow/checkpoints/epoch-0002.zip")));
        assertEquals(null, SPARK.sparkContext().getLocalProperty("spark.jobGroup.id"), "job group restored");

        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.resumed(first, true, 2, 0.01), "");
        assertEquals(List.of(1, 2), resumed.epochs().stream().map(EpochMetrics::epoch).toList());
    }

    @Test
    void resumeAutoStartsARunWithoutACheckpointAndContinuesOneWithIt(@TempDir Path runs) throws Exception {
        TrainingConfig auto = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "retried", "sgd", 0.01,
                1, 2, 8, 2, "direct", AUG), Map.of("resume", "auto"));
        // First attempt: no run directory yet, so the run starts.
        TrainResult first = TrainingJob.run(SPARK, auto, "");
        assertEquals(1, first.epochs().size());
        // The same command with more epochs continues it: epoch 1 is not trained again.
        TrainResult second = TrainingJob.run(SPARK, TrainingFixtures.with(auto, Map.of("epochs", 2)), "");
        assertEquals(List.of(1, 2), second.epochs().stream().map(EpochMetrics::epoch).toList());
        assertEquals(first.epochs().get(0), second.epochs().get(0));
        assertTrue(Files.exists(runs.resolve("retried/config.resumed-after-epoch-1.conf")));

        // An attempt that stopped before its first checkpoint left a run directory without one: start it again.
        Path stale = runs.resolve("stale");
        Files.createDirectories(stale.resolve("checkpoints"));
        Files.writeString(stale.resolve("config.resolved.conf"), "train {}");
        Files.writeString(stale.resolve("metrics.jsonl"), "{\"epoch\": 7}\n");
        TrainResult again = TrainingJob.run(SPARK, TrainingFixtures.with(auto, Map.of("runId", "stale")), "");
        assertEquals(1, again.epochs().size());
        assertEquals(1, Files.readAllLines(stale.resolve("metrics.jsonl")).size());
        assertTrue(Files.exists(stale.resolve("checkpoints/epoch-0001.zip")));

        // A directory that is not a run is left alone.
        Path other = Files.createDirectories(runs.resolve("not-a-run"));
        Files.writeString(other.resolve("notes.txt"), "keep me");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainingJob.run(SPARK, TrainingFixtures.with(auto, Map.of("runId", "not-a-run")), ""));
        assertTrue(e.getMessage().contains("is not a run directory"), e.getMessage());
        assertEquals("keep me", Files.readString(other.resolve("notes.txt")));
    }

    @Test
    void resumeNeedsAnExistingRunWithACheckpoint(@TempDir Path runs) {
        TrainingConfig missing = TrainingFixtures.resumed(TrainingFixtures.config(runs.toString(), "never", "sgd",
                0.01, 1, 2, 8, 2, "direct", AUG), true, 1, 0.01);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainingJob.run(SPARK, missing, ""));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
