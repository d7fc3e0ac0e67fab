package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl4j-spark's gradient sharing (SharedTrainingMaster over Aeron UDP on 127.0.0.1) through the training job. */
class GradientSharingTest {
    private static final SparkSession SPARK = TestSpark.get();

    private static TrainingConfig.GradientSharing sharing(int port) {
        return new TrainingConfig.GradientSharing(TrainingConfig.GradientSharing.ThresholdAlgorithm.ADAPTIVE, 1e-4, 1e-4, 1e-2, "127.0.0.1", port, "", 0);
    }

    /**
     * With one partition per minibatch, a task that attached to DL4J's SharedTrainingWrapper while it handed its
     * trainer thread over waited forever (1 of 7 runs); with one partition per worker (the job's EqualRepartitioner)
     * 18 of 18 passed (25-43 s, 8 of them with the other core busy), so it runs with every build. An epoch limit of 2
     * minutes makes a hang fail the test (epochs here take seconds) instead of holding the build. Tagged
     * gradient-sharing-e2e to run it alone: {@code ./mvnw -pl training test -Dgroups=gradient-sharing-e2e}.
     */
    @Test
    @org.junit.jupiter.api.Tag("gradient-sharing-e2e")
    void trainsAndTheEpochsLearningRateReachesTheWorkers(@TempDir Path runs) throws Exception {
        // Plain SGD, so that a rate of ~0 means no change: the rate steps to 1e-9 x at epoch 3, so epoch 3 must leave
        // the parameters where epoch 2 left them, while epochs 1 and 2 learn the three synthetic classes.
        LearningRateSchedule stepToZero = new LearningRateSchedule(LearningRateSchedule.Type.STEP, List.of(2.0), 1e-9, 1, 0, 0, 0, 0, 0.1);
        TrainingConfig config = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "shared", "sgd", 0.05,
                3, 2, 8, 2, "direct", new AugmentationPipeline(16, List.of())), Map.of("lrSchedule", stepToZero,
                "gradientSharing", sharing(40125), "trainingMaster", TrainingConfig.TrainingMaster.GRADIENT_SHARING, "epochTimeoutMinutes", 2.0));
        TrainResult result = TrainingJob.run(SPARK, config, "");

        assertEquals(3, result.epochs().size());
        assertEquals(0.05, result.epochs().get(0).learningRate(), 1e-12);
        assertEquals(0.05, result.epochs().get(1).learningRate(), 1e-12);
        assertEquals(0.05 * 1e-9, result.epochs().get(2).learningRate(), 1e-20);
        assertTrue(result.epochs().get(1).validationAccuracy() > 0.8,
                "validation accuracy after 2 epochs " + result.epochs().get(1).validationAccuracy());
        for (EpochMetrics m : result.epochs()) {
            // The workers' last minibatch losses reach the driver (a loss of exactly 0 would mean none did).
            assertTrue(Double.isFinite(m.loss()) && m.loss() > 0, m.toString());
        }
        // An iteration per minibatch each worker fitted: 90 training images in minibatches of at most 8 over 2
        // workers, at least 6 per worker and epoch, the same every epoch.
        long perEpoch = result.epochs().get(0).iteration();
        assertTrue(perEpoch >= 6, "iterations in epoch 1: " + perEpoch);
        assertEquals(List.of(perEpoch, 2 * perEpoch, 3 * perEpoch),
                result.epochs().stream().map(EpochMetrics::iteration).toList());

        float[] afterTwo = ModelSerializer.restoreMultiLayerNetwork(
                runs.resolve("shared/checkpoints/epoch-0002.zip").toFile(), false).params().dup('c').data().asFloat();
        float[] afterThree = ModelSerializer.restoreMultiLayerNetwork(
                runs.resolve("shared/model.zip").toFile(), false).params().dup('c').data().asFloat();
        double moved = 0;
        for (int i = 0; i < afterTwo.length; i++) {
            moved = Math.max(moved, Math.abs(afterThree[i] - afterTwo[i]));
        }
        assertTrue(moved < 1e-6, "epoch 3 at rate 5e-11 leaves the parameters in place: " + moved);
    }

    @Test
    void invalidSettingsNameTheirKeys() {
        InvalidConfigException threshold = assertThrows(InvalidConfigException.class,
                () -> new TrainingConfig.GradientSharing(TrainingConfig.GradientSharing.ThresholdAlgorithm.ADAPTIVE, 0, 1e-4, 1e-2, "", 40123, "", 0));
        assertTrue(threshold.getMessage().contains("train.gradient-sharing.threshold"), threshold.getMessage());
        InvalidConfigException algorithm = assertThrows(InvalidConfigException.class,
                () -> TrainingConfig.GRADIENT_SHARING_THRESHOLD_ALGORITHM.read(com.typesafe.config.ConfigFactory
                        .parseString("train.gradient-sharing.threshold-algorithm = topk")));
        assertTrue(algorithm.getMessage().contains("train.gradient-sharing.threshold-algorithm"));
        InvalidConfigException sparsity = assertThrows(InvalidConfigException.class,
                () -> new TrainingConfig.GradientSharing(TrainingConfig.GradientSharing.ThresholdAlgorithm.ADAPTIVE, 1e-3, 1e-2, 1e-4, "", 40123, "", 0));
        assertTrue(sparsity.getMessage().contains("train.gradient-sharing.max-sparsity"), sparsity.getMessage());
        InvalidConfigException port = assertThrows(InvalidConfigException.class,
                () -> new TrainingConfig.GradientSharing(TrainingConfig.GradientSharing.ThresholdAlgorithm.ADAPTIVE, 1e-3, 1e-4, 1e-2, "", 70000, "", 0));
        assertTrue(port.getMessage().contains("train.gradient-sharing.controller-port"), port.getMessage());
        InvalidConfigException mask = assertThrows(InvalidConfigException.class,
                () -> new TrainingConfig.GradientSharing(TrainingConfig.GradientSharing.ThresholdAlgorithm.ADAPTIVE, 1e-3, 1e-4, 1e-2, "", 40123, "10.0.0.0",
                        0));
        assertTrue(mask.getMessage().contains("train.gradient-sharing.network-mask"), mask.getMessage());
        InvalidConfigException lars = assertThrows(InvalidConfigException.class,
                () -> TrainingFixtures.with(TrainingFixtures.withLars(TrainingFixtures.config("runs", "r", "sgd", 0.1,
                        1, 2, 8, 2, "direct", new AugmentationPipeline(16, List.of())), 0.001, 1e-4),
                        Map.of("gradientSharing", sharing(40123), "trainingMaster",
                                TrainingConfig.TrainingMaster.GRADIENT_SHARING)));
        assertTrue(lars.getMessage().contains("train.lars"), lars.getMessage());
    }
}
