package io.cnnpipeline.training.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class OrthogonalInitTest {
    private static MultiLayerNetwork net(long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
                .weightInit(new OrthogonalInit(Math.sqrt(2))).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 2))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.toJson()));
        net.init();
        return net;
    }

    private static void assertScaledIdentity(INDArray product, double gainSquared, String what) {
        INDArray expected = Nd4j.eye(product.rows()).castTo(DataType.DOUBLE).mul(gainSquared);
        assertEquals(0, product.sub(expected).amaxNumber().doubleValue(), 1e-9, what);
    }

    @Test
    void weightsAreScaledOrthonormalMatricesDrawnFromTheNetworkSeed() {
        MultiLayerNetwork net = net(11);
        // conv [6, 2, 3, 3] as 6 x 18: orthonormal rows
        INDArray conv = net.getParam("0_W").reshape('c', 6, 18);
        assertScaledIdentity(conv.mmul(conv.transpose()), 2, "conv rows");
        // dense [nIn = 6*2*2 = 24, nOut = 5]: orthonormal columns
        INDArray dense = net.getParam("1_W");
        assertEquals(24, dense.rows());
        assertScaledIdentity(dense.transpose().mmul(dense), 2, "dense columns");
        // reproducible from the seed, different for another
        assertEquals(net.params(), net(11).params());
        assertTrue(net.params().sub(net(12).params()).amaxNumber().doubleValue() > 1e-3);
    }
}
