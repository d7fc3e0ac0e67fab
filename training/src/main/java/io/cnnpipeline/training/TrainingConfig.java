package io.cnnpipeline.training;

import static io.cnnpipeline.preprocessing.InvalidConfigException.require;

import io.cnnpipeline.preprocessing.augment.AugmentationPipeline;
import java.io.Serializable;
import java.util.Set;

/**
 * Settings of the training job ({@code train.*} in the pipeline configuration). Immutable; validated on
 * construction, with errors naming the configuration key.
 *
 * @param dataset             URI of the dataset directory written by the preprocess stage
 * @param runsDir             URI of the directory that holds run directories
 * @param runId               name of this run's directory under {@code runsDir}
 * @param network             a name of {@link #NETWORKS}: {@code lenet}, {@code small-cnn}, {@code alexnet},
 *                            {@code vgg11}, {@code vgg16} (sequential, {@link Networks}); {@code resnet20},
 *                            {@code resnet18}, {@code resnet34}, {@code resnet50}, {@code inception-small}
 *                            (ComputationGraphs, {@link GraphNetworks})
 * @param epochs              passes over the training split
 * @param workers             parameter-averaging workers; 0 = Spark's default parallelism
 * @param batchSizePerWorker  minibatch size on each worker (global minibatch = workers × this)
 * @param averagingFrequency  minibatches each worker fits between parameter averagings
 * @param prefetchBatches     minibatches each worker prefetches asynchronously (0 = off)
 * @param rddTrainingApproach {@code direct} (minibatches kept in Spark memory) or {@code export} (written to a
 *                            directory inside the run and deleted after each epoch)
 * @param updater             {@code sgd}, {@code nesterov} (SGD with Nesterov momentum; DL4J has no heavy-ball momentum),
 *                            {@code adagrad}, {@code adadelta} (no learning rate), {@code rmsprop}, {@code adam},
 *                            {@code adamax}, {@code nadam} or {@code amsgrad}
 * @param learningRate        base learning rate (for the reference batch size when the linear scaling rule is on)
 * @param momentum            momentum for nesterov
 * @param weightDecay         L2 weight decay coefficient (0 = off)
 * @param augmentation        online augmentation; its input size is the network's input size (PCA lighting is
 *                            bound to the dataset's statistics when training starts)
 * @param trainAccuracySample records of the training split evaluated (centre crop) each epoch for train accuracy;
 *                            0 = skip
 * @param collectTrainingStats record Spark training statistics and write {@code training-stats.html}
 * @param seed                root seed: network initialization, shuffling, augmentation
 * @param lrSchedule          learning-rate schedule over the epochs ({@link LearningRateSchedule})
 * @param referenceBatchSize  linear scaling rule: the rate is {@code learningRate × workers × batch / this}; 0 = off
 * @param gradientClipping    {@code none}, {@code l2-per-layer} (rescale each layer's gradient to L2 norm ≤ threshold),
 *                            {@code l2-per-param-type} (weights and biases separately) or {@code element-wise}
 *                            (clip each value to ±threshold); DL4J has no global-norm clipping
 * @param gradientClippingThreshold threshold of the clipping, &gt; 0
 * @param weightInit          hidden layers' initialization: {@code he} (He et al. 2015, for ReLU), {@code xavier}
 *                            (Glorot and Bengio 2010), {@code lecun} or {@code orthogonal} ({@link OrthogonalInit},
 *                            gain √2); output layers use Xavier
 * @param checkpointEveryEpochs write a checkpoint every this many epochs (and after the last); 0 = not by epochs
 * @param checkpointEveryMinutes also write one at the first epoch end at least this many minutes after the previous;
 *                            0 = not by time
 * @param keepCheckpoints     newest checkpoints kept in {@code checkpoints/}, at least 1
 * @param resume              {@code true}: continue the run {@code runId} from its newest checkpoint instead of
 *                            starting it (an error if it has none); {@code auto}: continue it when it has a
 *                            checkpoint, else start it (in its directory if one exists without a checkpoint: nothing
 *                            trained was kept), as a scheduler's retry wants; {@code false}: start a new run
 * @param batchSizeSchedule   growing batch size (Smith et al. 2017, "Don't decay the learning rate, increase the
 *                            batch size"): epoch → batch size per worker from that epoch on (epochs ≥ 2); the
 *                            linear scaling rule uses {@code batchSizePerWorker}, the size of the first epoch
 * @param earlyStoppingPatience stop after this many epochs without a better validation accuracy; 0 = off
 * @param lars                layer-wise adaptive rate scaling ({@link LarsListener}); {@code weightDecay} is then
 *                            LARS's β and not an L2 term of the network
 * @param larsTrustCoefficient LARS's η, &gt; 0
 * @param transfer            start from a trained model ({@link Transfer}); {@link Transfer#NONE} = random init
 * @param gradientSharing     train with dl4j-spark's gradient sharing ({@code SharedTrainingMaster}) instead of
 *                            parameter averaging; {@link GradientSharing#OFF} = parameter averaging
 * @param cacheMode           DL4J's {@code CacheMode} for training: {@code device} (default) keeps each
 *                            convolution's pre-activation from the forward pass for the backward pass, which DL4J
 *                            otherwise recomputes (a second forward convolution per layer and minibatch); costs one
 *                            pre-activation array per convolution layer in memory. {@code none} = DL4J's default.
 * @param widthMultiplier     channels of every convolution × this, rounded ({@link #WIDTH_NETWORKS} only)
 * @param epochTimeoutMinutes cancel an epoch's Spark jobs and stop the run when its fit takes longer than this many
 *                            minutes (a hung executor or network would otherwise hold the cluster forever); the last
 *                            checkpoint stays for {@code train --resume}. 0 = no limit
 */
public record TrainingConfig(String dataset, String runsDir, String runId, String network, int epochs, int workers,
                             int batchSizePerWorker, int averagingFrequency, int prefetchBatches,
                             String rddTrainingApproach, String updater, double learningRate, double momentum,
                             double weightDecay, AugmentationPipeline augmentation, int trainAccuracySample,
                             boolean collectTrainingStats, long seed, LearningRateSchedule lrSchedule,
                             int referenceBatchSize, String gradientClipping, double gradientClippingThreshold,
                             String weightInit, int checkpointEveryEpochs, double checkpointEveryMinutes,
                             int keepCheckpoints, String resume, java.util.SortedMap<Integer, Integer> batchSizeSchedule,
                             int earlyStoppingPatience, boolean lars, double larsTrustCoefficient,
                             Transfer transfer, GradientSharing gradientSharing, String cacheMode,
                             double widthMultiplier, double epochTimeoutMinutes)
        implements Serializable {

    /** The networks whose convolution widths {@code train.width-multiplier} scales. */
    public static final Set<String> WIDTH_NETWORKS = new java.util.TreeSet<>(Set.of("small-cnn", "vgg11", "vgg16",
            "resnet20"));

    /** Values of {@code train.resume}. */
    public static final Set<String> RESUME_MODES = Set.of("false", "true", "auto");

    /** Values of {@code train.cache-mode}. */
    public static final Set<String> CACHE_MODES = Set.of("none", "device");

    /**
     * Gradient sharing ({@code train.training-master = gradient-sharing}; DL4J's {@code SharedTrainingMaster}, after
     * Strom, "Scalable distributed DNN training using commodity GPU cloud computing", Interspeech 2015): every worker
     * fits its own minibatches and sends each update element whose magnitude exceeds a threshold τ (as ±τ; the rest
     * stays in a local residual) to every other worker over Aeron UDP, instead of averaging whole parameter vectors
     * every few minibatches. Asynchronous, so runs are not bit-reproducible.
     *
     * @param enabled            gradient sharing instead of parameter averaging
     * @param thresholdAlgorithm {@code adaptive} (τ adjusted so that the fraction of elements sent stays between the
     *                           sparsity bounds; DL4J's default) or {@code fixed}
     * @param threshold          τ (the initial τ when adaptive), &gt; 0
     * @param minSparsity        adaptive: lower bound of the fraction of update elements sent, in (0, 1)
     * @param maxSparsity        adaptive: upper bound, in [minSparsity, 1)
     * @param controllerAddress  the driver's address that workers reach over UDP; "" = {@code spark.driver.host}
     * @param controllerPort     UDP port of the driver's Aeron endpoint (1–65535)
     * @param networkMask        workers pick their own address on this network (e.g. {@code 10.0.0.0/16}); "" = the
     *                           address of the {@code DL4J_VOID_IP} environment variable, else 127.0.0.1
     * @param workersPerNode     training threads per executor; 0 = DL4J's default (one per device: one on CPU)
     */
    public record GradientSharing(boolean enabled, String thresholdAlgorithm, double threshold, double minSparsity,
                                  double maxSparsity, String controllerAddress, int controllerPort,
                                  String networkMask, int workersPerNode) implements Serializable {
        public static final GradientSharing OFF = new GradientSharing(false, "adaptive", 1e-4, 1e-4, 1e-2, "", 40123,
                "", 0);

        public GradientSharing {
            require(Set.of("adaptive", "fixed").contains(thresholdAlgorithm),
                    "train.gradient-sharing.threshold-algorithm", "must be adaptive or fixed", thresholdAlgorithm);
            require(threshold > 0 && Double.isFinite(threshold), "train.gradient-sharing.threshold", "must be > 0",
                    threshold);
            require(minSparsity > 0 && minSparsity < 1, "train.gradient-sharing.min-sparsity",
                    "must be in (0, 1)", minSparsity);
            require(maxSparsity >= minSparsity && maxSparsity < 1, "train.gradient-sharing.max-sparsity",
                    "must be in [min-sparsity, 1)", maxSparsity);
            require(controllerPort >= 1 && controllerPort <= 65535, "train.gradient-sharing.controller-port",
                    "must be in 1..65535", controllerPort);
            require(workersPerNode >= 0, "train.gradient-sharing.workers-per-node", "must be >= 0", workersPerNode);
            controllerAddress = controllerAddress == null ? "" : controllerAddress;
            networkMask = networkMask == null ? "" : networkMask;
            require(networkMask.isEmpty() || networkMask.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}"),
                    "train.gradient-sharing.network-mask", "must be an IPv4 network such as 10.0.0.0/16",
                    networkMask);
        }
    }

    /**
     * Transfer learning ({@code train.transfer.*}): fine-tune a trained network on this dataset.
     *
     * @param from           URI of a DL4J MultiLayerNetwork zip (a run's {@code model.zip}, or any DL4J model); ""
     *                       = none
     * @param freezeUpTo     name of the last layer to freeze (it and every layer before keep their parameters); ""
     *                       = freeze nothing
     * @param replaceOutput  replace the output layer by a new one (Xavier init) for this dataset's classes
     * @param lrMultipliers  layer name → multiplier of the learning rate (e.g. 0.1 for the top, 0.01 for the
     *                       middle); unlisted layers use 1
     */
    public record Transfer(String from, String freezeUpTo, boolean replaceOutput,
                           java.util.Map<String, Double> lrMultipliers) implements Serializable {
        public static final Transfer NONE = new Transfer("", "", true, java.util.Map.of());

        public Transfer {
            from = from == null ? "" : from;
            freezeUpTo = freezeUpTo == null ? "" : freezeUpTo;
            lrMultipliers = lrMultipliers == null ? java.util.Map.of() : java.util.Map.copyOf(lrMultipliers);
            for (java.util.Map.Entry<String, Double> e : lrMultipliers.entrySet()) {
                require(e.getValue() >= 0 && Double.isFinite(e.getValue()),
                        "train.transfer.lr-multipliers." + e.getKey(), "must be >= 0", e.getValue());
            }
        }

        public boolean enabled() {
            return !from.isEmpty();
        }
    }

    public static final Set<String> NETWORKS = new java.util.TreeSet<>(Set.of("lenet", "small-cnn", "alexnet", "vgg11",
            "vgg16", "resnet20", "resnet18", "resnet34", "resnet50", "inception-small"));
    public static final Set<String> UPDATERS = Set.of("sgd", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
            "adamax", "nadam", "amsgrad");
    public static final Set<String> CLIPPING = Set.of("none", "l2-per-layer", "l2-per-param-type", "element-wise");
    public static final Set<String> WEIGHT_INITS = Set.of("he", "xavier", "lecun", "orthogonal");
    public static final Set<String> APPROACHES = Set.of("direct", "export");

    public TrainingConfig {
        require(dataset != null && !dataset.isBlank(), "train.dataset", "must be a path or URI", dataset);
        require(runsDir != null && !runsDir.isBlank(), "train.runs-dir", "must be a path or URI", runsDir);
        require(runId != null && runId.matches("[A-Za-z0-9._-]+"), "train.run-id",
                "must be a non-empty name of letters, digits, '.', '_' or '-'", runId);
        require(NETWORKS.contains(network), "train.network", "must be one of " + NETWORKS, network);
        require(epochs >= 1, "train.epochs", "must be >= 1", epochs);
        require(workers >= 0, "train.workers", "must be >= 0 (0 = Spark default parallelism)", workers);
        require(batchSizePerWorker >= 1, "train.batch-size-per-worker", "must be >= 1", batchSizePerWorker);
        require(averagingFrequency >= 1, "train.averaging-frequency", "must be >= 1", averagingFrequency);
        require(prefetchBatches >= 0, "train.prefetch-batches", "must be >= 0", prefetchBatches);
        require(APPROACHES.contains(rddTrainingApproach), "train.rdd-training-approach",
                "must be one of " + APPROACHES, rddTrainingApproach);
        require(UPDATERS.contains(updater), "train.updater", "must be one of " + UPDATERS, updater);
        require(learningRate > 0 && Double.isFinite(learningRate), "train.learning-rate", "must be > 0", learningRate);
        require(momentum >= 0 && momentum < 1, "train.momentum", "must be in [0, 1)", momentum);
        require(weightDecay >= 0, "train.weight-decay", "must be >= 0", weightDecay);
        require(augmentation != null, "train.augmentation", "is required", null);
        require(trainAccuracySample >= 0, "train.train-accuracy-sample", "must be >= 0", trainAccuracySample);
        lrSchedule = lrSchedule == null ? LearningRateSchedule.CONSTANT : lrSchedule;
        require(referenceBatchSize >= 0, "train.reference-batch-size", "must be >= 0 (0 = no linear scaling)",
                referenceBatchSize);
        gradientClipping = gradientClipping == null ? "none" : gradientClipping;
        require(CLIPPING.contains(gradientClipping), "train.gradient-clipping", "must be one of "
                + new java.util.TreeSet<>(CLIPPING), gradientClipping);
        require(gradientClippingThreshold > 0, "train.gradient-clipping-threshold", "must be > 0",
                gradientClippingThreshold);
        weightInit = weightInit == null ? "he" : weightInit;
        require(WEIGHT_INITS.contains(weightInit), "train.weight-init", "must be one of "
                + new java.util.TreeSet<>(WEIGHT_INITS), weightInit);
        batchSizeSchedule = batchSizeSchedule == null ? new java.util.TreeMap<>()
                : new java.util.TreeMap<>(batchSizeSchedule);
        for (java.util.Map.Entry<Integer, Integer> e : batchSizeSchedule.entrySet()) {
            require(e.getKey() >= 2, "train.batch-size-schedule", "epochs must be >= 2 (epoch 1 uses "
                    + "batch-size-per-worker)", e.getKey());
            require(e.getValue() >= 1, "train.batch-size-schedule", "batch sizes must be >= 1", e.getValue());
        }
        require(earlyStoppingPatience >= 0, "train.early-stopping-patience", "must be >= 0 (0 = off)",
                earlyStoppingPatience);
        require(!lars || larsTrustCoefficient > 0, "train.lars-trust-coefficient", "must be > 0",
                larsTrustCoefficient);
        require(!lars || updater.equals("sgd") || updater.equals("nesterov"), "train.lars",
                "works with the sgd and nesterov updaters (LARS rescales SGD steps)", updater);
        transfer = transfer == null ? Transfer.NONE : transfer;
        require(transfer.enabled() || (transfer.freezeUpTo().isEmpty() && transfer.lrMultipliers().isEmpty()),
                "train.transfer.from", "is required by freeze-up-to and lr-multipliers", transfer.from());
        require(checkpointEveryEpochs >= 0, "train.checkpoint-every-epochs", "must be >= 0 (0 = off)",
                checkpointEveryEpochs);
        require(checkpointEveryMinutes >= 0, "train.checkpoint-every-minutes", "must be >= 0 (0 = off)",
                checkpointEveryMinutes);
        require(keepCheckpoints >= 1, "train.keep-checkpoints", "must be >= 1", keepCheckpoints);
        require(epochTimeoutMinutes >= 0 && Double.isFinite(epochTimeoutMinutes), "train.epoch-timeout-minutes",
                "must be >= 0 (0 = no limit)", epochTimeoutMinutes);
        resume = resume == null ? "false" : resume;
        require(RESUME_MODES.contains(resume), "train.resume", "must be false, true or auto", resume);
        require(resume.equals("false") || checkpointEveryEpochs > 0 || checkpointEveryMinutes > 0, "train.resume",
                "needs checkpoints (train.checkpoint-every-epochs or -minutes)", resume);
        require(!updater.equals("adadelta") || (lrSchedule.type().equals("constant")
                        && lrSchedule.warmupEpochs() == 0 && lrSchedule.plateauPatience() == 0),
                "train.lr-schedule", "AdaDelta has no learning rate to schedule; use type = constant, no warmup, "
                        + "no plateau", lrSchedule.type());
        gradientSharing = gradientSharing == null ? GradientSharing.OFF : gradientSharing;
        cacheMode = cacheMode == null ? "device" : cacheMode;
        require(CACHE_MODES.contains(cacheMode), "train.cache-mode", "must be none or device", cacheMode);
        requireWidthMultiplier(network, widthMultiplier, "train.width-multiplier");
        require(!gradientSharing.enabled() || !lars, "train.lars", "is applied between parameter averagings; it "
                + "is not available with train.training-master = gradient-sharing", lars);
    }

    /** The batch size per worker in {@code epoch} (1-based). */
    public int batchSizeAt(int epoch) {
        java.util.SortedMap<Integer, Integer> upTo = batchSizeSchedule.headMap(epoch + 1);
        return upTo.isEmpty() ? batchSizePerWorker : upTo.get(upTo.lastKey());
    }

    /**
     * Checks a width multiplier for a network: &gt; 0, and 1 unless the network is one of {@link #WIDTH_NETWORKS}.
     *
     * @param key the configuration key or command-line option to name in the error
     * @throws io.cnnpipeline.preprocessing.InvalidConfigException naming {@code key} when the value is not allowed
     */
    public static void requireWidthMultiplier(String network, double widthMultiplier, String key) {
        require(widthMultiplier > 0 && Double.isFinite(widthMultiplier), key, "must be > 0", widthMultiplier);
        require(widthMultiplier == 1 || WIDTH_NETWORKS.contains(network), key,
                "must be 1 for " + network + " (it scales " + WIDTH_NETWORKS + ")", widthMultiplier);
    }

    /** {@code filters} × {@link #widthMultiplier}, rounded, at least 1: a convolution's output channels. */
    public int width(int filters) {
        return Math.max(1, (int) Math.round(filters * widthMultiplier));
    }

    /** Whether checkpoints are written at all. */
    public boolean checkpointing() {
        return checkpointEveryEpochs > 0 || checkpointEveryMinutes > 0;
    }

    /** The network's input side in pixels ({@code train.input-size}). */
    public int inputSize() {
        return augmentation.inputSize();
    }
}
