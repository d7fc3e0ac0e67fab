package io.cnnpipeline.training;

import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

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
 * <p>Parameters and updater state also travel as plain float arrays, each way: the round's broadcast ({@link
 * Round}: configuration, parameters, updater state) and the workers' results, which are summed in the tasks and
 * across them in a tree of fixed shape ({@link #orderedSum}) and averaged on the driver as dl4j-spark averages them.
 * dl4j-spark sends {@code INDArray}s, which ND4J's Java serialization writes and reads one element at a time: in a
 * profile of LeNet averaging every 5 minibatches on 2 workers that cost more CPU than the workers' training.
 *
 * <p>Built with {@link #of(ParameterAveragingTrainingMaster.Builder)}; everything else is dl4j-spark's.
 */
public final class KeptNetworksTrainingMaster extends ParameterAveragingTrainingMaster {
    private static final long serialVersionUID = 1L;

    private transient RoundListener roundListener;
    private int skippedRounds;

    private KeptNetworksTrainingMaster(ParameterAveragingTrainingMaster.Builder builder) {
        super(builder);
    }

    /** Told on the driver after each averaging round, once the averaged parameters are in the driver's network. */
    @FunctionalInterface
    public interface RoundListener {
        /**
         * @param round     the round just averaged, 1-based (dl4j-spark numbers its splits from 1)
         * @param rounds    the rounds of this fit (dl4j-spark's splits of the minibatches)
         * @param loss      the workers' mean loss over the round's last minibatches (dl4j-spark's score)
         * @param iteration the driver network's iteration count after the round
         */
        void averaged(int round, int rounds, double loss, int iteration);
    }

    /**
     * Continues an epoch after its first {@code rounds} averaging rounds, which a mid-epoch checkpoint holds: the fit
     * draws the epoch's split into rounds as always (seeded by the master's seed, the same split as before) and
     * skips the rounds already done, so the next round fits exactly the minibatches it fitted in the interrupted run.
     * 0 (the default) fits every round.
     */
    public void skipRounds(int rounds) {
        if (rounds < 0) {
            throw new IllegalArgumentException("rounds must be >= 0: " + rounds);
        }
        this.skippedRounds = rounds;
    }

    private boolean skip(int splitNum, int numSplits) {
        if (splitNum > skippedRounds) {
            return false;
        }
        if (splitNum == skippedRounds) {
            org.slf4j.LoggerFactory.getLogger(KeptNetworksTrainingMaster.class).info(
                    "train: skipped averaging rounds 1-{} of {}: done before the checkpoint", splitNum, numSplits);
        }
        return true;
    }

    @Override
    protected void doIteration(SparkDl4jMultiLayer network, JavaRDD<org.nd4j.linalg.dataset.DataSet> split,
                               int splitNum, int numSplits) {
        if (!skip(splitNum, numSplits)) {
            super.doIteration(network, split, splitNum, numSplits);
        }
    }

    @Override
    protected void doIteration(SparkComputationGraph graph,
                               JavaRDD<org.nd4j.linalg.dataset.api.MultiDataSet> split, int splitNum, int numSplits) {
        if (!skip(splitNum, numSplits)) {
            super.doIteration(graph, split, splitNum, numSplits);
        }
    }

    @Override
    protected void doIterationPaths(SparkDl4jMultiLayer network, SparkComputationGraph graph, JavaRDD<String> split,
                                    int splitNum, int numSplits, int dataSetObjectNumExamples,
                                    org.deeplearning4j.core.loader.DataSetLoader dsLoader,
                                    org.deeplearning4j.core.loader.MultiDataSetLoader mdsLoader) {
        if (!skip(splitNum, numSplits)) {
            super.doIterationPaths(network, graph, split, splitNum, numSplits, dataSetObjectNumExamples, dsLoader,
                    mdsLoader);
        }
    }

    /** Sets the driver-side listener of averaging rounds (not serialized; {@code null} for none). */
    public void onRound(RoundListener listener) {
        this.roundListener = listener;
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
        MultiLayerNetwork net = network.getNetwork();
        Round round = new Round(net.getLayerWiseConfigurations(), null, floats(net.params()),
                net.getUpdater() == null ? null : floats(net.getUpdater().getStateViewArray()));
        return new Worker(network.getSparkContext().broadcast(round), saveUpdater,
                new WorkerConfiguration(false, rddDataSetNumExamples, batchSizePerWorker, averagingFrequency,
                        prefetchNumBatches, false), trainingHookList);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        if (!keepNetworks()) {
            return super.getWorkerInstance(graph);
        }
        ComputationGraph net = graph.getNetwork();
        Round round = new Round(null, net.getConfiguration(), floats(net.params()),
                net.getUpdater() == null ? null : floats(net.getUpdater().getStateViewArray()));
        return new Worker(graph.getSparkContext().broadcast(round), saveUpdater,
                new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker, averagingFrequency,
                        prefetchNumBatches, false), trainingHookList);
    }

    /**
     * An averaging round's broadcast: the driver's configuration (one of the two), parameters and updater state
     * (flattened as DL4J's views, {@code null} for an updater without state).
     */
    record Round(MultiLayerConfiguration configuration, ComputationGraphConfiguration graphConfiguration,
                 float[] parameters, float[] updaterState) implements java.io.Serializable {
    }

    /** The sums of some workers' results: parameters, updater states, losses and their number. */
    static final class Sums implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        float[] parameters;
        float[] updaterState;
        double score;
        int count;

        /** Adds one worker's result (dl4j-spark's {@code ParameterAveragingElementAddFunction}). */
        static Sums add(Sums sums, ParameterAveragingTrainingResult result) {
            Sums s = sums == null ? new Sums() : sums;
            s.parameters = plus(s.parameters, floats(result.getParameters()));
            s.updaterState = plus(s.updaterState, floats(result.getUpdaterState()));
            s.score += result.getScore();
            s.count++;
            return s;
        }

        /** Merges two partial sums (dl4j-spark's {@code ParameterAveragingElementCombineFunction}). */
        static Sums merge(Sums a, Sums b) {
            if (a == null || a.count == 0) {
                return b;
            }
            if (b == null || b.count == 0) {
                return a;
            }
            a.parameters = plus(a.parameters, b.parameters);
            a.updaterState = plus(a.updaterState, b.updaterState);
            a.score += b.score;
            a.count += b.count;
            return a;
        }

        private static float[] plus(float[] sum, float[] x) {
            if (x == null) {
                return sum;
            }
            if (sum == null) {
                return x;   // a copy already (floats), or a partial sum that is not used again (merge)
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] += x[i];
            }
            return sum;
        }
    }

    /**
     * Averages the workers' results into the driver's network as dl4j-spark does (parameters and updater state summed
     * and divided by the number of workers, in float; the mean loss; the iteration count advanced by the averaging
     * frequency), with the sums carried as float arrays ({@link Sums}).
     */
    @Override
    protected void processResults(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                  JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
        if (!keepNetworks() || statsStorage != null) {
            super.processResults(network, graph, results, splitNum, totalSplits);
        } else {
            average(network, graph, results);
        }
        if (roundListener != null) {
            roundListener.averaged(splitNum, totalSplits,
                    network != null ? network.getScore() : graph.getScore(),
                    network != null ? network.getNetwork().getLayerWiseConfigurations().getIterationCount()
                            : graph.getNetwork().getConfiguration().getIterationCount());
        }
    }

    private void average(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                         JavaRDD<ParameterAveragingTrainingResult> results) {
        Sums sums = orderedSum(results, aggregationDepth);
        if (sums == null || sums.count == 0 || sums.parameters == null) {
            return;   // an imbalanced split without data for any worker, as dl4j-spark skips it
        }
        float n = sums.count;
        for (int i = 0; i < sums.parameters.length; i++) {
            sums.parameters[i] /= n;
        }
        INDArray params = Nd4j.createFromArray(sums.parameters).reshape(1, sums.parameters.length);
        INDArray state = null;
        if (sums.updaterState != null) {
            for (int i = 0; i < sums.updaterState.length; i++) {
                sums.updaterState[i] /= n;
            }
            state = Nd4j.createFromArray(sums.updaterState).reshape(1, sums.updaterState.length);
        }
        double score = sums.score / sums.count;
        if (network != null) {
            MultiLayerNetwork net = network.getNetwork();
            net.setParameters(params);
            if (state != null) {
                net.getUpdater().setStateViewArray(null, state, false);
            }
            network.setScore(score);
            MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
            conf.setIterationCount(conf.getIterationCount() + averagingFrequency);
        } else {
            ComputationGraph g = graph.getNetwork();
            g.setParams(params);
            if (state != null) {
                g.getUpdater().setStateViewArray(state);
            }
            graph.setScore(score);
            ComputationGraphConfiguration conf = g.getConfiguration();
            conf.setIterationCount(conf.getIterationCount() + averagingFrequency);
        }
        Nd4j.getExecutioner().commit();
    }

    /**
     * The sum of the workers' results, added in the order of their partitions at every level of a tree of {@code
     * depth} levels (fan-out ⌈W^(1/depth)⌉ for W partitions; the driver adds the last level), so that the float sums
     * are the same bits whichever task finishes first or runs again after an executor is lost. Spark's {@code
     * treeAggregate}, which dl4j-spark uses, merges the last partial sums on the driver in the order their tasks end:
     * with three or more workers, two runs of the same training could differ in the last bits of the averaged
     * parameters. Costs one Spark job, plus one shuffle per level above the first when W exceeds the fan-out.
     *
     * @return the sums, or {@code null} when no partition held a result
     */
    static Sums orderedSum(JavaRDD<ParameterAveragingTrainingResult> results, int depth) {
        int n = results.getNumPartitions();
        int fanOut = Math.max(2, (int) Math.ceil(Math.pow(n, 1.0 / Math.max(1, depth))));
        JavaPairRDD<Integer, Sums> level = results.mapPartitionsWithIndex((index, it) -> {
            Sums s = null;
            while (it.hasNext()) {
                s = Sums.add(s, it.next());
            }
            return java.util.List.of(new Tuple2<>(index, s)).iterator();
        }, true).mapToPair(t -> t);
        while (n > fanOut) {
            int groups = (n + fanOut - 1) / fanOut;
            level = level.mapToPair(t -> new Tuple2<>(t._1() / fanOut, t))
                    .groupByKey(groups)
                    .mapValues(KeptNetworksTrainingMaster::mergeInOrder)
                    .mapToPair(t -> t);
            n = groups;
        }
        return mergeInOrder(level.collect());
    }

    /** Merges partial sums keyed by their position in ascending order of the keys. */
    private static Sums mergeInOrder(Iterable<Tuple2<Integer, Sums>> partials) {
        java.util.List<Tuple2<Integer, Sums>> sorted = new java.util.ArrayList<>();
        partials.forEach(sorted::add);
        sorted.sort(java.util.Comparator.comparing(Tuple2::_1));
        Sums sum = null;
        for (Tuple2<Integer, Sums> p : sorted) {
            sum = Sums.merge(sum, p._2());
        }
        return sum;
    }

    /** A copy of an array's elements in C order, or {@code null}. */
    static float[] floats(INDArray array) {
        return array == null ? null : array.reshape(array.length()).toFloatVector();
    }

    /** A parameter-averaging worker that reuses its task thread's network of the last round. */
    static final class Worker extends ParameterAveragingTrainingWorker {
        private static final long serialVersionUID = 1L;
        private static final ThreadLocal<MultiLayerNetwork> KEPT_NETWORK = new ThreadLocal<>();
        private static final ThreadLocal<ComputationGraph> KEPT_GRAPH = new ThreadLocal<>();
        /** Rounds in this JVM that built a network, and that reused one (for tests and logs). */
        static final java.util.concurrent.atomic.AtomicLong BUILT = new java.util.concurrent.atomic.AtomicLong();
        static final java.util.concurrent.atomic.AtomicLong REUSED = new java.util.concurrent.atomic.AtomicLong();

        private final Broadcast<Round> round;

        Worker(Broadcast<Round> round, boolean saveUpdater, WorkerConfiguration configuration,
               java.util.Collection<TrainingHook> hooks) {
            // dl4j-spark's worker fits the minibatches and makes the result; the network comes from here.
            super(null, saveUpdater, configuration, hooks, null, null);
            this.round = round;
        }

        @Override
        public MultiLayerNetwork getInitialModel() {
            Round r = round.getValue();
            seedRandom(r.configuration().getConf(0).getSeed(), r.configuration().getIterationCount());
            INDArray params = row(r.parameters());
            INDArray state = r.updaterState() == null ? null : row(r.updaterState());
            MultiLayerNetwork kept = KEPT_NETWORK.get();
            if (kept != null && sameExceptCounts(kept.getLayerWiseConfigurations(), r.configuration())) {
                takeRound(kept, kept.getUpdater() == null ? null : kept.getUpdater().getStateViewArray(), params,
                        state);
                kept.getLayerWiseConfigurations().setIterationCount(r.configuration().getIterationCount());
                kept.getLayerWiseConfigurations().setEpochCount(r.configuration().getEpochCount());
                return kept;
            }
            // As dl4j-spark builds it: a configuration of its own (the iteration count changes), the round's
            // parameters and updater state.
            MultiLayerNetwork built = new MultiLayerNetwork(r.configuration().clone());
            built.init(params, false);
            if (state != null) {
                built.setUpdater(new org.deeplearning4j.nn.updater.MultiLayerUpdater(built, state));
            }
            KEPT_NETWORK.set(built);
            return built(built);
        }

        @Override
        public ComputationGraph getInitialModelGraph() {
            Round r = round.getValue();
            seedRandom(r.graphConfiguration().getDefaultConfiguration().getSeed(),
                    r.graphConfiguration().getIterationCount());
            INDArray params = row(r.parameters());
            INDArray state = r.updaterState() == null ? null : row(r.updaterState());
            ComputationGraph kept = KEPT_GRAPH.get();
            if (kept != null && sameExceptCounts(kept.getConfiguration(), r.graphConfiguration())) {
                takeRound(kept, kept.getUpdater() == null ? null : kept.getUpdater().getStateViewArray(), params,
                        state);
                kept.getConfiguration().setIterationCount(r.graphConfiguration().getIterationCount());
                kept.getConfiguration().setEpochCount(r.graphConfiguration().getEpochCount());
                return kept;
            }
            ComputationGraph built = new ComputationGraph(r.graphConfiguration().clone());
            built.init(params, false);
            if (state != null) {
                built.setUpdater(new org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater(built, state));
            }
            KEPT_GRAPH.set(built);
            return built(built);
        }

        /**
         * Seeds this task thread's ND4J generator (dropout masks; ND4J keeps one per thread) from the network's seed,
         * the round's first iteration and the task's partition, so that a round's task draws the same masks on
         * whichever executor and thread it runs, and again when Spark reruns it after an executor is lost.
         */
        static void seedRandom(long seed, long iteration) {
            org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
            int partition = task == null ? 0 : task.partitionId();
            Nd4j.getRandom().setSeed(io.cnnpipeline.core.RandomStreams.seedFor(seed,
                    io.cnnpipeline.core.RandomStreams.DROPOUT, iteration, "partition-" + partition));
        }

        private static INDArray row(float[] values) {
            return Nd4j.createFromArray(values).reshape(1, values.length);
        }

        /**
         * Puts a round's parameters and updater state into a kept network: the state, or the zeros a new updater
         * starts from when the round sends none.
         */
        private static void takeRound(org.deeplearning4j.nn.api.Model kept, INDArray updaterView, INDArray params,
                                      INDArray state) {
            kept.setParams(params);
            if (updaterView != null && state != null) {
                updaterView.assign(state);
            } else if (updaterView != null) {
                updaterView.assign(0);
            }
            REUSED.incrementAndGet();
        }

        private static <M extends org.deeplearning4j.nn.api.Model> M built(M network) {
            Nd4j.getExecutioner().commit();
            BUILT.incrementAndGet();
            return network;
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
