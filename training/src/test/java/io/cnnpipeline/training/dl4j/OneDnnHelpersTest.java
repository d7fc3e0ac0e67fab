package io.cnnpipeline.training.dl4j;

import io.cnnpipeline.training.TrainingFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.Minibatches;
import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.training.TrainingConfig;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's oneDNN layer helpers are engaged on the CPU backend ({@code org.nd4j.nativeblas.Nd4jCpu} answers DL4J's
 * lookup) and compute what DL4J's own Java-side path computes: the same outputs, loss and gradients for the same
 * parameters and minibatch, and the same parameters after a few Adam steps.
 */
class OneDnnHelpersTest {
    private static final SparkSession SPARK = TestSpark.get();

    @ParameterizedTest
    @ValueSource(strings = {"lenet", "small-cnn"})
    void helpersAreEngagedAndAgreeWithDl4jsOwnPath(String network) {
        DatasetDirectory dataset = DatasetDirectory.open(TrainingFixtures.dataset(),
                SPARK.sparkContext().hadoopConfiguration());
        Normalizer normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
        List<DataSet> batches = Minibatches.centreCrop(dataset.shards(SPARK, "train").coalesce(1), 16, normalizer, 3,
                16).collect();
        TrainingConfig config = TrainingFixtures.with(TrainingFixtures.config("unused", "unused", "adam", 0.003, 1, 1,
                16, 1, "direct", AugmentationPipeline.of(16)), Map.of("network", network));
        MultiLayerConfiguration conf = Networks.build(config, 16, 16, 1, 3);

        MultiLayerNetwork withHelpers = new MultiLayerNetwork(conf.clone());
        withHelpers.init();
        MultiLayerNetwork plain;
        Nd4j.getEnvironment().allowHelpers(false);
        try {
            plain = new MultiLayerNetwork(conf.clone());
            plain.init(withHelpers.params().dup(), true);
        } finally {
            Nd4j.getEnvironment().allowHelpers(true);
        }
        int helped = 0;
        for (int i = 0; i < withHelpers.getnLayers(); i++) {
            Layer layer = withHelpers.getLayer(i);
            if (layer instanceof ConvolutionLayer || layer instanceof SubsamplingLayer
                    || layer instanceof BatchNormalization) {
                assertNotNull(layer.getHelper(), "no oneDNN helper on layer " + i + " " + layer.getClass());
                assertNull(plain.getLayer(i).getHelper(), "helper despite allowHelpers(false) on layer " + i);
                helped++;
            }
        }
        assertTrue(helped >= 4, "helped layers: " + helped);

        DataSet batch = batches.get(0);
        assertClose(plain.output(batch.getFeatures(), false), withHelpers.output(batch.getFeatures(), false), 1e-4,
                "inference outputs");
        for (MultiLayerNetwork net : new MultiLayerNetwork[] {plain, withHelpers}) {
            Nd4j.getRandom().setSeed(7);    // the same dropout masks for both
            net.setInput(batch.getFeatures());
            net.setLabels(batch.getLabels());
            net.computeGradientAndScore();
        }
        assertEquals(plain.score(), withHelpers.score(), 1e-5 * Math.max(1, plain.score()), "loss");
        // Element-wise, a ReLU after batch norm turns float-rounding differences at its kink (a pre-activation within
        // rounding of 0) into a whole gradient element on one side and none on the other: compare the vectors by
        // their relative L2 distance (measured: 0 for lenet, 1.2e-3 for small-cnn's four batch-norm + ReLU pairs;
        // a wrong helper, e.g. one using the running instead of the batch statistics, is off by tens of percent).
        INDArray g0 = plain.gradient().gradient();
        INDArray g1 = withHelpers.gradient().gradient();
        double relative = g0.distance2(g1) / g0.norm2Number().doubleValue();
        assertTrue(relative <= 5e-3, "gradients: relative L2 difference " + relative);

        INDArray before = plain.params().dup();
        for (int step = 0; step < 5; step++) {
            DataSet b = batches.get(step % batches.size());
            Nd4j.getRandom().setSeed(100 + step);
            plain.fit(b);
            Nd4j.getRandom().setSeed(100 + step);
            withHelpers.fit(b);
        }
        assertTrue(plain.params().distance2(before) > 1e-3, "training did not move the parameters");
        // Adam steps every parameter by about the learning rate whatever its gradient's size, so a gradient element
        // on a ReLU kink (above) can move by 2 x lr per step: compare the updates by their relative L2 distance
        // (measured: 1.3e-6 for lenet, 0.033 for small-cnn; before its ReLUs were applied, small-cnn's parameters
        // agreed to 1e-3 element-wise, so the batch-norm helper itself agrees).
        INDArray update0 = plain.params().sub(before);
        INDArray update1 = withHelpers.params().sub(before);
        double updates = update0.distance2(update1) / update0.norm2Number().doubleValue();
        assertTrue(updates <= 5e-2, "updates after 5 Adam steps: relative L2 difference " + updates);
    }

    /** Max absolute difference ≤ {@code tolerance} × max(1, max |expected|). */
    private static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertEquals(expected.length(), actual.length(), what + " length");
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance * scale, what + ": max |difference| " + diff + " > " + tolerance * scale);
    }
}
