package io.cnnpipeline.training;

import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * dl4j-spark's {@code ParameterAveragingTrainingMaster} whose workers keep their network between averaging rounds.
 *
 * <p>dl4j-spark builds a new network in every task of every averaging round: the configuration is cloned, every
 * layer, its helper and the updater are created, and the first minibatch on the new network runs while DL4J's
 * workspaces learn their sizes. Here each executor task thread keeps the network it trained in its last round and, in
 * the next, takes the round's broadcast parameters, updater state and iteration and epoch counts into it, which is
 * what a newly built network would start from. A network is built anew when the broadcast configuration differs from
 * the kept one in anything but those counts (a new epoch's learning-rate schedule or batch size, another network), and
 * dl4j-spark's own worker is used when it must configure listeners or collect training statistics per round. Memory:
 * one network with its workspaces per executor task thread stays allocated after training, until the next network
 * replaces it or the JVM ends.
 *
 * <p>Built with {@link #of(ParameterAveragingTrainingMaster.Builder)}; everything else is dl4j-spark's.
 */
public final class KeptNetworksTrainingMaster extends ParameterAveragingTrainingMaster {
    private static final long serialVersionUID = 1L;

    private KeptNetworksTrainingMaster(ParameterAveragingTrainingMaster.Builder builder) {
        super(builder);
    }

    /** The master configured by {@code builder}. */
    public static KeptNetworksTrainingMaster of(ParameterAveragingTrainingMaster.Builder builder) {
        return new KeptNetworksTrainingMaster(builder);
    }

    private boolean keepNetworks() {
        return !collectTrainingStats && (listeners == null || listeners.isEmpty());
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkDl4jMultiLayer network) {
        if (!keepNetworks()) {
            return super.getWorkerInstance(network);
        }
        NetBroadcastTuple tuple = new NetBroadcastTuple(network.getNetwork().getLayerWiseConfigurations(),
                network.getNetwork().params(), network.getNetwork().getUpdater().getStateViewArray());
        return new Worker(network.getSparkContext().broadcast(tuple), saveUpdater,
                new WorkerConfiguration(false, rddDataSetNumExamples, batchSizePerWorker, averagingFrequency,
                        prefetchNumBatches, false), trainingHookList);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        if (!keepNetworks()) {
            return super.getWorkerInstance(graph);
        }
        NetBroadcastTuple tuple = new NetBroadcastTuple(graph.getNetwork().getConfiguration(),
                graph.getNetwork().params(), graph.getNetwork().getUpdater().getStateViewArray());
        return new Worker(graph.getSparkContext().broadcast(tuple), saveUpdater,
                new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker, averagingFrequency,
                        prefetchNumBatches, false), trainingHookList);
    }

    /** A parameter-averaging worker that reuses its task thread's network of the last round. */
    static final class Worker extends ParameterAveragingTrainingWorker {
        private static final long serialVersionUID = 1L;
        private static final ThreadLocal<MultiLayerNetwork> KEPT_NETWORK = new ThreadLocal<>();
        private static final ThreadLocal<ComputationGraph> KEPT_GRAPH = new ThreadLocal<>();
        /** Rounds in this JVM that built a network, and that reused one (for tests and logs). */
        static final java.util.concurrent.atomic.AtomicLong BUILT = new java.util.concurrent.atomic.AtomicLong();
        static final java.util.concurrent.atomic.AtomicLong REUSED = new java.util.concurrent.atomic.AtomicLong();

        private final Broadcast<NetBroadcastTuple> broadcast;

        Worker(Broadcast<NetBroadcastTuple> broadcast, boolean saveUpdater, WorkerConfiguration configuration,
               java.util.Collection<TrainingHook> hooks) {
            super(broadcast, saveUpdater, configuration, hooks, null, null);
            this.broadcast = broadcast;
        }

        @Override
        public MultiLayerNetwork getInitialModel() {
            NetBroadcastTuple tuple = broadcast.getValue();
            MultiLayerNetwork kept = KEPT_NETWORK.get();
            if (kept != null && sameExceptCounts(kept.getLayerWiseConfigurations(), tuple.getConfiguration())) {
                kept.setParams(tuple.getParameters());
                assignUpdaterState(kept.getUpdater() == null ? null : kept.getUpdater().getStateViewArray(),
                        tuple.getUpdaterState());
                kept.getLayerWiseConfigurations().setIterationCount(tuple.getConfiguration().getIterationCount());
                kept.getLayerWiseConfigurations().setEpochCount(tuple.getConfiguration().getEpochCount());
                REUSED.incrementAndGet();
                return kept;
            }
            MultiLayerNetwork built = super.getInitialModel();
            KEPT_NETWORK.set(built);
            BUILT.incrementAndGet();
            return built;
        }

        @Override
        public ComputationGraph getInitialModelGraph() {
            NetBroadcastTuple tuple = broadcast.getValue();
            ComputationGraph kept = KEPT_GRAPH.get();
            if (kept != null && sameExceptCounts(kept.getConfiguration(), tuple.getGraphConfiguration())) {
                kept.setParams(tuple.getParameters());
                assignUpdaterState(kept.getUpdater() == null ? null : kept.getUpdater().getStateViewArray(),
                        tuple.getUpdaterState());
                kept.getConfiguration().setIterationCount(tuple.getGraphConfiguration().getIterationCount());
                kept.getConfiguration().setEpochCount(tuple.getGraphConfiguration().getEpochCount());
                REUSED.incrementAndGet();
                return kept;
            }
            ComputationGraph built = super.getInitialModelGraph();
            KEPT_GRAPH.set(built);
            BUILT.incrementAndGet();
            return built;
        }

        /** The round's updater state, or the zeros a new updater starts from when the round sends none. */
        private static void assignUpdaterState(INDArray view, INDArray state) {
            if (view == null) {
                return;
            }
            if (state != null) {
                view.assign(state);
            } else {
                view.assign(0);
            }
        }
    }

    /** Configurations equal but for the iteration and epoch counts DL4J keeps in them. */
    static boolean sameExceptCounts(MultiLayerConfiguration a, MultiLayerConfiguration b) {
        return withoutCounts(a).equals(withoutCounts(b));
    }

    static boolean sameExceptCounts(ComputationGraphConfiguration a, ComputationGraphConfiguration b) {
        return withoutCounts(a).equals(withoutCounts(b));
    }

    private static MultiLayerConfiguration withoutCounts(MultiLayerConfiguration conf) {
        MultiLayerConfiguration c = conf.clone();
        c.setIterationCount(0);
        c.setEpochCount(0);
        for (NeuralNetConfiguration layer : c.getConfs()) {
            layer.setIterationCount(0);
            layer.setEpochCount(0);
        }
        return c;
    }

    private static ComputationGraphConfiguration withoutCounts(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration c = conf.clone();
        c.setIterationCount(0);
        c.setEpochCount(0);
        for (org.deeplearning4j.nn.conf.graph.GraphVertex v : c.getVertices().values()) {
            if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv) {
                lv.getLayerConf().setIterationCount(0);
                lv.getLayerConf().setEpochCount(0);
            }
        }
        return c;
    }
}
