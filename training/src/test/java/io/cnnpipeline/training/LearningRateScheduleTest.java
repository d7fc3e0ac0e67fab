package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cnnpipeline.core.InvalidConfigException;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LearningRateScheduleTest {
    private static final double EPS = 1e-12;

    private static LearningRateSchedule schedule(String type, List<Double> milestones, double gamma, double power,
                                                 double minLr, double warmup, double startFactor) {
        return new LearningRateSchedule(io.cnnpipeline.core.config.ConfigEnum.parse(LearningRateSchedule.Type.class, type), milestones, gamma, power, minLr, warmup, startFactor, 0, 0.1);
    }

    @Test
    void eachScheduleHasItsDefinedValueAtGivenEpochs() {
        LearningRateSchedule constant = LearningRateSchedule.CONSTANT;
        assertEquals(0.1, constant.at(0.1, 0, 90), EPS);
        assertEquals(0.1, constant.at(0.1, 89.9, 90), EPS);

        // ResNet on ImageNet: 0.1, divided by 10 at epochs 30, 60 and 80
        LearningRateSchedule step = schedule("step", List.of(30.0, 60.0, 80.0), 0.1, 1, 0, 0, 0);
        assertEquals(0.1, step.at(0.1, 29.99, 90), EPS);
        assertEquals(0.01, step.at(0.1, 30, 90), EPS);
        assertEquals(0.001, step.at(0.1, 60.5, 90), EPS);
        assertEquals(0.0001, step.at(0.1, 89, 90), EPS);

        LearningRateSchedule exponential = schedule("exponential", List.of(), 0.9, 1, 0, 0, 0);
        assertEquals(0.1 * Math.pow(0.9, 2.5), exponential.at(0.1, 2.5, 10), EPS);

        LearningRateSchedule poly = schedule("polynomial", List.of(), 0.1, 2, 0.001, 0, 0);
        assertEquals(0.1, poly.at(0.1, 0, 10), EPS);
        assertEquals(0.001 + (0.1 - 0.001) * 0.25, poly.at(0.1, 5, 10), EPS);
        assertEquals(0.001, poly.at(0.1, 10, 10), EPS);

        LearningRateSchedule cosine = schedule("cosine", List.of(), 0.1, 1, 0, 0, 0);
        assertEquals(0.1, cosine.at(0.1, 0, 10), EPS);
        assertEquals(0.05, cosine.at(0.1, 5, 10), EPS);
        assertEquals(0.1 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), cosine.at(0.1, 2.5, 10), EPS);
        assertEquals(0, cosine.at(0.1, 10, 10), EPS);
    }

    @Test
    void gradualWarmupRampsLinearlyToTheScaledRateThenTheScheduleTakesOver() {
        // Goyal et al.: global batch 8192 = 32 x 256, base 0.1 per 256 -> 3.2, warmup 5 epochs from 0.1
        double base = LearningRateSchedule.scaled(0.1, 8192, 256);
        assertEquals(3.2, base, EPS);
        assertEquals(0.1, LearningRateSchedule.scaled(0.1, 8192, 0), EPS, "0 = no scaling");
        LearningRateSchedule warm = schedule("step", List.of(30.0, 60.0, 80.0), 0.1, 1, 0, 5, 256.0 / 8192);
        assertEquals(0.1, warm.at(base, 0, 90), EPS);
        assertEquals(0.1 + (3.2 - 0.1) * 2.5 / 5, warm.at(base, 2.5, 90), EPS);
        assertEquals(3.2, warm.at(base, 5, 90), EPS);
        assertEquals(0.32, warm.at(base, 31, 90), EPS);
        // cosine after warmup decays over the remaining epochs
        LearningRateSchedule warmCosine = schedule("cosine", List.of(), 0.1, 1, 0, 2, 0);
        assertEquals(0.0, warmCosine.at(1.0, 0, 12), EPS);
        assertEquals(0.5, warmCosine.at(1.0, 1, 12), EPS);
        assertEquals(1.0, warmCosine.at(1.0, 2, 12), EPS);
        assertEquals(0.5, warmCosine.at(1.0, 7, 12), EPS);
    }

    @Test
    void epochRatesMapGlobalIterationsToFractionalEpochsAndTravelInTheNetworkConfiguration() {
        LearningRateSchedule warm = schedule("constant", List.of(), 0.1, 1, 0, 2, 0);
        // epoch index 1 (the second), starting at iteration 100, 50 iterations long, plateau factor 0.5
        LearningRateSchedule.EpochRates rates = new LearningRateSchedule.EpochRates(warm, 0.4, 0.5, 10, 1, 100, 50);
        assertEquals(1.0, rates.epochAt(100), EPS);
        assertEquals(1.5, rates.epochAt(125), EPS);
        assertEquals(2.0, rates.epochAt(400), EPS, "clamped to the epoch");
        assertEquals(0.5 * 0.4 * 1.5 / 2, rates.valueAt(125, 1), EPS);

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().updater(new Nesterovs(0.01, 0.9)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.setLearningRate(rates);
        // what dl4j-spark sends to the workers: the configuration as JSON
        MultiLayerConfiguration copy = MultiLayerConfiguration.fromJson(net.getLayerWiseConfigurations().toJson());
        for (int layer = 0; layer < 2; layer++) {
            Nesterovs updater = (Nesterovs) ((BaseLayer) copy.getConf(layer).getLayer()).getIUpdater();
            assertEquals(rates, updater.getLearningRateSchedule());
            assertEquals(rates.valueAt(125, 1), updater.getLearningRate(125, 1), EPS);
        }
    }

    @Test
    void invalidSchedulesNameTheirKey() {
        assertEquals("train.lr-schedule.type", assertThrows(InvalidConfigException.class,
                () -> TrainingConfig.LR_SCHEDULE_TYPE.read(com.typesafe.config.ConfigFactory.parseString(
                        "train.lr-schedule.type = linear"))).key());
        assertEquals("train.lr-schedule.milestones", assertThrows(InvalidConfigException.class,
                () -> schedule("step", List.of(), 0.1, 1, 0, 0, 0)).key());
        assertEquals("train.lr-schedule.milestones", assertThrows(InvalidConfigException.class,
                () -> schedule("step", List.of(60.0, 30.0), 0.1, 1, 0, 0, 0)).key());
        assertEquals("train.lr-schedule.gamma", assertThrows(InvalidConfigException.class,
                () -> schedule("exponential", List.of(), 1.5, 1, 0, 0, 0)).key());
        assertEquals("train.lr-schedule.warmup-start-factor", assertThrows(InvalidConfigException.class,
                () -> schedule("constant", List.of(), 0.1, 1, 0, 1, 2)).key());
        assertEquals("train.lr-schedule.plateau-factor", assertThrows(InvalidConfigException.class,
                () -> new LearningRateSchedule(LearningRateSchedule.Type.CONSTANT, List.of(), 0.1, 1, 0, 0, 0, 2, 1.0)).key());
    }
}
