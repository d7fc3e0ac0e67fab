package io.cnnpipeline.training;

import io.cnnpipeline.training.dl4j.JvmSettings;
import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.InvalidConfigException;
import java.io.ByteArrayInputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
 * Transfer learning with DL4J's {@code TransferLearning} API: load a trained MultiLayerNetwork or ComputationGraph,
 * freeze the layers up to a named one ({@code FrozenLayer}: their parameters never change), replace the output layer
 * for this dataset's classes, and apply this run's updater, weight decay and seed to the layers that train (a
 * {@code FineTuneConfiguration}). Per-layer learning-rate multipliers are applied with the schedule every epoch.
 * Driver-side.
 */
final class Transfer {
    private static final Logger LOG = LoggerFactory.getLogger(Transfer.class);

    private Transfer() {
    }

    /**
     * The network to fine-tune: a MultiLayerNetwork or a ComputationGraph, as the zip holds.
     *
     * @throws InvalidConfigException if the model cannot be read, has no layer named {@code freeze-up-to}, or does
     *                                not take {@code channels × size × size} inputs
     */
    static TrainableNetwork build(TrainingConfig config, Configuration hadoop, int size, int channels, int classes) {
        TrainingConfig.Transfer t = config.transfer();
        byte[] zip;
        boolean graph;
        try {
            FileSystem fs = HadoopFiles.fs(t.from(), hadoop);
            zip = HadoopFiles.read(fs, fs.makeQualified(new Path(t.from())));
            graph = TrainableNetwork.isGraphZip(zip);
        } catch (Exception e) {
            throw new InvalidConfigException("train.transfer.from", "cannot be read as a DL4J model zip: "
                    + e.getMessage(), t.from());
        }
        JvmSettings.install();
        TrainableNetwork net = graph ? TrainableNetwork.of(buildGraph(config, zip, classes))
                : TrainableNetwork.of(buildMultiLayer(config, zip, classes));
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
        return net;
    }

    private static FineTuneConfiguration fineTune(TrainingConfig config) {
        FineTuneConfiguration.Builder fine = new FineTuneConfiguration.Builder().updater(Networks.updater(config))
                .seed(config.seed());
        if (config.weightDecay() > 0 && !config.lars()) {
            fine.l2(config.weightDecay());
        }
        return fine.build();
    }

    private static MultiLayerNetwork buildMultiLayer(TrainingConfig config, byte[] zip, int classes) {
        TrainingConfig.Transfer t = config.transfer();
        MultiLayerNetwork pretrained;
        try {
            pretrained = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), false);
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
        requireLayers(t, names(pretrained));
        TransferLearning.Builder builder = new TransferLearning.Builder(pretrained)
                .fineTuneConfiguration(fineTune(config));
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
        LOG.info("train: transfer from {}: {} layers, frozen up to {}, output {}", t.from(), layers,
                freeze >= 0 ? t.freezeUpTo() : "(none)", t.replaceOutput() ? "replaced for " + classes + " classes"
                        : "kept");
        return net;
    }

    /**
     * A ComputationGraph to fine-tune with {@code TransferLearning.GraphBuilder}: {@code freeze-up-to} names a vertex,
     * which is frozen with every vertex on a path from the input to it; the output layer keeps its name, loss and
     * activation and gets {@code classes} outputs with new Xavier-initialized weights ({@code nOutReplace}).
     */
    private static ComputationGraph buildGraph(TrainingConfig config, byte[] zip, int classes) {
        TrainingConfig.Transfer t = config.transfer();
        ComputationGraph pretrained;
        try {
            pretrained = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), false);
        } catch (Exception e) {
            throw new InvalidConfigException("train.transfer.from", "cannot be read as a DL4J ComputationGraph zip: "
                    + e.getMessage(), t.from());
        }
        java.util.List<String> outputs = pretrained.getConfiguration().getNetworkOutputs();
        InvalidConfigException.require(outputs.size() == 1, "train.transfer.from", "must have one output (it has "
                + outputs + ")", t.from());
        String output = outputs.get(0);
        java.util.List<String> layers = new java.util.ArrayList<>();
        for (Layer l : pretrained.getLayers()) {
            layers.add(l.conf().getLayer().getLayerName());
        }
        if (!t.freezeUpTo().isEmpty()) {
            InvalidConfigException.require(pretrained.getConfiguration().getVertices().containsKey(t.freezeUpTo()),
                    "train.transfer.freeze-up-to", "is not a vertex of the model (layers: " + layers + ")",
                    t.freezeUpTo());
            InvalidConfigException.require(!t.freezeUpTo().equals(output) || !t.replaceOutput(),
                    "train.transfer.freeze-up-to", "would freeze the output layer that replace-output replaces",
                    t.freezeUpTo());
        }
        requireLayers(t, layers);
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(pretrained)
                .fineTuneConfiguration(fineTune(config));
        if (!t.freezeUpTo().isEmpty()) {
            builder.setFeatureExtractor(t.freezeUpTo());
        }
        if (t.replaceOutput()) {
            org.deeplearning4j.nn.conf.layers.Layer out = pretrained.getLayer(output).conf().getLayer();
            InvalidConfigException.require(out instanceof org.deeplearning4j.nn.conf.layers.BaseOutputLayer,
                    "train.transfer.replace-output", "the model's output vertex is not an output layer",
                    out.getClass().getSimpleName());
            builder.nOutReplace(output, classes, WeightInit.XAVIER);
        }
        ComputationGraph net = builder.build();
        LOG.info("train: transfer from {}: graph of {} layers, frozen up to {}, output {}", t.from(), layers.size(),
                t.freezeUpTo().isEmpty() ? "(none)" : t.freezeUpTo(), t.replaceOutput() ? "replaced for " + classes
                        + " classes" : "kept");
        return net;
    }

    private static void requireLayers(TrainingConfig.Transfer t, java.util.List<String> layers) {
        for (String name : t.lrMultipliers().keySet()) {
            InvalidConfigException.require(layers.contains(name), "train.transfer.lr-multipliers." + name,
                    "is not a layer of the model (layers: " + layers + ")", name);
        }
    }

    /**
     * Installs the epoch's learning rate on every trainable layer, times the layer's multiplier; frozen layers have
     * no updater to schedule.
     */
    static void setLearningRates(MultiLayerNetwork net, LearningRateSchedule.EpochRates rates,
                                 Map<String, Double> multipliers) {
        if (multipliers.values().stream().allMatch(m -> m == 1.0)) {
            // One schedule for every trainable layer (frozen ones have none): DL4J sets it on each layer and rebuilds
            // the updater once. Setting it layer by layer instead makes DL4J rebuild its updater blocks after each
            // layer, and with frozen layers that rebuild fails (NetworkUtils.rebuildUpdaterStateArray looks up the
            // state of a frozen parameter, which has none: NullPointerException).
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
