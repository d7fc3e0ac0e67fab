package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.core.TestSpark;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The distributed path is right: with plain SGD and averaging after every minibatch, N workers each fitting one
 * minibatch of B examples and averaging their parameters equals one single-machine SGD step on the N·B examples
 * (the mean of the workers' gradients is the gradient of the mean loss). After DL4J's
 * TestCompareParameterAveragingSparkVsSingleMachine.
 */
class ParameterAveragingEquivalenceTest {
    private static final SparkSession SPARK = TestSpark.get();

    @Test
    void twoWorkersAveragingEveryStepEqualSingleMachineSgdOnTheDoubleBatch() {
        DatasetDirectory dataset = DatasetDirectory.open(TrainingFixtures.dataset(),
                SPARK.sparkContext().hadoopConfiguration());
        Normalizer normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
        List<DataSet> all = Minibatches.centreCrop(dataset.shards(SPARK, "train").coalesce(1), 16, normalizer, 3, 8)
                .collect();
        List<DataSet> two = List.of(all.get(0), all.get(1));
        TrainingConfig config = TrainingFixtures.config("unused", "unused", "sgd", 0.05, 1, 2, 8, 1, "direct",
                AugmentationPipeline.of(16));

        MultiLayerNetwork single = new MultiLayerNetwork(Networks.build(config, 16, 16, 1, 3));
        single.init();
        MultiLayerNetwork start = single.clone();
        single.fit(DataSet.merge(two));

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SPARK.sparkContext());
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, start,
                TrainingMasters.parameterAveraging(config, 2, config.batchSizePerWorker(),
                        System.getProperty("java.io.tmpdir") + "/unused-export", 42));
        spark.fit(jsc.parallelize(two, 2));
        MultiLayerNetwork averaged = spark.getNetwork();

        float[] expected = single.params().toFloatVector();
        float[] actual = averaged.params().toFloatVector();
        assertEquals(expected.length, actual.length);
        assertFalse(java.util.Arrays.equals(expected, start.params().toFloatVector()), "training changed nothing");
        assertArrayEquals(expected, actual, 1e-5f);
    }
}
