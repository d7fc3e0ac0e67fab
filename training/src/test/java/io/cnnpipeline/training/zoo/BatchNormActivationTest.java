package io.cnnpipeline.training.zoo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BatchNormActivationTest {
    @Test
    void dl4jIgnoresTheActivationOfABatchNormalizationLayer() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 3)).build());
        net.init();
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3, 4, 4).subi(0.5);
        INDArray bn = net.feedForward(x, false).get(1);
        assertTrue(bn.minNumber().doubleValue() < 0, "DL4J M2 leaves negatives after BN(relu): " + bn.minNumber());
    }

    /**
     * So the zoo puts its ReLUs after batch norm as layers of their own: no BatchNormalization of any network carries
     * an activation (it would be ignored), and what follows the first one in small-cnn is rectified.
     */
    @Test
    void theZoosReluAfterBatchNormIsApplied() {
        io.cnnpipeline.training.TrainingConfig base = io.cnnpipeline.training.TrainingFixtures.config("/tmp/unused",
                "r", "nesterov", 0.01, 1, 2, 8, 2, "direct", new io.cnnpipeline.augment.AugmentationPipeline(32,
                        java.util.List.of()));
        int batchNorms = 0;
        for (Network n : Network.values()) {
            io.cnnpipeline.training.TrainingConfig config = io.cnnpipeline.training.TrainingFixtures.with(base,
                    java.util.Map.of("network", n.id()));
            org.deeplearning4j.nn.api.Model m = Networks.create(config, 32, 32, 3, 10);
            org.deeplearning4j.nn.api.Layer[] layers = m instanceof MultiLayerNetwork mln ? mln.getLayers()
                    : ((org.deeplearning4j.nn.graph.ComputationGraph) m).getLayers();
            for (org.deeplearning4j.nn.api.Layer layer : layers) {
                if (layer.conf().getLayer() instanceof BatchNormalization b) {
                    batchNorms++;
                    assertTrue(b.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationIdentity,
                            n.id() + " " + b.getLayerName() + " has activation " + b.getActivationFn());
                }
            }
        }
        assertTrue(batchNorms > 50, "the zoo's batch norms were looked at: " + batchNorms);
        io.cnnpipeline.training.TrainingConfig small = io.cnnpipeline.training.TrainingFixtures.with(base,
                java.util.Map.of("network", "small-cnn"));
        MultiLayerNetwork net = (MultiLayerNetwork) Networks.create(small, 28, 28, 1, 10);
        // Training mode: batch norm normalizes with the minibatch's statistics, so its output is centred.
        java.util.List<INDArray> acts = net.feedForward(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 1,
                28, 28), true);
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i).conf().getLayer() instanceof BatchNormalization) {
                assertTrue(acts.get(i + 1).minNumber().doubleValue() < 0, "batch norm output is centred");
                assertTrue(acts.get(i + 2).minNumber().doubleValue() >= 0, "the layer after it rectifies");
            }
        }
    }
}
