package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.PadCrop;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train.stop-after-epoch}, {@code train.divergence-factor} and {@code train.stop-at-chance} on real Spark. */
class StopRulesTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final AugmentationPipeline AUG = new AugmentationPipeline(16, List.of(
            new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true), 0.5)));
    /** Cosine over train.epochs: a pause that shortened the schedule would change every rate after it. */
    private static final LearningRateSchedule COSINE = new LearningRateSchedule(LearningRateSchedule.Type.COSINE,
            List.of(), 0.1, 1, 0, 0.5, 0.1, 0, 0.1);

    private static MultiLayerNetwork model(Path run) throws Exception {
        return ModelSerializer.restoreMultiLayerNetwork(run.resolve("model.zip").toFile(), true);
    }

    private static TrainingConfig config(Path runs, String runId, double lr, int epochs) {
        return TrainingFixtures.withSchedule(TrainingFixtures.config(runs.toString(), runId, "nesterov", lr, epochs, 2,
                8, 2, "direct", AUG), COSINE, 0);
    }

    @Test
    void aRunPausedTwiceByStopAfterEpochAndResumedEqualsTheUninterruptedRun(@TempDir Path runs) throws Exception {
        TrainResult whole = TrainingJob.run(SPARK, config(runs, "whole", 0.05, 3), "");

        TrainingConfig paused = TrainingFixtures.with(config(runs, "paused", 0.05, 3), Map.of("stopAfterEpoch", 1));
        TrainResult first = TrainingJob.run(SPARK, paused, "");
        assertEquals(1, first.epochs().size(), "paused after epoch 1");
        assertEquals(3, first.configuredEpochs());
        assertTrue(Files.exists(runs.resolve("paused/model.zip")), "a paused run has a model to score");
        assertTrue(Files.exists(runs.resolve("paused/checkpoints/epoch-0001.zip")));
        TrainingJob.run(SPARK, TrainingFixtures.with(paused, Map.of("resume", "true", "stopAfterEpoch", 2)), "");
        TrainResult resumed = TrainingJob.run(SPARK, TrainingFixtures.with(paused, Map.of("resume", "true",
                "stopAfterEpoch", 0)), "");

        assertEquals(3, resumed.epochs().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(whole.epochs().get(i).loss(), resumed.epochs().get(i).loss(), 0, "epoch " + (i + 1));
            assertEquals(whole.epochs().get(i).learningRate(), resumed.epochs().get(i).learningRate(), 0,
                    "the schedule spans train.epochs in every invocation");
        }
        MultiLayerNetwork a = model(runs.resolve("whole"));
        MultiLayerNetwork b = model(runs.resolve("paused"));
        assertArrayEquals(a.params().dup('c').data().asFloat(), b.params().dup('c').data().asFloat());
        assertArrayEquals(a.getUpdater().getStateViewArray().dup('c').data().asFloat(),
                b.getUpdater().getStateViewArray().dup('c').data().asFloat());
    }

    @Test
    void stopAfterEpochBeyondTheEpochsIsAConfigError(@TempDir Path runs) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> TrainingFixtures.with(config(runs, "x", 0.05, 2), Map.of("stopAfterEpoch", 3)));
        assertEquals("train.stop-after-epoch", e.key());
    }

    @Test
    void aLossAboveTheDivergenceFactorTimesItsStartStopsTheRunWithoutACheckpointForTheEpoch(@TempDir Path runs)
            throws Exception {
        TrainingConfig first = TrainingFixtures.with(config(runs, "diverging", 0.05, 1), Map.of());
        TrainingJob.run(SPARK, first, "");
        // Resumed for a second epoch at a learning rate far too high: the loss grows, the parameters stay finite.
        TrainingConfig hot = TrainingFixtures.with(first, Map.of("resume", "true", "epochs", 2, "learningRate", 3.0,
                "divergenceFactor", 1.5, "lrSchedule", LearningRateSchedule.CONSTANT));
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> TrainingJob.run(SPARK, hot,
                ""));
        assertEquals(TrainingStoppedException.Reason.DIVERGED, e.reason(), e.getMessage());
        assertEquals(2, e.epoch());
        assertTrue(e.getMessage().contains("train.divergence-factor"), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoints/epoch-0001.zip"), e.getMessage());
        assertFalse(Files.exists(runs.resolve("diverging/checkpoints/epoch-0002.zip")));
        assertEquals(2, Files.readAllLines(runs.resolve("diverging/metrics.jsonl")).size(), "epoch 2 is recorded");

        // The same second epoch without the rule: it runs to its end.
        TrainingConfig hotRun = TrainingFixtures.with(hot, Map.of("divergenceFactor", 0.0));
        assertEquals(2, TrainingJob.run(SPARK, hotRun, "").epochs().size());
    }

    @Test
    void anUntrainedNetworkIsStoppedAfterEpochOneAtChanceAndATrainedOneIsNot(@TempDir Path runs) {
        // A learning rate of 1e-9 leaves the network as initialized: a guesser over the fixture's 3 classes.
        TrainingConfig frozen = TrainingFixtures.with(config(runs, "frozen", 1e-9, 2), Map.of("stopAtChance", true));
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                () -> TrainingJob.run(SPARK, frozen, ""));
        assertEquals(TrainingStoppedException.Reason.AT_CHANCE, e.reason());
        assertEquals(1, e.epoch());
        assertTrue(e.getMessage().contains("at chance for 3 classes"), e.getMessage());

        TrainResult learning = TrainingJob.run(SPARK, TrainingFixtures.with(TrainingFixtures.config(runs.toString(),
                "learning", "adam", 0.01, 2, 2, 8, 2, "direct", AUG), Map.of("stopAtChance", true)), "");
        assertEquals(2, learning.epochs().size());
        long validation = io.cnnpipeline.dataset.DatasetDirectory.open(TrainingFixtures.dataset(),
                SPARK.sparkContext().hadoopConfiguration()).count(io.cnnpipeline.dataset.ShardSchema.VALIDATION);
        assertTrue(learning.epochs().get(0).validationAccuracy() > TrainingJob.chanceAccuracyBound(3, validation),
                "the fixture's 3 classes are learnt in an epoch: " + learning.epochs().get(0));
    }

    @Test
    void theChanceBoundIsOneOverTheClassesPlusThreeBinomialStandardDeviations() {
        assertEquals(0.1 + 3 * Math.sqrt(0.1 * 0.9 / 6000), TrainingJob.chanceAccuracyBound(10, 6000), 1e-15);
        assertEquals(0.5 + 3 * 0.5 / 10, TrainingJob.chanceAccuracyBound(2, 100), 1e-15);
    }
}
