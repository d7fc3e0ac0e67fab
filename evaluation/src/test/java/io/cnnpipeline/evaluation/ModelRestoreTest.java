package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The evaluation restores either kind of DL4J model zip and computes the model's own inference output. */
class ModelRestoreTest {
    private static final INDArray X = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 1, 8, 8);

    @Test
    void aComputationGraphWithAResidualAdditionRestoresAndPredictsAsItself() throws IOException {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).graphBuilder()
                .addInputs("input").setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU)
                        .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).build(), "input")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY)
                        .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).build(), "conv1")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "conv1", "conv2")
                .addLayer("avgpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "add")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "avgpool")
                .setOutputs("output").build());
        graph.init();
        assertArrayEquals(graph.outputSingle(false, X).data().asFloat(),
                EvaluationJob.restore(zip(graph)).apply(X).data().asFloat(), 1e-6f);
    }

    @Test
    void aMultiLayerNetworkRestoresAndPredictsAsItself() throws IOException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1)).build());
        net.init();
        assertArrayEquals(net.output(X, false).data().asFloat(),
                EvaluationJob.restore(zip(net)).apply(X).data().asFloat(), 1e-6f);
    }

    @Test
    void aZipThatIsNoModelIsAnError() {
        assertThrows(IOException.class, () -> EvaluationJob.restore(new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    }

    private static byte[] zip(Model model) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelSerializer.writeModel(model, out, false);
        return out.toByteArray();
    }
}
