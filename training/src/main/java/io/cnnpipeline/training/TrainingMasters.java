package io.cnnpipeline.training;

import io.cnnpipeline.training.dl4j.JvmSettings;
import io.cnnpipeline.training.dl4j.LayerHelpers;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/**
 * dl4j-spark training masters for a configuration: {@link #forEpoch} gives the one {@code train.training-master}
 * names — parameter averaging ({@link #parameterAveraging}, with LARS's listener when {@code train.lars}) or gradient
 * sharing ({@link #gradientSharing}) — for one epoch's batch size and seed.
 */
public final class TrainingMasters {
    private TrainingMasters() {
    }

    /**
     * The master of one epoch.
     *
     * @param batchSizePerWorker the epoch's minibatch size per worker ({@link TrainingConfig#batchSizeAt})
     * @param exportDir          where the export approach writes minibatches
     * @param rngSeed            the epoch's seed (from the root seed and the epoch)
     */
    public static TrainingMaster<?, ?> forEpoch(TrainingConfig config, JavaSparkContext jsc, int workers,
                                               int batchSizePerWorker, String exportDir, long rngSeed) {
        if (config.trainingMaster() == TrainingConfig.TrainingMaster.GRADIENT_SHARING) {
            return gradientSharing(config, jsc, workers, batchSizePerWorker, exportDir, rngSeed);
        }
        ParameterAveragingTrainingMaster master = parameterAveraging(config, workers, batchSizePerWorker, exportDir,
                rngSeed);
        if (config.lars()) {
            master.setListeners(List.of(new LarsListener(config.larsTrustCoefficient(), config.weightDecay())));
        }
        return master;
    }

    /**
     * The dl4j-spark training master for a configuration: {@code workers} workers, each fitting
     * {@code batchSizePerWorker}-example minibatches (the RDD holds DataSets of that size), averaging parameters every
     * {@code averagingFrequency} minibatches, prefetching {@code prefetchBatches}, seeded from the root seed; its
     * workers keep their network between averaging rounds ({@link KeptNetworksTrainingMaster}).
     */
    public static ParameterAveragingTrainingMaster parameterAveraging(TrainingConfig config, int workers,
                                                                  int batchSizePerWorker,
                                                                  String exportDir, long rngSeed) {
        // dl4j-spark timestamps its statistics with an NTP client by default, which needs internet access; the
        // system clock is what the timeline uses here (cluster clocks are kept in sync by the OS).
        JvmSettings.install();
        ParameterAveragingTrainingMaster.Builder builder = new ParameterAveragingTrainingMaster.Builder(workers,
                batchSizePerWorker)
                .batchSizePerWorker(batchSizePerWorker)
                .averagingFrequency(config.averagingFrequency())
                .workerPrefetchNumBatches(config.prefetchBatches())
                .rddTrainingApproach(config.rddTrainingApproach() == TrainingConfig.RddTrainingApproach.EXPORT
                        ? RDDTrainingApproach.Export : RDDTrainingApproach.Direct)
                .exportDirectory(exportDir)
                .storageLevel(StorageLevel.MEMORY_ONLY())
                .repartionData(org.deeplearning4j.spark.api.Repartition.Never)
                .rngSeed(rngSeed)
                .collectTrainingStats(config.collectTrainingStats())
                .trainingHooks(LayerHelpers.EXECUTOR_HOOK);
        // Workers keep their network between averaging rounds; -Dcnnpipeline.rebuild-worker-networks=true builds a
        // new one every round, as dl4j-spark does (for comparison).
        return Boolean.getBoolean(REBUILD_WORKER_NETWORKS_PROPERTY) ? builder.build()
                : KeptNetworksTrainingMaster.of(builder);
    }

    /** See {@link #parameterAveraging}. */
    public static final String REBUILD_WORKER_NETWORKS_PROPERTY = "cnnpipeline.rebuild-worker-networks";

    /**
     * dl4j-spark's gradient-sharing master ({@code SharedTrainingMaster}) for a configuration: minibatches of
     * {@code batchSizePerWorker} examples (the RDD holds DataSets of that size) split into exactly {@code workers}
     * Spark partitions (one long task per worker and epoch), threshold-encoded updates shared over
     * Aeron UDP with the driver at {@code train.gradient-sharing.controller-address} (default
     * {@code spark.driver.host}) and {@code controller-port}. A new master per epoch: dl4j-spark then sets up a new
     * parameter server and new executor-side trainers from the driver's network, so the epoch's learning rate and
     * batch size take effect.
     */
    public static org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster gradientSharing(
            TrainingConfig config, JavaSparkContext jsc, int workers, int batchSizePerWorker, String exportDir,
            long rngSeed) {
        TrainingConfig.GradientSharing g = config.gradientSharing();
        JvmSettings.install();
        String controller = g.controllerAddress().isEmpty()
                ? jsc.getConf().get("spark.driver.host", "127.0.0.1") : g.controllerAddress();
        org.nd4j.parameterserver.distributed.conf.VoidConfiguration voidConfiguration =
                org.nd4j.parameterserver.distributed.conf.VoidConfiguration.builder()
                        .executionMode(org.nd4j.parameterserver.distributed.enums.ExecutionMode.MANAGED)
                        .forcedRole(org.nd4j.parameterserver.distributed.enums.NodeRole.SHARD)
                        .controllerAddress(controller)
                        .portSupplier(new org.nd4j.parameterserver.distributed.v2.transport.impl.StaticPortSupplier(
                                g.controllerPort()))
                        .networkMask(g.networkMask().isEmpty() ? null : g.networkMask())
                        .build();
        org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm threshold =
                g.thresholdAlgorithm() == TrainingConfig.GradientSharing.ThresholdAlgorithm.FIXED
                        ? new org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold
                                .FixedThresholdAlgorithm(g.threshold())
                        : new org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold
                                .AdaptiveThresholdAlgorithm(g.threshold(), g.minSparsity(), g.maxSparsity(),
                                        org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold
                                                .AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE);
        org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster master =
                new org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster.Builder(voidConfiguration,
                        workers, threshold, batchSizePerWorker)
                        .batchSizePerWorker(batchSizePerWorker)
                        .workersPerNode(g.workersPerNode())
                        // Exactly one partition per worker. DL4J's default repartitioner makes one partition per
                        // batchSizePerWorker / rddDataSetNumExamples (= 1) DataSets: a short Spark task per minibatch,
                        // and every task that attaches to the executor's SharedTrainingWrapper while the previous
                        // one is handing over its trainer thread (after its fit loop, before isFirst is cleared)
                        // waits forever in BlockingObserver.waitTillDone, which has no timeout.
                        .repartitioner(new org.deeplearning4j.spark.impl.repartitioner.EqualRepartitioner())
                        .workerPrefetchNumBatches(config.prefetchBatches())
                        .rddTrainingApproach(config.rddTrainingApproach() == TrainingConfig.RddTrainingApproach.EXPORT
                                ? RDDTrainingApproach.Export : RDDTrainingApproach.Direct)
                        .exportDirectory(exportDir)
                        .storageLevel(StorageLevel.MEMORY_ONLY())
                        .rngSeed(rngSeed)
                        .collectTrainingStats(config.collectTrainingStats())
                        .build();
        // The master does not pass training hooks to its workers, but it does pass listeners.
        master.setListeners(List.of(LayerHelpers.EXECUTOR_LISTENER));
        return master;
    }
}
