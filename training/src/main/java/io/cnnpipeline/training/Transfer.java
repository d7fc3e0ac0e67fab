package io.cnnpipeline.training;

import io.cnnpipeline.preprocessing.HadoopFiles;
import io.cnnpipeline.preprocessing.InvalidConfigException;
import java.io.ByteArrayInputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfer learning with DL4J's {@code TransferLearning} API: load a trained MultiLayerNetwork, freeze the layers up
 * to a named one ({@code FrozenLayer}: their parameters never change), replace the output layer for this dataset's
 * classes, and apply this run's updater, weight decay and seed to the layers that train (a
 * {@code FineTuneConfiguration}). Per-layer learning-rate multipliers are applied with the schedule every epoch.
 * Driver-side.
 */
final class Transfer {
    private static final Logger LOG = LoggerFactory.getLogger(Transfer.class);

    private Transfer() {
    }

    /**
     * The network to fine-tune.
     *
     * @throws InvalidConfigException if the model cannot be read, has no layer named {@code freeze-up-to}, or does
     *                                not take {@code channels × size × size} inputs
     */
    static MultiLayerNetwork build(TrainingConfig config, Configuration hadoop, int size, int channels, int classes) {
        TrainingConfig.Transfer t = config.transfer();
        MultiLayerNetwork pretrained;
        try {
            FileSystem fs = HadoopFiles.fs(t.from(), hadoop);
            LayerHelpers.enable();
            pretrained = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(
                    HadoopFiles.read(fs, fs.makeQualified(new Path(t.from())))), false);
        } catch (Exception e) {
            throw new InvalidConfigException("train.transfer.from", "cannot be read as a DL4J MultiLayerNetwork zip: "
                    + e.getMessage(), t.from());
        }
        int layers = pretrained.getnLayers();
        int freeze = -1;
        if (!t.freezeUpTo().isEmpty()) {
            for (int i = 0; i < layers; i++) {
                if (t.freezeUpTo().equals(pretrained.getLayer(i).conf().getLayer().getLayerName())) {
                    freeze = i;
                }
            }
            InvalidConfigException.require(freeze >= 0, "train.transfer.freeze-up-to", "is not a layer of the model "
                    + "(layers: " + names(pretrained) + ")", t.freezeUpTo());
            InvalidConfigException.require(freeze < layers - 1 || !t.replaceOutput(), "train.transfer.freeze-up-to",
                    "would freeze the output layer that replace-output replaces", t.freezeUpTo());
        }
        for (String name : t.lrMultipliers().keySet()) {
            InvalidConfigException.require(names(pretrained).contains(name), "train.transfer.lr-multipliers." + name,
                    "is not a layer of the model (layers: " + names(pretrained) + ")", name);
        }
        FineTuneConfiguration.Builder fine = new FineTuneConfiguration.Builder().updater(Networks.updater(config))
                .seed(config.seed());
        if (config.weightDecay() > 0 && !config.lars()) {
            fine.l2(config.weightDecay());
        }
        TransferLearning.Builder builder = new TransferLearning.Builder(pretrained)
                .fineTuneConfiguration(fine.build());
        if (freeze >= 0) {
            builder.setFeatureExtractor(freeze);
        }
        if (t.replaceOutput()) {
            org.deeplearning4j.nn.conf.layers.Layer output = pretrained.getLayer(layers - 1).conf().getLayer();
            long nIn = output instanceof FeedForwardLayer ff ? ff.getNIn() : 0;
            InvalidConfigException.require(nIn > 0, "train.transfer.replace-output", "the model's last layer is not "
                    + "a dense output layer", output.getClass().getSimpleName());
            builder.removeOutputLayer().addLayer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .name(output.getLayerName() == null ? "output" : output.getLayerName()).nIn(nIn).nOut(classes)
                    .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build());
        }
        MultiLayerNetwork net = builder.build();
        try {
            long out = net.output(Nd4j.zeros(1, channels, size, size)).size(1);
            InvalidConfigException.require(out == classes, "train.transfer.replace-output", "the model has " + out
                    + " outputs but the dataset " + classes + " classes; set replace-output = true", false);
        } catch (InvalidConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidConfigException("train.transfer.from", "does not take " + channels + "x" + size + "x"
                    + size + " inputs (train.input-size, the dataset's channels): " + e.getMessage(), t.from());
        }
        LOG.info("train: transfer from {}: {} layers, frozen up to {}, output {}", t.from(), layers,
                freeze >= 0 ? t.freezeUpTo() : "(none)", t.replaceOutput() ? "replaced for " + classes + " classes"
                        : "kept");
        return net;
    }

    /**
     * Installs the epoch's learning rate on every trainable layer, times the layer's multiplier; frozen layers have
     * no updater to schedule.
     */
    static void setLearningRates(MultiLayerNetwork net, LearningRateSchedule.EpochRates rates,
                                 Map<String, Double> multipliers) {
        if (multipliers.isEmpty() && !hasFrozen(net)) {
            net.setLearningRate(rates);
            return;
        }
        for (int i = 0; i < net.getnLayers(); i++) {
            Layer layer = net.getLayer(i);
            if (!(layer.conf().getLayer() instanceof BaseLayer)) {
                continue;   // frozen (FrozenLayer wraps it) or without parameters
            }
            String name = layer.conf().getLayer().getLayerName();
            net.setLearningRate(i, rates.times(multipliers.getOrDefault(name, 1.0)));
        }
    }

    private static boolean hasFrozen(MultiLayerNetwork net) {
        for (Layer l : net.getLayers()) {
            if (l instanceof org.deeplearning4j.nn.layers.FrozenLayer) {
                return true;
            }
        }
        return false;
    }

    private static java.util.List<String> names(MultiLayerNetwork net) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (Layer l : net.getLayers()) {
            org.deeplearning4j.nn.conf.layers.Layer c = l.conf().getLayer();
            names.add(c instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer f
                    ? f.getLayer().getLayerName() : c.getLayerName());
        }
        return names;
    }
}
