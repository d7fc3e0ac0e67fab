package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Workers that keep their network between averaging rounds train exactly as dl4j-spark's workers that build a new one
 * every round: the same parameters, updater state, losses and iteration counts, through epochs whose learning-rate
 * schedule changes (a new configuration: a new network).
 */
class KeptNetworksTrainingMasterTest {
    private static final SparkSession SPARK = TestSpark.get();

    private static float[] updaterState(TrainableNetwork net) {
        org.deeplearning4j.nn.api.Model m = net.model();
        org.nd4j.linalg.api.ndarray.INDArray state = m instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork n
                ? n.getUpdater().getStateViewArray()
                : ((org.deeplearning4j.nn.graph.ComputationGraph) m).getUpdater().getStateViewArray();
        return state.dup('c').data().asFloat();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet", "resnet20"})
    void keptNetworksTrainAsNetworksBuiltEveryRound(String network, @TempDir Path runs) throws Exception {
        // Nesterov (updater state carried between rounds), averaging after every minibatch of 8 over 2 workers: five
        // rounds per epoch; a step schedule changes the configuration at epoch 2.
        LearningRateSchedule step = new LearningRateSchedule(LearningRateSchedule.Type.STEP, List.of(1.0), 0.5, 1, 0, 0, 0, 0, 0.1);
        TrainingConfig kept = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "kept", "nesterov", 0.01,
                2, 2, 8, 1, "direct", AugmentationPipeline.of(16)), Map.of("network", network, "lrSchedule", step));
        long built0 = KeptNetworksTrainingMaster.Worker.BUILT.get();
        long reused0 = KeptNetworksTrainingMaster.Worker.REUSED.get();
        TrainResult a = TrainingJob.run(SPARK, kept, "");
        long built = KeptNetworksTrainingMaster.Worker.BUILT.get() - built0;
        long reused = KeptNetworksTrainingMaster.Worker.REUSED.get() - reused0;
        // A task thread builds a network at its first round of an epoch (new schedule, new configuration) and
        // reuses it after; which threads Spark runs the tasks on decides how many of each.
        assertTrue(reused > 0 && built > 0, "rounds that reused a network: " + reused + ", that built one: " + built);

        TrainResult b;
        System.setProperty(TrainingMasters.REBUILD_WORKER_NETWORKS_PROPERTY, "true");
        try {
            b = TrainingJob.run(SPARK, TrainingFixtures.with(kept, Map.of("runId", "rebuilt")), "");
        } finally {
            System.clearProperty(TrainingMasters.REBUILD_WORKER_NETWORKS_PROPERTY);
        }
        assertEquals(reused, KeptNetworksTrainingMaster.Worker.REUSED.get() - reused0, "the second run rebuilt");

        TrainableNetwork x = TrainableNetwork.restore(Files.readAllBytes(runs.resolve("kept/model.zip")), true);
        TrainableNetwork y = TrainableNetwork.restore(Files.readAllBytes(runs.resolve("rebuilt/model.zip")), true);
        TrainableNetwork init = TrainableNetwork.of(Networks.create(kept, 16, 16, 1, 3));
        assertFalse(java.util.Arrays.equals(init.params().dup('c').data().asFloat(),
                x.params().dup('c').data().asFloat()), "training changed nothing");
        // oneDNN's threaded reductions may differ in the last bit between runs (see CheckpointResumeTest).
        assertArrayEquals(y.params().dup('c').data().asFloat(), x.params().dup('c').data().asFloat(), 1e-5f);
        assertArrayEquals(updaterState(y), updaterState(x), 1e-5f);
        assertEquals(y.iterationCount(), x.iterationCount());
        for (int e = 0; e < 2; e++) {
            assertEquals(b.epochs().get(e).loss(), a.epochs().get(e).loss(), 1e-5);
            assertEquals(b.epochs().get(e).learningRate(), a.epochs().get(e).learningRate(), 1e-12);
        }
    }

    /**
     * The averaging's sum does not depend on which task ends first: seven workers' results whose float sum depends on
     * the order of the additions, made by tasks that end in reverse order of their partitions, sum to exactly the
     * fixed tree's value (depth 2: groups of ⌈√7⌉ = 3 partitions added in partition order, then the groups in order).
     */
    @org.junit.jupiter.api.Test
    void theAveragingSumIsAddedInPartitionOrderWhateverTaskEndsFirst() {
        int n = 7;
        java.util.Random random = new java.util.Random(11);
        float[][] values = new float[n][257];
        for (float[] v : values) {
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
            }
        }
        var sc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(SPARK.sparkContext());
        var results = sc.parallelize(java.util.stream.IntStream.range(0, n).boxed().toList(), n).map(i -> {
            Thread.sleep((n - i) * 60L);   // the last partitions end first
            return new org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult(
                    org.nd4j.linalg.factory.Nd4j.createFromArray(values[i]), null, i, null, null, null);
        });
        KeptNetworksTrainingMaster.Sums sums = KeptNetworksTrainingMaster.orderedSum(results, 2);

        float[] tree = new float[values[0].length];
        float[] reversed = new float[values[0].length];
        for (int g = 0; g < n; g += 3) {
            float[] group = values[g].clone();
            for (int i = g + 1; i < Math.min(n, g + 3); i++) {
                for (int j = 0; j < group.length; j++) {
                    group[j] += values[i][j];
                }
            }
            for (int j = 0; j < tree.length; j++) {
                tree[j] = g == 0 ? group[j] : tree[j] + group[j];
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int j = 0; j < reversed.length; j++) {
                reversed[j] += values[i][j];
            }
        }
        assertFalse(java.util.Arrays.equals(tree, reversed), "the values' sum depends on the order of the additions");
        assertArrayEquals(tree, sums.parameters, "bit for bit the fixed tree's sum");
        assertEquals(n, sums.count);
        assertEquals(21.0, sums.score);
    }
}
