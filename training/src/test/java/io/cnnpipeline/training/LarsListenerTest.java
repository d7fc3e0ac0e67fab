package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.PadCrop;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LarsListenerTest {
    private static MultiLayerNetwork net(double lr) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE)
                .updater(new Sgd(lr)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void oneSgdStepIsLarsStepLayerByLayer() {
        double lr = 0.5;
        double eta = 0.01;
        double beta = 0.001;
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 8, 6);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 8, 3);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        DataSet data = new DataSet(x, y);

        // the raw gradient at the starting parameters
        MultiLayerNetwork probe = net(lr);
        probe.setInput(x);
        probe.setLabels(y);
        probe.computeGradientAndScore();
        MultiLayerNetwork trained = net(lr);
        MultiLayerNetwork start = trained.clone();
        trained.setListeners(new LarsListener(eta, beta));
        trained.fit(data);

        LarsListener lars = new LarsListener(eta, beta);
        for (String key : List.of("0_W", "1_W", "0_b", "1_b")) {
            INDArray w = start.getParam(key);
            // DL4J's gradient is the minibatch's sum; the updater divides it by the minibatch size
            INDArray g = probe.gradient().getGradientFor(key).div(8);
            INDArray expected;
            if (key.endsWith("_W")) {
                double trust = lars.trust(w.norm2Number().doubleValue(), g.norm2Number().doubleValue());
                // w - lr * trust * (g + beta w)
                expected = w.sub(g.add(w.mul(beta)).mul(trust * lr));
                assertTrue(trust < 0.5 && trust > 0, key + " trust " + trust);
            } else {
                expected = w.sub(g.mul(lr));    // biases: plain SGD
            }
            INDArray actual = trained.getParam(key);
            assertEquals(0, expected.sub(actual).norm2Number().doubleValue(), 1e-12, key);
        }
    }

    @Test
    void trainingWithLarsOnSparkRunsItOnTheWorkers(@TempDir Path runs) throws Exception {
        // With LARS the weights move by about lr x eta x |w| per step whatever the gradient's size; a tiny eta freezes
        // them (and the run's accuracy stays near chance), a normal one trains.
        AugmentationPipeline aug = new AugmentationPipeline(16, List.of(
                new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0)));
        TrainingConfig frozen = TrainingFixtures.withLars(TrainingFixtures.config(runs.toString(), "lars-frozen", "sgd",
                0.1, 1, 2, 8, 2, "direct", aug), 1e-9, 0.0);
        TrainingConfig moving = TrainingFixtures.withLars(TrainingFixtures.config(runs.toString(), "lars", "sgd",
                1.0, 1, 2, 8, 2, "direct", aug), 0.02, 0.0005);
        TrainingJob.run(TestSpark.get(), frozen, "");
        TrainingJob.run(TestSpark.get(), moving, "");
        MultiLayerNetwork init = new MultiLayerNetwork(Networks.build(frozen, 16, 16, 1, 3));
        init.init();
        double frozenMoved = maxChange(init, runs.resolve("lars-frozen"));
        double moved = maxChange(init, runs.resolve("lars"));
        assertTrue(frozenMoved < 1e-6, "eta 1e-9 leaves the weights where they started: " + frozenMoved);
        assertTrue(moved > 1e-3, "eta 0.02 moves them: " + moved);
    }

    private static double maxChange(MultiLayerNetwork init, Path run) throws Exception {
        MultiLayerNetwork trained = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                run.resolve("model.zip").toFile(), false);
        double max = 0;
        for (String key : init.paramTable().keySet()) {
            if (key.endsWith("_W")) {
                max = Math.max(max, init.getParam(key).sub(trained.getParam(key)).amaxNumber().doubleValue());
            }
        }
        return max;
    }
}
