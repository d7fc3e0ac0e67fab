package io.cnnpipeline.training;

import io.cnnpipeline.training.dl4j.JvmSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A network the training job drives: a DL4J {@code MultiLayerNetwork} (sequential networks) or a
 * {@code ComputationGraph} (residual and Inception-style networks, {@code GraphNetworks}), with one input and one
 * softmax output. dl4j-spark trains the first through {@code SparkDl4jMultiLayer} and the second through
 * {@code SparkComputationGraph}, with the same parameter-averaging master.
 */
public final class TrainableNetwork {
    private final MultiLayerNetwork net;
    private final ComputationGraph graph;

    private TrainableNetwork(MultiLayerNetwork net, ComputationGraph graph) {
        this.net = net;
        this.graph = graph;
    }

    /**
     * @throws IllegalArgumentException for a model that is neither a MultiLayerNetwork nor a ComputationGraph
     */
    public static TrainableNetwork of(Model model) {
        if (model instanceof MultiLayerNetwork m) {
            return new TrainableNetwork(m, null);
        }
        if (model instanceof ComputationGraph g) {
            return new TrainableNetwork(null, g);
        }
        throw new IllegalArgumentException("Cannot train a " + model.getClass().getName());
    }

    /**
     * Restores a DL4J {@code ModelSerializer} zip of either kind (the kind is read from its
     * {@code configuration.json}: a graph configuration has {@code vertices}).
     *
     * @param loadUpdater whether to restore the updater state (to continue training)
     * @throws IOException if the zip cannot be read as a DL4J model
     */
    public static TrainableNetwork restore(byte[] zip, boolean loadUpdater) throws IOException {
        JvmSettings.install();
        if (isGraphZip(zip)) {
            return new TrainableNetwork(null,
                    ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), loadUpdater));
        }
        return new TrainableNetwork(ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip),
                loadUpdater), null);
    }

    /** Whether a ModelSerializer zip holds a ComputationGraph. */
    static boolean isGraphZip(byte[] zip) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals("configuration.json")) {
                    String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    return io.cnnpipeline.core.Json.MAPPER.readTree(json).has("vertices");
                }
            }
        }
        throw new IOException("not a DL4J model zip: it has no configuration.json");
    }

    public Model model() {
        return net != null ? net : graph;
    }

    public boolean isGraph() {
        return graph != null;
    }

    /** The MultiLayerNetwork, or null for a graph. */
    public MultiLayerNetwork multiLayer() {
        return net;
    }

    /** Iterations (minibatch updates) so far, as DL4J counts them in the configuration. */
    public int iterationCount() {
        return net != null ? net.getIterationCount() : graph.getIterationCount();
    }

    /** Sets the iteration count DL4J keeps in the configuration (schedules and checkpoints read it). */
    public void setIterationCount(int iterations) {
        if (net != null) {
            net.setIterationCount(iterations);
        } else {
            graph.getConfiguration().setIterationCount(iterations);
        }
    }

    public long numParams() {
        return model().numParams();
    }

    /** All parameters as one flattened view, float32. */
    public INDArray params() {
        return model().params();
    }

    /** Class probabilities [N, classes] for NCHW inputs, inference mode. */
    public INDArray output(INDArray features) {
        return net != null ? net.output(features, false) : graph.outputSingle(false, features);
    }

    /** One updater step on a minibatch, in this JVM (NCHW float32 features, one-hot labels). */
    public void fit(DataSet minibatch) {
        if (net != null) {
            net.fit(minibatch);
        } else {
            graph.fit(minibatch);
        }
    }

    /** The ModelSerializer zip of the network with its updater state. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(model(), out, true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot serialize model", e);
        }
        return out.toByteArray();
    }

    /**
     * Installs an epoch's learning-rate schedule, times a multiplier per named layer (1 for layers not named).
     */
    public void setLearningRates(LearningRateSchedule.EpochRates rates, Map<String, Double> multipliers) {
        if (net != null) {
            Transfer.setLearningRates(net, rates, multipliers);
            return;
        }
        if (multipliers.values().stream().allMatch(m -> m == 1.0)) {
            graph.setLearningRate(rates);   // one schedule for every trainable layer (see Transfer.setLearningRates)
            return;
        }
        for (Layer layer : graph.getLayers()) {
            if (!(layer.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer)) {
                continue;   // frozen (FrozenLayer wraps it) or without parameters
            }
            String name = layer.conf().getLayer().getLayerName();
            graph.setLearningRate(name, rates.times(multipliers.getOrDefault(name, 1.0)));
        }
    }

    /** dl4j-spark's wrapper of this network with a training master. */
    public Spark spark(JavaSparkContext jsc, TrainingMaster<?, ?> master) {
        return new Spark(net != null ? new SparkDl4jMultiLayer(jsc, net, master) : null,
                graph != null ? new SparkComputationGraph(jsc, graph, master) : null);
    }

    /** The Spark side: fit an RDD of minibatches, its score, distributed evaluation, timing statistics. */
    public static final class Spark {
        private final SparkDl4jMultiLayer multiLayer;
        private final SparkComputationGraph graph;

        private Spark(SparkDl4jMultiLayer multiLayer, SparkComputationGraph graph) {
            this.multiLayer = multiLayer;
            this.graph = graph;
        }

        /** One pass of parameter-averaging training over the minibatches. */
        public void fit(JavaRDD<DataSet> minibatches) {
            if (multiLayer != null) {
                multiLayer.fit(minibatches);
            } else {
                graph.fit(minibatches);
            }
        }

        /**
         * The loss of the last fit as dl4j-spark reports it: with parameter averaging, the mean minibatch loss of the
         * last averaging round; with gradient sharing, the loss of each worker's last minibatch, averaged over the
         * workers (its master sets that on the network, not on the Spark wrapper).
         */
        public double score() {
            if (trainingMaster() instanceof org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster) {
                return multiLayer != null ? multiLayer.getNetwork().score() : graph.getNetwork().score();
            }
            return multiLayer != null ? multiLayer.getScore() : graph.getScore();
        }

        public Evaluation evaluate(JavaRDD<DataSet> minibatches) {
            return multiLayer != null ? multiLayer.evaluate(minibatches) : graph.evaluate(minibatches);
        }

        public void setCollectTrainingStats(boolean collect) {
            if (multiLayer != null) {
                multiLayer.setCollectTrainingStats(collect);
            } else {
                graph.setCollectTrainingStats(collect);
            }
        }

        public SparkTrainingStats trainingStats() {
            return multiLayer != null ? multiLayer.getSparkTrainingStats() : graph.getSparkTrainingStats();
        }

        public TrainingMaster<?, ?> trainingMaster() {
            return multiLayer != null ? multiLayer.getTrainingMaster() : graph.getTrainingMaster();
        }
    }
}
