package io.cnnpipeline.training.dl4j;

import io.cnnpipeline.training.TrainingFixtures;
import io.cnnpipeline.training.TrainingConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.dl4j.LayerHelpers;
import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The two backward-pass shortcuts of this project's training networks give DL4J's full backward pass's loss and
 * gradients: the first convolution layer without its input gradient ({@code FirstConvolutionHelper}) and convolutions'
 * pre-activations kept from the forward pass ({@code train.cache-mode = device}) instead of recomputed.
 */
class BackwardPassShortcutsTest {
    private static final int MINIBATCH = 8;
    private static final int CLASSES = 3;

    private static TrainingConfig config(String network, String cacheMode) {
        return TrainingFixtures.with(TrainingFixtures.config("unused", "unused", "sgd", 0.01, 1, 1, MINIBATCH, 1,
                "direct", AugmentationPipeline.of(16)), Map.of("network", network, "cacheMode", cacheMode));
    }

    /** Loss and a copy of the flattened gradient of one minibatch. */
    private static Object[] gradient(Model model, INDArray features, INDArray labels) {
        Nd4j.getRandom().setSeed(11);   // the same dropout masks (small-cnn) in both networks
        if (model instanceof MultiLayerNetwork net) {
            net.setInput(features);
            net.setLabels(labels);
            net.computeGradientAndScore();
        } else {
            ComputationGraph graph = (ComputationGraph) model;
            graph.setInputs(features);
            graph.setLabels(labels);
            graph.computeGradientAndScore();
        }
        return new Object[] {model.score(), model.gradient().gradient().dup()};
    }

    private static void assertSameGradient(Object[] expected, Object[] actual) {
        assertEquals((double) expected[0], (double) actual[0], 1e-5, "loss");
        INDArray e = (INDArray) expected[1];
        INDArray a = (INDArray) actual[1];
        double scale = Math.max(1e-3, e.norm2Number().doubleValue());
        double difference = e.sub(a).norm2Number().doubleValue();
        assertTrue(difference / scale < 1e-4, "relative gradient difference " + difference / scale
                + " (|g| = " + scale + ")");
    }

    private static INDArray[] minibatch(int channels, int size) {
        Nd4j.getRandom().setSeed(7);
        INDArray features = Nd4j.randn(DataType.FLOAT, MINIBATCH, channels, size, size);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, MINIBATCH, CLASSES);
        for (int i = 0; i < MINIBATCH; i++) {
            labels.putScalar(i, i % CLASSES, 1f);
        }
        return new INDArray[] {features, labels};
    }

    /** A fresh network from {@code conf}'s kind with {@code params}, built as DL4J builds it (no shortcut). */
    private static Model plainCopy(Model model, INDArray params) {
        if (model instanceof MultiLayerNetwork net) {
            MultiLayerNetwork copy = new MultiLayerNetwork(net.getLayerWiseConfigurations().clone());
            copy.init(params.dup(), true);
            return copy;
        }
        ComputationGraph copy = new ComputationGraph(((ComputationGraph) model).getConfiguration().clone());
        copy.init(params.dup(), true);
        return copy;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet", "small-cnn", "resnet20"})
    void theFirstLayerWithoutItsInputGradientGivesTheSameGradients(String network) {
        Model shortcut = Networks.create(config(network, "none"), 16, 16, 1, CLASSES);
        Model plain = plainCopy(shortcut, shortcut.params());
        org.deeplearning4j.nn.api.Layer first = shortcut instanceof MultiLayerNetwork net ? net.getLayer(0)
                : ((ComputationGraph) shortcut).getLayer("stem_conv");
        assertTrue(FirstConvolutionHelper.isInstalled(first), network + ": first convolution helper installed");
        org.deeplearning4j.nn.api.Layer plainFirst = plain instanceof MultiLayerNetwork net ? net.getLayer(0)
                : ((ComputationGraph) plain).getLayer("stem_conv");
        assertFalse(FirstConvolutionHelper.isInstalled(plainFirst));

        INDArray[] data = minibatch(1, 16);
        for (int step = 0; step < 3; step++) {
            Object[] expected = gradient(plain, data[0], data[1]);
            assertSameGradient(expected, gradient(shortcut, data[0], data[1]));
            // Move both networks the same way, so later steps compare at other parameters.
            INDArray next = shortcut.params().sub(((INDArray) expected[1]).mul(0.05));
            shortcut.setParams(next);
            plain.setParams(next.dup());
        }
    }

    @ParameterizedTest
    @CsvSource({
        // An ImageNet-style stem: 7x7, stride 2, Same padding (3 on every side), RGB input of odd size.
        "7, 2, 19, Same, true",
        // Same padding 0 at the top/left and 1 at the bottom/right: answered by oneDNN's full backward pass.
        "3, 2, 16, Same, true",
        // Truncate with a stride that leaves the last input row unused, and explicit padding.
        "3, 2, 18, Truncate, true",
        // Without a bias (as in the ResNets): one convolution (16x16 output) and oneDNN's path (40x40 > 32x32).
        "3, 1, 16, Same, false",
        "3, 1, 40, Same, false",
    })
    void stridedAndPaddedFirstConvolutionsGiveTheSameGradients(int kernel, int stride, int size, String mode,
                                                               boolean bias) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1))
                .convolutionMode(ConvolutionMode.valueOf(mode)).list()
                .layer(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(1, 1).nOut(6)
                        .hasBias(bias).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(size, size, 3)).build();
        LayerHelpers.enable();
        MultiLayerNetwork shortcut = new MultiLayerNetwork(conf.clone());
        shortcut.init();
        assertEquals(1, FirstConvolutionHelper.install(shortcut));
        assertEquals(0, FirstConvolutionHelper.install(shortcut), "installs once");
        MultiLayerNetwork plain = (MultiLayerNetwork) plainCopy(shortcut, shortcut.params());
        INDArray[] data = minibatch(3, size);
        assertSameGradient(gradient(plain, data[0], data[1]), gradient(shortcut, data[0], data[1]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet", "small-cnn", "resnet20"})
    void keptPreActivationsGiveTheSameGradientsAsRecomputedOnes(String network) {
        Model cached = Networks.create(config(network, "device"), 16, 16, 1, CLASSES);
        Model recomputed = Networks.create(config(network, "none"), 16, 16, 1, CLASSES);
        recomputed.setParams(cached.params().dup());
        INDArray[] data = minibatch(1, 16);
        INDArray[] other = minibatch(1, 16);
        other[0].muli(-0.5);
        // Two different minibatches in turn: a pre-activation kept from the previous forward pass must not leak.
        for (INDArray[] batch : new INDArray[][] {data, other, data}) {
            assertSameGradient(gradient(recomputed, batch[0], batch[1]), gradient(cached, batch[0], batch[1]));
        }
    }
}
