package io.cnnpipeline.training;

import static io.cnnpipeline.core.InvalidConfigException.require;

import io.cnnpipeline.training.zoo.Network;
import io.cnnpipeline.training.zoo.OrthogonalInit;
import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigEnum;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.core.config.CoreKeys;
import io.cnnpipeline.augment.AugmentationConfig;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.io.Serializable;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Settings of the training job ({@code train.*} in the pipeline configuration); its keys are declared here, once
 * (name, type, default, unit, documentation, rule; the augmentation's in {@link AugmentationConfig}). Immutable;
 * validated on construction, with errors naming the configuration key. Build one with {@link #builder()}:
 * {@code TrainingConfig.builder().set(DATASET, dir).set(NETWORK, Network.RESNET20).set(EPOCHS, 30).build()}.
 *
 * @param dataset             URI of the dataset directory written by the preprocess stage
 * @param runsDir             URI of the directory that holds run directories
 * @param runId               name of this run's directory under {@code runsDir}
 * @param network             the network of the zoo ({@link Network})
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
 * @param trainingMaster      parameter averaging or gradient sharing ({@link TrainingMaster})
 * @param gradientSharing     train with dl4j-spark's gradient sharing ({@code SharedTrainingMaster}) instead of
 *                            parameter averaging; {@link GradientSharing#OFF} = parameter averaging
 * @param cacheMode           DL4J's {@code CacheMode} for training: {@code device} (default) keeps each
 *                            convolution's pre-activation from the forward pass for the backward pass, which DL4J
 *                            otherwise recomputes (a second forward convolution per layer and minibatch); costs one
 *                            pre-activation array per convolution layer in memory. {@code none} = DL4J's default.
 * @param widthMultiplier     channels of every convolution × this, rounded ({@link Network#widthScalable()} only)
 * @param checkpointEveryRounds with parameter averaging, also a checkpoint after every this many averaging rounds
 *                            inside an epoch, from which a resume continues at the next round; 0 = off
 * @param epochTimeoutMinutes cancel an epoch's Spark jobs and stop the run when its fit takes longer than this many
 *                            minutes (a hung executor or network would otherwise hold the cluster forever); the last
 *                            checkpoint stays for {@code train --resume}. 0 = no limit
 * @param decodedCache        {@code auto}: decode the train split once and keep its uint8 pixels on the executors when
 *                            they fit ({@link DecodedCache}); {@code off}: decode every record every epoch
 * @param stopAfterEpoch      fit up to this epoch in this invocation, then write the model and stop (the schedule
 *                            still spans {@code epochs}; {@code train --resume} continues); 0 = {@code epochs}
 * @param divergenceFactor    stop ({@link TrainingStoppedException}) when an epoch's loss exceeds this many times the
 *                            loss of the run's first averaging round (its first epoch under gradient sharing); 0 = off
 * @param stopAtChance        stop ({@link TrainingStoppedException}) when the validation accuracy after epoch 1 is
 *                            within 3 binomial standard deviations of 1 / classes
 */
public record TrainingConfig(String dataset, String runsDir, String runId, Network network, int epochs, int workers,
                             int batchSizePerWorker, int averagingFrequency, int prefetchBatches,
                             RddTrainingApproach rddTrainingApproach, Updater updater, double learningRate,
                             double momentum, double weightDecay, AugmentationPipeline augmentation,
                             int trainAccuracySample, boolean collectTrainingStats, long seed,
                             LearningRateSchedule lrSchedule, int referenceBatchSize,
                             GradientClipping gradientClipping, double gradientClippingThreshold,
                             WeightInit weightInit, int checkpointEveryEpochs, double checkpointEveryMinutes,
                             int keepCheckpoints, ResumeMode resume, SortedMap<Integer, Integer> batchSizeSchedule,
                             int earlyStoppingPatience, boolean lars, double larsTrustCoefficient,
                             Transfer transfer, TrainingMaster trainingMaster, GradientSharing gradientSharing,
                             CacheMode cacheMode, double widthMultiplier, double epochTimeoutMinutes,
                             int checkpointEveryRounds, DecodedCacheMode decodedCache, int stopAfterEpoch,
                             double divergenceFactor, boolean stopAtChance)
        implements Serializable {

    /** How workers combine their updates ({@code train.training-master}). */
    public enum TrainingMaster implements ConfigEnum {
        /** dl4j-spark's {@code ParameterAveragingTrainingMaster}: deterministic. */
        PARAMETER_AVERAGING,
        /** dl4j-spark's {@code SharedTrainingMaster} (threshold-encoded updates over Aeron UDP): asynchronous. */
        GRADIENT_SHARING
    }

    /** The optimizer ({@code train.updater}); DL4J has no heavy-ball momentum, {@code nesterov} is SGD + Nesterov. */
    public enum Updater implements ConfigEnum {
        SGD, NESTEROV, ADAGRAD, ADADELTA, RMSPROP, ADAM, ADAMAX, NADAM, AMSGRAD
    }

    /** Where dl4j-spark keeps each epoch's minibatches ({@code train.rdd-training-approach}). */
    public enum RddTrainingApproach implements ConfigEnum {
        /** In Spark memory. */
        DIRECT,
        /** Serialized under the run directory, deleted after each epoch. */
        EXPORT
    }

    /** DL4J's gradient normalization ({@code train.gradient-clipping}); DL4J has no global-norm clipping. */
    public enum GradientClipping implements ConfigEnum {
        NONE, L2_PER_LAYER, L2_PER_PARAM_TYPE, ELEMENT_WISE
    }

    /** Hidden layers' initialization ({@code train.weight-init}). */
    public enum WeightInit implements ConfigEnum {
        /** He et al. 2015, for ReLU. */
        HE,
        /** Glorot and Bengio 2010. */
        XAVIER,
        LECUN,
        /** Saxe et al. 2014 ({@link OrthogonalInit}), gain √2. */
        ORTHOGONAL
    }

    /** Whether a run continues from its checkpoint ({@code train.resume}). */
    public enum ResumeMode implements ConfigEnum {
        /** Start a new run. */
        FALSE,
        /** Continue from the newest checkpoint; an error if there is none. */
        TRUE,
        /** Continue when there is a checkpoint, else start (a scheduler's retries). */
        AUTO
    }

    /** DL4J's {@code CacheMode} for training ({@code train.cache-mode}). */
    public enum CacheMode implements ConfigEnum {
        NONE, DEVICE
    }

    /** Whether the train split is decoded once and cached ({@code train.decoded-cache}; {@link DecodedCache}). */
    public enum DecodedCacheMode implements ConfigEnum {
        AUTO, OFF
    }

    /** The {@code train} section. */
    public static final ConfigGroup SECTION = ConfigGroup.section("train", "");

    public static final ConfigKey<String> DATASET = SECTION.hocon("dataset", ConfigKind.STRING, "${preprocess.output}")
            .validIf(s -> !s.isBlank(), "must be a path or URI")
            .doc("Dataset directory to train on.");
    public static final ConfigKey<String> RUNS_DIR = SECTION.string("runs-dir", "work/runs")
            .validIf(s -> !s.isBlank(), "must be a path or URI")
            .doc("Directory holding the run directories (and the latest pointer).");
    public static final ConfigKey<String> RUN_ID = SECTION.string("run-id", "")
            .validIf(s -> s.matches("[A-Za-z0-9._-]+"), "must be a non-empty name of letters, digits, '.', '_' or '-'")
            .doc("Name of the run directory under runs-dir; \"\" = run-<UTC timestamp>.");
    public static final ConfigKey<Network> NETWORK = SECTION.choice("network", Network.LENET)
            .doc("Sequential (MultiLayerNetwork): lenet | small-cnn (VGG-style 3x3 stacks with batch norm, for "
                    + "28-32 px inputs) | alexnet | vgg11 | vgg16. ComputationGraph: resnet20 (CIFAR) | resnet18 | "
                    + "resnet34 | resnet50 (bottleneck) | inception-small (factorized 1xN / Nx1 convolutions). ResNets "
                    + "and Inception take a small-input stem below 128 px. `cnn-pipeline network` prints layers, "
                    + "output shapes, parameters and FLOPs.");
    public static final ConfigKey<Integer> EPOCHS = SECTION.integer("epochs", 2)
            .validIf(e -> e >= 1, "must be >= 1")
            .doc("Passes over the training split.");
    public static final ConfigKey<TrainingMaster> TRAINING_MASTER = SECTION.choice("training-master",
                    TrainingMaster.PARAMETER_AVERAGING)
            .doc("parameter-averaging (dl4j-spark's ParameterAveragingTrainingMaster: workers fit "
                    + "averaging-frequency minibatches, then their parameters and updater states are averaged; "
                    + "deterministic) | gradient-sharing (SharedTrainingMaster: workers exchange threshold-encoded "
                    + "updates after every minibatch over Aeron UDP, Strom 2015; asynchronous, not bit-reproducible; "
                    + "the alternative for many workers, where averaging whole parameter vectors through the driver "
                    + "costs more than the minibatches). See gradient-sharing below.");
    static final ConfigGroup GRADIENT_SHARING_SECTION = SECTION.group("gradient-sharing", "Gradient sharing's "
            + "settings (used when training-master = gradient-sharing). The learning-rate schedule then changes at "
            + "epoch boundaries (the value at each epoch's start); averaging-frequency and lars do not apply.");
    public static final ConfigKey<GradientSharing.ThresholdAlgorithm> GRADIENT_SHARING_THRESHOLD_ALGORITHM =
            GRADIENT_SHARING_SECTION.choice("threshold-algorithm", GradientSharing.ThresholdAlgorithm.ADAPTIVE)
            .doc("adaptive (tau adjusted to send between min-sparsity and max-sparsity of the update elements) | "
                    + "fixed");
    public static final ConfigKey<Double> GRADIENT_SHARING_THRESHOLD = GRADIENT_SHARING_SECTION.number("threshold", 1e-4)
            .validIf(t -> t > 0 && Double.isFinite(t), "must be > 0")
            .doc("Update elements with |u| > tau are sent as +-tau; the rest accumulates in each worker's "
                    + "residual.");
    public static final ConfigKey<Double> GRADIENT_SHARING_MIN_SPARSITY = GRADIENT_SHARING_SECTION.number(
                    "min-sparsity", 1e-4)
            .validIf(f -> f > 0 && f < 1, "must be in (0, 1)")
            .doc("Adaptive: lower bound of the fraction of update elements sent.");
    public static final ConfigKey<Double> GRADIENT_SHARING_MAX_SPARSITY = GRADIENT_SHARING_SECTION.number(
                    "max-sparsity", 1e-2)
            .validIf(f -> f > 0 && f < 1, "must be in [min-sparsity, 1)")
            .doc("Adaptive: upper bound of the fraction of update elements sent.");
    public static final ConfigKey<String> GRADIENT_SHARING_CONTROLLER_ADDRESS = GRADIENT_SHARING_SECTION.string(
                    "controller-address", "")
            .doc("The driver's address that executors reach over UDP (\"\" = spark.driver.host).");
    public static final ConfigKey<Integer> GRADIENT_SHARING_CONTROLLER_PORT = GRADIENT_SHARING_SECTION.integer(
                    "controller-port", 40123)
            .validIf(p -> p >= 1 && p <= 65535, "must be in 1..65535")
            .doc("UDP port of the driver's Aeron endpoint; open it between the driver and the executors.");
    public static final ConfigKey<String> GRADIENT_SHARING_NETWORK_MASK = GRADIENT_SHARING_SECTION.string(
                    "network-mask", "")
            .validIf(m -> m.isEmpty() || m.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}"),
                    "must be an IPv4 network such as 10.0.0.0/16")
            .doc("Executors pick their own address on this IPv4 network, e.g. \"10.0.0.0/16\" (\"\" = the "
                    + "DL4J_VOID_IP environment variable, else 127.0.0.1).");
    public static final ConfigKey<Integer> GRADIENT_SHARING_WORKERS_PER_NODE = GRADIENT_SHARING_SECTION.integer(
                    "workers-per-node", 0)
            .validIf(n -> n >= 0, "must be >= 0")
            .doc("Training threads per executor (0 = DL4J's default: one per device, one on CPU).");
    public static final ConfigKey<Integer> WORKERS = SECTION.integer("workers", 0)
            .validIf(w -> w >= 0, "must be >= 0 (0 = Spark default parallelism)")
            .doc("Workers (parameter averaging: models averaged; gradient sharing: Spark partitions); 0 = Spark's "
                    + "default parallelism.");
    public static final ConfigKey<Integer> BATCH_SIZE_PER_WORKER = SECTION.integer("batch-size-per-worker", 32)
            .validIf(b -> b >= 1, "must be >= 1")
            .doc("Minibatch size on each worker; the global minibatch is workers x this.");
    public static final ConfigKey<Integer> AVERAGING_FREQUENCY = SECTION.integer("averaging-frequency", 5)
            .validIf(f -> f >= 1, "must be >= 1")
            .doc("Minibatches each worker fits between parameter averagings.");
    public static final ConfigKey<Integer> PREFETCH_BATCHES = SECTION.integer("prefetch-batches", 2)
            .validIf(b -> b >= 0, "must be >= 0")
            .doc("Minibatches each worker prefetches asynchronously (0 = off).");
    public static final ConfigKey<RddTrainingApproach> RDD_TRAINING_APPROACH = SECTION.choice("rdd-training-approach",
                    RddTrainingApproach.DIRECT)
            .doc("direct (minibatches in Spark memory) | export (serialized under the run directory, deleted each "
                    + "epoch)");
    public static final ConfigKey<Updater> UPDATER = SECTION.choice("updater", Updater.NESTEROV)
            .doc("sgd | nesterov (SGD + Nesterov momentum) | adagrad | adadelta (no learning rate) | rmsprop | "
                    + "adam | adamax | nadam | amsgrad");
    public static final ConfigKey<Double> LEARNING_RATE = SECTION.number("learning-rate", 0.01)
            .validIf(r -> r > 0 && Double.isFinite(r), "must be > 0")
            .doc("Base learning rate; with reference-batch-size > 0 it is the rate for that global batch, and the "
                    + "rate used is learning-rate x (workers x batch-size-per-worker) / reference-batch-size (linear "
                    + "scaling rule, Goyal et al. 2017).");
    public static final ConfigKey<Integer> REFERENCE_BATCH_SIZE = SECTION.integer("reference-batch-size", 0)
            .validIf(b -> b >= 0, "must be >= 0 (0 = no linear scaling)")
            .doc("The global batch learning-rate is meant for (linear scaling rule); 0 = off.");
    public static final ConfigKey<Double> MOMENTUM = SECTION.number("momentum", 0.9)
            .validIf(m -> m >= 0 && m < 1, "must be in [0, 1)")
            .doc("Momentum of nesterov (and the moment decay of the updaters that have one).");
    public static final ConfigKey<Double> WEIGHT_DECAY = SECTION.number("weight-decay", 0.0005)
            .validIf(w -> w >= 0, "must be >= 0")
            .doc("L2 regularization coefficient (added to the gradient as weight-decay x w).");
    static final ConfigGroup LR_SCHEDULE_SECTION = SECTION.group("lr-schedule", "Learning rate over the epochs "
            + "(e = fractional epoch, W = warmup-epochs, t = (e - W) / (epochs - W)): warmup: e < W: rate x "
            + "(warmup-start-factor + (1 - warmup-start-factor) e / W) (Goyal et al.: start factor = reference batch / "
            + "global batch, W = 5); then constant | step (x gamma at each epoch in milestones) | exponential "
            + "(x gamma^e) | polynomial (min-lr + (rate - min-lr)(1 - t)^power) | cosine (min-lr + (rate - min-lr)"
            + "(1 + cos(pi t)) / 2). plateau-patience > 0: after that many epochs without a better validation "
            + "accuracy, the rate is multiplied by plateau-factor (reduce-on-plateau; needs a validation split).");
    public static final ConfigKey<LearningRateSchedule.Type> LR_SCHEDULE_TYPE = LR_SCHEDULE_SECTION.choice("type",
                    LearningRateSchedule.Type.CONSTANT)
            .doc("The decay after warmup.");
    public static final ConfigKey<List<Double>> LR_SCHEDULE_MILESTONES = LR_SCHEDULE_SECTION.key("milestones",
                    ConfigKind.DOUBLES, List.of()).unit("epochs")
            .doc("step: epochs (ascending, > 0) at which the rate is multiplied by gamma.");
    public static final ConfigKey<Double> LR_SCHEDULE_GAMMA = LR_SCHEDULE_SECTION.number("gamma", 0.1)
            .validIf(g -> g > 0 && g <= 1, "must be in (0, 1]")
            .doc("step / exponential decay factor.");
    public static final ConfigKey<Double> LR_SCHEDULE_POWER = LR_SCHEDULE_SECTION.number("power", 1.0)
            .validIf(p -> p > 0, "must be > 0")
            .doc("polynomial power.");
    public static final ConfigKey<Double> LR_SCHEDULE_MIN_LR = LR_SCHEDULE_SECTION.number("min-lr", 0.0)
            .validIf(r -> r >= 0, "must be >= 0")
            .doc("polynomial / cosine floor.");
    public static final ConfigKey<Double> LR_SCHEDULE_WARMUP_EPOCHS = LR_SCHEDULE_SECTION.number("warmup-epochs", 0)
            .unit("epochs").validIf(w -> w >= 0 && Double.isFinite(w), "must be >= 0")
            .doc("Epochs of linear warmup (may be fractional).");
    public static final ConfigKey<Double> LR_SCHEDULE_WARMUP_START_FACTOR = LR_SCHEDULE_SECTION.number(
                    "warmup-start-factor", 0.0)
            .validIf(f -> f >= 0 && f <= 1, "must be in [0, 1]")
            .doc("Rate at the start of warmup as a fraction of the target.");
    public static final ConfigKey<Integer> LR_SCHEDULE_PLATEAU_PATIENCE = LR_SCHEDULE_SECTION.integer(
                    "plateau-patience", 0).unit("epochs")
            .validIf(p -> p >= 0, "must be >= 0 (0 = off)")
            .doc("Reduce-on-plateau: epochs without a better validation accuracy before the rate is lowered.");
    public static final ConfigKey<Double> LR_SCHEDULE_PLATEAU_FACTOR = LR_SCHEDULE_SECTION.number("plateau-factor",
                    0.1)
            .validIf(f -> f > 0 && f < 1, "must be in (0, 1)")
            .doc("Reduce-on-plateau's factor.");
    public static final ConfigKey<GradientClipping> GRADIENT_CLIPPING = SECTION.choice("gradient-clipping",
                    GradientClipping.NONE)
            .doc("Gradient clipping: none | l2-per-layer | l2-per-param-type | element-wise (each value to "
                    + "+-threshold).");
    public static final ConfigKey<Double> GRADIENT_CLIPPING_THRESHOLD = SECTION.number("gradient-clipping-threshold",
                    1.0)
            .validIf(t -> t > 0, "must be > 0")
            .doc("Threshold of the gradient clipping.");
    public static final ConfigKey<WeightInit> WEIGHT_INIT = SECTION.choice("weight-init", WeightInit.HE)
            .doc("Hidden layers' initialization: he (for ReLU) | xavier | lecun | orthogonal (Saxe et al., gain "
                    + "sqrt 2); output layers use xavier.");
    public static final ConfigKey<CacheMode> CACHE_MODE = SECTION.choice("cache-mode", CacheMode.DEVICE)
            .doc("device: keep each convolution's pre-activation from the forward pass for the backward pass "
                    + "(DL4J's CacheMode.DEVICE), instead of DL4J's default (none) of computing the convolution a "
                    + "second time in the backward pass. Costs one pre-activation array per convolution layer; none "
                    + "for the least memory.");
    public static final ConfigKey<Double> WIDTH_MULTIPLIER = SECTION.number("width-multiplier", 1.0)
            .validIf(w -> w > 0 && Double.isFinite(w), "must be > 0")
            .doc("Channels of every convolution x this, rounded: MobileNet's width multiplier; for resnet20 the "
                    + "widening factor k of Wide ResNets (WRN-20-k). Dense layers keep their sizes. Only lenet, small-cnn, "
                    + "vgg11, vgg16 and resnet20 take a value other than 1.");
    public static final ConfigKey<Integer> CHECKPOINT_EVERY_EPOCHS = SECTION.integer("checkpoint-every-epochs", 1)
            .validIf(n -> n >= 0, "must be >= 0 (0 = off)")
            .doc("Checkpoints at epoch ends in <run>/checkpoints (network + updater state + schedule position), "
                    + "written atomically, every this many epochs and after the last; 0 = not by epochs.");
    public static final ConfigKey<Double> CHECKPOINT_EVERY_MINUTES = SECTION.number("checkpoint-every-minutes", 0)
            .unit("minutes").validIf(m -> m >= 0, "must be >= 0 (0 = off)")
            .doc("Also a checkpoint at the first epoch end (or, with checkpoint-every-rounds, averaging round end) "
                    + "this many minutes after the previous one; 0 = not by time.");
    public static final ConfigKey<Integer> CHECKPOINT_EVERY_ROUNDS = SECTION.integer("checkpoint-every-rounds", 0)
            .validIf(n -> n >= 0, "must be >= 0 (0 = off)")
            .doc("Parameter averaging: also a checkpoint inside an epoch after every this many averaging rounds, "
                    + "and checkpoint-every-minutes is then checked after every round too; train --resume continues "
                    + "at the next round, with the minibatches the interrupted run would have fitted, so a lost "
                    + "driver costs at most this many rounds. 0 = checkpoints at epoch ends only.");
    public static final ConfigKey<DecodedCacheMode> DECODED_CACHE = SECTION.choice("decoded-cache",
                    DecodedCacheMode.AUTO)
            .doc("auto: decode the train split's PNG/JPEG images once, before the first epoch, and keep their uint8 "
                    + "pixels in the executors' storage memory (Spark's columnar cache, spilling to local disk), so "
                    + "no epoch decodes a record again; used when the decoded split takes at most half of the "
                    + "executors' storage memory, else every epoch decodes, as with off. The trained model is the "
                    + "same either way.");
    public static final ConfigKey<Integer> STOP_AFTER_EPOCH = SECTION.integer("stop-after-epoch", 0)
            .validIf(n -> n >= 0, "must be >= 0 (0 = train.epochs)")
            .doc("Fit up to this epoch in this invocation, then write the model and stop; the learning-rate schedule "
                    + "still spans train.epochs, and train --resume continues to the next stop or to train.epochs "
                    + "as if the run had not paused (a search's rungs, a job cut into scheduler slots). A checkpoint "
                    + "is written at this epoch. 0 = train.epochs.");
    public static final ConfigKey<Double> DIVERGENCE_FACTOR = SECTION.number("divergence-factor", 0)
            .validIf(f -> f == 0 || (f > 1 && Double.isFinite(f)), "must be 0 (off) or > 1")
            .doc("Stop the run (exit 1, no checkpoint for the epoch) when an epoch's training loss exceeds this many "
                    + "times the loss of its first averaging round (its first epoch under gradient sharing): the "
                    + "learning rate is too high. A NaN or infinite loss always stops it. 0 = off.");
    public static final ConfigKey<Boolean> STOP_AT_CHANCE = SECTION.bool("stop-at-chance", false)
            .doc("Stop the run (exit 1) when the validation accuracy after epoch 1 is at chance: within 3 binomial "
                    + "standard deviations of 1 / classes over the validation split's images. Needs a validation "
                    + "split; without one the rule is skipped with a warning.");
    public static final ConfigKey<Integer> KEEP_CHECKPOINTS = SECTION.integer("keep-checkpoints", 2)
            .validIf(n -> n >= 1, "must be >= 1")
            .doc("The newest checkpoints kept.");
    public static final ConfigKey<Double> EPOCH_TIMEOUT_MINUTES = SECTION.number("epoch-timeout-minutes", 0)
            .unit("minutes").validIf(m -> m >= 0 && Double.isFinite(m), "must be >= 0 (0 = no limit)")
            .doc("An epoch whose fit takes longer than this many minutes has its Spark jobs cancelled and stops "
                    + "the run with the epoch named (a hung executor or network would otherwise hold the cluster "
                    + "forever); the last checkpoint stays for train --resume. 0 = no limit. Set it to a few times the "
                    + "expected epoch time.");
    public static final ConfigKey<SortedMap<Integer, Integer>> BATCH_SIZE_SCHEDULE = SECTION.hocon(
                    "batch-size-schedule", ConfigKind.structured("list of {epoch, batch-size-per-worker}",
                            TrainingConfig::readBatchSchedule, TrainingConfig::renderBatchSchedule), "[]")
            .validIf(s -> s.keySet().stream().allMatch(e -> e >= 2),
                    "epochs must be >= 2 (epoch 1 uses batch-size-per-worker)")
            .validIf(s -> s.values().stream().allMatch(b -> b >= 1), "batch sizes must be >= 1")
            .doc("Growing batch size instead of learning-rate decay (Smith et al. 2017): from each listed epoch "
                    + "on, this batch size per worker, e.g. [{epoch = 31, batch-size-per-worker = 160}]. The linear "
                    + "scaling rule keeps using the first epoch's.");
    public static final ConfigKey<Boolean> LARS = SECTION.bool("lars", false)
            .doc("LARS (You et al. 2017): each layer's weights step with the local rate lars-trust-coefficient x "
                    + "|w| / (|g| + weight-decay x |w|) times the learning rate, on g + weight-decay x w (weight-decay "
                    + "is then LARS's, not an L2 term). For large global batches with sgd or nesterov; biases and "
                    + "batch norm keep plain steps.");
    public static final ConfigKey<Double> LARS_TRUST_COEFFICIENT = SECTION.number("lars-trust-coefficient", 0.001)
            .validIf(c -> c > 0, "must be > 0")
            .doc("LARS's trust coefficient eta.");
    static final ConfigGroup TRANSFER_SECTION = SECTION.group("transfer",
            "Transfer learning: start from a trained network instead of train.network.");
    public static final ConfigKey<String> TRANSFER_FROM = TRANSFER_SECTION.string("from", "")
            .doc("A DL4J MultiLayerNetwork or ComputationGraph zip on any Hadoop filesystem (a run's model.zip, "
                    + "or any DL4J model); \"\" = none.");
    public static final ConfigKey<String> TRANSFER_FREEZE_UP_TO = TRANSFER_SECTION.string("freeze-up-to", "")
            .doc("Freeze this layer and every layer before it (in a graph: every vertex on a path from the input "
                    + "to it); their parameters do not change; \"\" = train every layer.");
    public static final ConfigKey<Boolean> TRANSFER_REPLACE_OUTPUT = TRANSFER_SECTION.bool("replace-output", true)
            .doc("Replace the output layer by a new one for this dataset's classes (keep it only for the same "
                    + "classes).");
    public static final ConfigKey<Map<String, Double>> TRANSFER_LR_MULTIPLIERS = TRANSFER_SECTION.key(
                    "lr-multipliers", ConfigKind.NUMBER_MAP, Map.of())
            .doc("Learning-rate multipliers by layer name, e.g. {fc1 = 0.1, conv2 = 0.01}; unlisted layers use 1.");
    public static final ConfigKey<Integer> EARLY_STOPPING_PATIENCE = SECTION.integer("early-stopping-patience", 0)
            .validIf(p -> p >= 0, "must be >= 0 (0 = off)")
            .doc("Stop after this many epochs without a better validation accuracy (0 = off); best-model.zip "
                    + "holds the best.");
    public static final ConfigKey<ResumeMode> RESUME = SECTION.choice("resume", ResumeMode.FALSE)
            .doc("true: continue the run train.run-id from its newest checkpoint (cnn-pipeline train --resume); "
                    + "the run continues as if it had not stopped, and train.epochs may be raised to train longer. "
                    + "auto: the same when the run has a checkpoint, else start it (for a scheduler's retries: the "
                    + "same command the first time and every time after). false: start a new run.");
    public static final ConfigKey<Integer> TRAIN_ACCURACY_SAMPLE = SECTION.integer("train-accuracy-sample", 2000)
            .validIf(n -> n >= 0, "must be >= 0")
            .doc("Training-split records evaluated (centre crop) each epoch for the train accuracy; 0 = skip.");
    public static final ConfigKey<Boolean> COLLECT_TRAINING_STATS = SECTION.bool("collect-training-stats", false)
            .doc("Record dl4j-spark's training statistics and write training-stats.html into the run.");

    /**
     * Gradient sharing ({@code train.training-master = gradient-sharing}; DL4J's {@code SharedTrainingMaster}, after
     * Strom, "Scalable distributed DNN training using commodity GPU cloud computing", Interspeech 2015): every worker
     * fits its own minibatches and sends each update element whose magnitude exceeds a threshold τ (as ±τ; the rest
     * stays in a local residual) to every other worker over Aeron UDP, instead of averaging whole parameter vectors
     * every few minibatches. Asynchronous, so runs are not bit-reproducible.
     *
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
    public record GradientSharing(ThresholdAlgorithm thresholdAlgorithm, double threshold, double minSparsity,
                                  double maxSparsity, String controllerAddress, int controllerPort,
                                  String networkMask, int workersPerNode) implements Serializable {
        /** How τ is chosen. */
        public enum ThresholdAlgorithm implements ConfigEnum {
            /** τ adjusted so that the fraction of elements sent stays between the sparsity bounds (DL4J's default). */
            ADAPTIVE,
            FIXED
        }

        /** DL4J's defaults (the configuration's). */
        public static final GradientSharing DEFAULT = new GradientSharing(ThresholdAlgorithm.ADAPTIVE, 1e-4, 1e-4,
                1e-2, "", 40123, "", 0);

        public GradientSharing {
            GRADIENT_SHARING_THRESHOLD_ALGORITHM.require(thresholdAlgorithm);
            GRADIENT_SHARING_THRESHOLD.require(threshold);
            GRADIENT_SHARING_MIN_SPARSITY.require(minSparsity);
            GRADIENT_SHARING_MAX_SPARSITY.require(maxSparsity);
            require(maxSparsity >= minSparsity, GRADIENT_SHARING_MAX_SPARSITY.name(), "must be in [min-sparsity, 1)",
                    maxSparsity);
            GRADIENT_SHARING_CONTROLLER_PORT.require(controllerPort);
            GRADIENT_SHARING_WORKERS_PER_NODE.require(workersPerNode);
            controllerAddress = controllerAddress == null ? "" : controllerAddress;
            networkMask = GRADIENT_SHARING_NETWORK_MASK.require(networkMask == null ? "" : networkMask);
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
                           Map<String, Double> lrMultipliers) implements Serializable {
        public static final Transfer NONE = new Transfer("", "", true, Map.of());

        public Transfer {
            from = from == null ? "" : from;
            freezeUpTo = freezeUpTo == null ? "" : freezeUpTo;
            lrMultipliers = lrMultipliers == null ? Map.of()
                    : Collections.unmodifiableMap(new TreeMap<>(lrMultipliers));
            for (Map.Entry<String, Double> e : lrMultipliers.entrySet()) {
                require(e.getValue() >= 0 && Double.isFinite(e.getValue()),
                        TRANSFER_LR_MULTIPLIERS.name() + "." + e.getKey(), "must be >= 0", e.getValue());
            }
        }

        public boolean enabled() {
            return !from.isEmpty();
        }
    }

    public TrainingConfig {
        DATASET.require(dataset);
        RUNS_DIR.require(runsDir);
        RUN_ID.require(runId);
        NETWORK.require(network);
        EPOCHS.require(epochs);
        WORKERS.require(workers);
        BATCH_SIZE_PER_WORKER.require(batchSizePerWorker);
        AVERAGING_FREQUENCY.require(averagingFrequency);
        PREFETCH_BATCHES.require(prefetchBatches);
        RDD_TRAINING_APPROACH.require(rddTrainingApproach);
        UPDATER.require(updater);
        LEARNING_RATE.require(learningRate);
        MOMENTUM.require(momentum);
        WEIGHT_DECAY.require(weightDecay);
        AugmentationConfig.AUGMENTATION.require(augmentation);
        TRAIN_ACCURACY_SAMPLE.require(trainAccuracySample);
        lrSchedule = lrSchedule == null ? LearningRateSchedule.CONSTANT : lrSchedule;
        REFERENCE_BATCH_SIZE.require(referenceBatchSize);
        gradientClipping = GRADIENT_CLIPPING.require(gradientClipping == null ? GradientClipping.NONE : gradientClipping);
        GRADIENT_CLIPPING_THRESHOLD.require(gradientClippingThreshold);
        weightInit = WEIGHT_INIT.require(weightInit == null ? WeightInit.HE : weightInit);
        batchSizeSchedule = Collections.unmodifiableSortedMap(new TreeMap<>(BATCH_SIZE_SCHEDULE.require(
                batchSizeSchedule == null ? new TreeMap<>() : batchSizeSchedule)));
        EARLY_STOPPING_PATIENCE.require(earlyStoppingPatience);
        require(!lars || larsTrustCoefficient > 0, LARS_TRUST_COEFFICIENT.name(), LARS_TRUST_COEFFICIENT.rule(),
                larsTrustCoefficient);
        require(!lars || updater == Updater.SGD || updater == Updater.NESTEROV, LARS.name(),
                "works with the sgd and nesterov updaters (LARS rescales SGD steps)", updater.id());
        transfer = transfer == null ? Transfer.NONE : transfer;
        require(transfer.enabled() || (transfer.freezeUpTo().isEmpty() && transfer.lrMultipliers().isEmpty()),
                TRANSFER_FROM.name(), "is required by freeze-up-to and lr-multipliers", transfer.from());
        CHECKPOINT_EVERY_EPOCHS.require(checkpointEveryEpochs);
        CHECKPOINT_EVERY_MINUTES.require(checkpointEveryMinutes);
        KEEP_CHECKPOINTS.require(keepCheckpoints);
        CHECKPOINT_EVERY_ROUNDS.require(checkpointEveryRounds);
        EPOCH_TIMEOUT_MINUTES.require(epochTimeoutMinutes);
        resume = RESUME.require(resume == null ? ResumeMode.FALSE : resume);
        require(resume == ResumeMode.FALSE || checkpointing(checkpointEveryEpochs, checkpointEveryMinutes,
                checkpointEveryRounds), RESUME.name(), "needs checkpoints (train.checkpoint-every-epochs, -minutes or "
                + "-rounds)", resume.id());
        require(updater != Updater.ADADELTA || (lrSchedule.type() == LearningRateSchedule.Type.CONSTANT
                        && lrSchedule.warmupEpochs() == 0 && lrSchedule.plateauPatience() == 0),
                LR_SCHEDULE_SECTION.name(), "AdaDelta has no learning rate to schedule; use type = constant, no "
                        + "warmup, no plateau", lrSchedule.type().id());
        trainingMaster = TRAINING_MASTER.require(trainingMaster == null ? TrainingMaster.PARAMETER_AVERAGING
                : trainingMaster);
        gradientSharing = gradientSharing == null ? GradientSharing.DEFAULT : gradientSharing;
        cacheMode = CACHE_MODE.require(cacheMode == null ? CacheMode.DEVICE : cacheMode);
        decodedCache = DECODED_CACHE.require(decodedCache == null ? DecodedCacheMode.AUTO : decodedCache);
        STOP_AFTER_EPOCH.require(stopAfterEpoch);
        require(stopAfterEpoch <= epochs, STOP_AFTER_EPOCH.name(), "must be <= train.epochs (" + epochs + ")",
                stopAfterEpoch);
        DIVERGENCE_FACTOR.require(divergenceFactor);
        requireWidthMultiplier(network, widthMultiplier, WIDTH_MULTIPLIER.name());
        require(trainingMaster != TrainingMaster.GRADIENT_SHARING || checkpointEveryRounds == 0,
                CHECKPOINT_EVERY_ROUNDS.name(), "counts averaging rounds; gradient sharing has none (use "
                        + "checkpoint-every-epochs)", checkpointEveryRounds);
        require(trainingMaster != TrainingMaster.GRADIENT_SHARING || !lars, LARS.name(), "is applied between "
                + "parameter averagings; it is not available with train.training-master = gradient-sharing", lars);
    }

    /**
     * A builder holding every key's default (the augmentation's and {@code seed}'s too) and a fresh run-id
     * ({@link RunDirectory#newRunId()}); {@code dataset} has no default here and must be set.
     */
    public static ConfigBuilder<TrainingConfig> builder() {
        List<ConfigKey<?>> extra = new java.util.ArrayList<>(AugmentationConfig.SECTION.keys());
        extra.add(CoreKeys.SEED);
        return new ConfigBuilder<>(TrainingConfig.class, SECTION, extra.toArray(new ConfigKey<?>[0]))
                .set(RUN_ID, RunDirectory.newRunId());
    }

    /** {@code train.batch-size-schedule}: a list of {epoch, batch-size-per-worker} objects. */
    private static SortedMap<Integer, Integer> readBatchSchedule(com.typesafe.config.Config config, String path) {
        SortedMap<Integer, Integer> schedule = new TreeMap<>();
        List<? extends com.typesafe.config.Config> entries = config.getConfigList(path);
        for (int i = 0; i < entries.size(); i++) {
            com.typesafe.config.Config e = entries.get(i);
            String key = path + "[" + i + "]";
            require(e.hasPath("epoch") && e.hasPath("batch-size-per-worker") && e.root().size() == 2, key,
                    "must be {epoch = N, batch-size-per-worker = B}",
                    e.root().render(com.typesafe.config.ConfigRenderOptions.concise()));
            require(schedule.put(e.getInt("epoch"), e.getInt("batch-size-per-worker")) == null, key,
                    "epoch " + e.getInt("epoch") + " is listed twice", e.getInt("epoch"));
        }
        return Collections.unmodifiableSortedMap(schedule);
    }

    private static String renderBatchSchedule(SortedMap<Integer, Integer> schedule) {
        StringBuilder b = new StringBuilder("[");
        schedule.forEach((epoch, batch) -> b.append(b.length() > 1 ? ", " : "").append("{epoch = ").append(epoch)
                .append(", batch-size-per-worker = ").append(batch).append('}'));
        return b.append(']').toString();
    }

    /** The batch size per worker in {@code epoch} (1-based). */
    public int batchSizeAt(int epoch) {
        SortedMap<Integer, Integer> upTo = batchSizeSchedule.headMap(epoch + 1);
        return upTo.isEmpty() ? batchSizePerWorker : upTo.get(upTo.lastKey());
    }

    /**
     * Checks a width multiplier for a network: &gt; 0, and 1 unless {@link Network#widthScalable()}.
     *
     * @param key the configuration key or command-line option to name in the error
     * @throws io.cnnpipeline.core.InvalidConfigException naming {@code key} when the value is not allowed
     */
    public static void requireWidthMultiplier(Network network, double widthMultiplier, String key) {
        require(widthMultiplier > 0 && Double.isFinite(widthMultiplier), key, "must be > 0", widthMultiplier);
        require(widthMultiplier == 1 || network.widthScalable(), key,
                "must be 1 for " + network.id() + " (it scales " + Network.widthScalable(true) + ")", widthMultiplier);
    }

    /** {@code filters} × {@link #widthMultiplier}, rounded, at least 1: a convolution's output channels. */
    public int width(int filters) {
        return Math.max(1, (int) Math.round(filters * widthMultiplier));
    }

    /** Whether checkpoints are written at all. */
    /** The last epoch this invocation fits: {@code stopAfterEpoch}, or {@code epochs} when that is 0. */
    public int lastEpoch() {
        return stopAfterEpoch > 0 ? stopAfterEpoch : epochs;
    }

    public boolean checkpointing() {
        return checkpointing(checkpointEveryEpochs, checkpointEveryMinutes, checkpointEveryRounds);
    }

    private static boolean checkpointing(int everyEpochs, double everyMinutes, int everyRounds) {
        return everyEpochs > 0 || everyMinutes > 0 || everyRounds > 0;
    }

    /** The network's input side in pixels ({@code train.input-size}). */
    public int inputSize() {
        return augmentation.inputSize();
    }
}
