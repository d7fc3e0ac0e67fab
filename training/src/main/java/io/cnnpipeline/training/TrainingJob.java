package io.cnnpipeline.training;

import io.cnnpipeline.training.dl4j.JvmSettings;
import io.cnnpipeline.training.dl4j.LayerHelpers;
import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.core.BuildInfo;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.dataset.ShardSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.stats.StatsUtils;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training Spark job: reads a dataset directory, trains a network data-parallel with dl4j-spark's parameter
 * averaging ({@link ParameterAveragingTrainingMaster}) on online-augmented minibatches built on the executors, and
 * writes a run directory {@code <runs-dir>/<run-id>/}:
 * <ul>
 *   <li>{@code config.resolved.conf} — the configuration the run used (as given by the caller);</li>
 *   <li>{@code provenance.json} — seed, dataset manifest and content hashes (a resume must find the same content),
 *   versions, start time;</li>
 *   <li>{@code metrics.jsonl} — one {@link EpochMetrics} per line, rewritten atomically after every epoch;</li>
 *   <li>{@code report.html} and {@code plots/} — loss, accuracy, learning-rate and throughput curves
 *       ({@link TrainingReport}), rewritten after every epoch;</li>
 *   <li>{@code model.zip} (DL4J {@code ModelSerializer}, with updater state) and {@code model-meta.json};
 *       {@code best-model.zip}, the epoch with the best validation accuracy;</li>
 *   <li>{@code training-stats.html} — dl4j-spark's timeline, when {@code collectTrainingStats} is on;</li>
 *   <li>{@code checkpoints/} — {@link Checkpoints} at epoch ends, from which {@code resume} continues the run exactly
 *       as if it had not stopped (same parameters, updater state, iteration count, schedule position; the random
 *       streams are functions of (seed, epoch, record key), and the training master is seeded per epoch).</li>
 * </ul>
 * Training stops with a clear error when the loss or the parameters stop being finite, naming the epoch, the
 * iteration and the last good checkpoint, and, with {@code epochTimeoutMinutes}, when an epoch's fit overruns
 * ({@link EpochWatchdog} cancels its Spark jobs).
 * With the {@code export} approach, minibatches are exported under the run directory and deleted after each epoch;
 * nothing is left in {@code /tmp}. Driver-side entry point.
 */
public final class TrainingJob {
    static final String RESOLVED_CONFIG_FILE = RunDirectory.RESOLVED_CONFIG;
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);
    static final String BEST_MODEL_FILE = RunDirectory.BEST_MODEL;

    private TrainingJob() {
    }

    /**
     * Runs the training.
     *
     * @param resolvedConfig text written to {@code config.resolved.conf} (may be empty)
     * @throws IllegalStateException if the run directory already exists or the dataset cannot be used
     */
    public static TrainResult run(SparkSession spark, TrainingConfig config, String resolvedConfig) {
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        DatasetDirectory dataset = DatasetDirectory.open(config.dataset(), hadoop);
        AugmentationPipeline augmentation;
        try {
            augmentation = config.augmentation().withStats(dataset.stats());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("train.augmentation", e.getMessage() + " (dataset " + dataset.uri() + ")",
                    null);
        }
        FileSystem fs = HadoopFiles.fs(config.runsDir(), hadoop);
        Path runDir = fs.makeQualified(new Path(new Path(config.runsDir()), config.runId()));
        Checkpoints checkpoints = new Checkpoints(fs, runDir, config.keepCheckpoints());
        Checkpoints.State resumeFrom = null;
        boolean resume = config.resume() == TrainingConfig.ResumeMode.TRUE
                || (config.resume() == TrainingConfig.ResumeMode.AUTO && hasCheckpointElseStartOver(fs, runDir, checkpoints));
        if (resume) {
            resumeFrom = resumable(fs, runDir, checkpoints, dataset);
            HadoopFiles.writeAtomically(fs, new Path(runDir, "config.resumed-after-epoch-" + resumeFrom.epoch()
                    + ".conf"), resolvedConfig.getBytes(StandardCharsets.UTF_8));
        } else {
            if (HadoopFiles.exists(fs, runDir)) {
                throw new io.cnnpipeline.core.StageFailedException("Cannot create run directory " + runDir
                        + ": it already exists (choose another train.run-id, or resume it with train --resume)");
            }
            try {
                fs.mkdirs(runDir);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create run directory " + runDir, e);
            }
            HadoopFiles.writeAtomically(fs, new Path(runDir, RESOLVED_CONFIG_FILE),
                    resolvedConfig.getBytes(StandardCharsets.UTF_8));
            HadoopFiles.writeAtomically(fs, new Path(runDir, RunDirectory.PROVENANCE),
                    Json.toBytes(provenance(spark, config, dataset)));
        }

        RunDirectory.markLatest(fs, runDir.getParent(), config.runId());

        int channels = dataset.stats().channels();
        int classes = dataset.classes().size();
        int size = config.inputSize();
        Normalizer normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
        int workers = config.workers() > 0 ? config.workers() : jsc.defaultParallelism();

        TrainableNetwork net;
        if (resumeFrom != null) {
            net = checkpoints.load(resumeFrom);
            LOG.info("train: resuming {} after epoch {} (iteration {}) from {}", runDir, resumeFrom.epoch(),
                    net.iterationCount(), checkpoints.latestModel());
        } else if (config.transfer().enabled()) {
            net = Transfer.build(config, hadoop, size, channels, classes);
        } else {
            net = TrainableNetwork.of(Networks.create(config, size, size, channels, classes));
        }
        LOG.info("train: {} ({} parameters) on {} ({} train images, {} classes), {} workers x batch {}, {}",
                config.network().id(), net.numParams(), dataset.uri(), dataset.count(ShardSchema.TRAIN), classes,
                workers, config.batchSizePerWorker(), config.trainingMaster() == TrainingConfig.TrainingMaster.GRADIENT_SHARING
                        ? "gradient sharing (" + config.gradientSharing().thresholdAlgorithm().id() + " threshold "
                                + config.gradientSharing().threshold() + ")"
                        : "averaging every " + config.averagingFrequency());

        Path exportDir = new Path(runDir, ".export");
        TrainableNetwork.Spark sparkNet = null;
        SparkTrainingStats trainingStats = null;

        Dataset<Row> train = dataset.shards(spark, ShardSchema.TRAIN, 2 * jsc.defaultParallelism());
        long trainCount = dataset.count(ShardSchema.TRAIN);
        JavaRDD<DataSet> trainSample = null;
        if (config.trainAccuracySample() > 0) {
            double fraction = Math.min(1.0, (double) config.trainAccuracySample() / trainCount);
            long seed = config.seed();
            Dataset<Row> sample = train.filter((org.apache.spark.api.java.function.FilterFunction<Row>) r ->
                    RandomStreams.unitInterval(seed, RandomStreams.SHUFFLE, r.<String>getAs(ShardSchema.KEY.name()))
                            < fraction);
            trainSample = Minibatches.centreCrop(sample, size, normalizer, classes, config.batchSizePerWorker());
        }
        JavaRDD<DataSet> validation = dataset.hasSplit(ShardSchema.VALIDATION)
                ? Minibatches.centreCrop(dataset.shards(spark, ShardSchema.VALIDATION, 2 * jsc.defaultParallelism()), size, normalizer, classes,
                config.batchSizePerWorker())
                : null;

        boolean gradientSharing = config.trainingMaster() == TrainingConfig.TrainingMaster.GRADIENT_SHARING;
        List<EpochMetrics> metrics = resumeFrom == null ? new ArrayList<>()
                : readMetrics(fs, new Path(runDir, RunDirectory.METRICS), resumeFrom.epoch());
        int globalBatch = workers * config.batchSizePerWorker();   // the first epoch's (Smith et al. keep the rate)
        double baseRate = LearningRateSchedule.scaled(config.learningRate(), globalBatch, config.referenceBatchSize());
        boolean scheduled = config.updater() != TrainingConfig.Updater.ADADELTA;
        double plateauFactor = resumeFrom == null ? 1.0 : resumeFrom.plateauFactor();
        double bestValidation = resumeFrom == null ? -1 : resumeFrom.bestValidation();
        int sinceBest = resumeFrom == null ? 0 : resumeFrom.epochsSinceBest();
        long lastCheckpoint = System.nanoTime();
        if (config.referenceBatchSize() > 0) {
            LOG.info("train: linear scaling rule: learning rate {} x {} / {} = {}", config.learningRate(), globalBatch,
                    config.referenceBatchSize(), baseRate);
        }
        try {
            for (int epoch = resumeFrom == null ? 1 : resumeFrom.epoch() + 1; epoch <= config.epochs(); epoch++) {
                // A master per epoch, seeded from (seed, epoch): its random splits into averaging rounds are then
                // the same whether the run was resumed or not.
                long masterSeed = RandomStreams.seedFor(config.seed(), RandomStreams.SHUFFLE, epoch, "training-master");
                sparkNet = net.spark(jsc, gradientSharing
                        ? gradientSharingMaster(config, jsc, workers, config.batchSizeAt(epoch), exportDir.toString(),
                                masterSeed)
                        : trainingMaster(config, workers, config.batchSizeAt(epoch), exportDir.toString(), masterSeed));
                sparkNet.setCollectTrainingStats(config.collectTrainingStats());
                if (config.lars()) {
                    ((ParameterAveragingTrainingMaster) sparkNet.trainingMaster()).setListeners(List.of(
                            new LarsListener(config.larsTrustCoefficient(), config.weightDecay())));
                }
                int batch = config.batchSizeAt(epoch);
                JavaRDD<DataSet> minibatches = Minibatches.training(train, augmentation, normalizer,
                        classes, batch, config.seed(), epoch, workers).persist(StorageLevel.MEMORY_ONLY());
                // The master persists and counts the minibatches anyway (same storage level); counting first gives
                // the schedule the epoch's exact number of iterations.
                long minibatchCount = minibatches.count();
                double rate = Double.NaN;
                if (scheduled) {
                    // Gradient sharing's workers count iterations on their own (from their parameter server), so the
                    // rate is the schedule's value at the epoch's start, for the whole epoch.
                    LearningRateSchedule.EpochRates rates = gradientSharing
                            ? LearningRateSchedule.EpochRates.atEpochStart(config.lrSchedule(), baseRate,
                                    plateauFactor, config.epochs(), epoch - 1)
                            : new LearningRateSchedule.EpochRates(config.lrSchedule(), baseRate, plateauFactor,
                                    config.epochs(), epoch - 1, net.iterationCount(),
                                    iterationsPerEpoch(minibatchCount, workers, config.averagingFrequency()));
                    net.setLearningRates(rates, config.transfer().lrMultipliers());
                    rate = rates.valueAt(net.iterationCount(), epoch - 1);
                }
                int iterationsBefore = net.iterationCount();
                long t0 = System.nanoTime();
                try (EpochWatchdog watchdog = EpochWatchdog.start(jsc, config.runId(), epoch,
                        config.epochTimeoutMinutes())) {
                    try {
                        sparkNet.fit(minibatches);
                    } catch (Exception e) {   // a cancelled job surfaces as Spark's (checked) SparkException
                        if (!watchdog.fired()) {
                            throw e;
                        }
                        Path good = checkpoints.latestModel();
                        throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                                "Cannot finish epoch %d: its fit took longer than %s (train.epoch-timeout-minutes) "
                                        + "and its Spark jobs were cancelled; %s", epoch, watchdog.limit(),
                                good == null ? "no checkpoint was written"
                                        : "the last checkpoint is " + good + " (train --resume continues from it)"),
                                e);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (gradientSharing) {
                    // The driver's copy receives the shared updates, not the workers' iteration counts (which
                    // start from their parameter server's; in local mode a worker's network even shares the
                    // driver's configuration object, where the count lives): count an iteration per minibatch
                    // each worker fitted.
                    net.setIterationCount(iterationsBefore + (int) ((minibatchCount + workers - 1) / workers));
                }
                if (config.collectTrainingStats() && sparkNet.trainingStats() != null) {
                    if (trainingStats == null) {
                        trainingStats = sparkNet.trainingStats();
                    } else {
                        trainingStats.addOtherTrainingStats(sparkNet.trainingStats());
                    }
                }
                minibatches.unpersist(false);
                HadoopFiles.deleteQuietly(fs, exportDir);
                double loss = sparkNet.score();
                boolean finite = Double.isFinite(loss) && finite(net.params());
                Double trainAcc = !finite || trainSample == null ? null : sparkNet.evaluate(trainSample).accuracy();
                Double valAcc = !finite || validation == null ? null : sparkNet.evaluate(validation).accuracy();
                EpochMetrics m = new EpochMetrics(epoch, loss, trainAcc, valAcc, trainCount, seconds,
                        trainCount / seconds, rate, batch, net.iterationCount());
                metrics.add(m);
                LOG.info("train: {}", m.summary(config.epochs()));
                writeMetrics(fs, new Path(runDir, RunDirectory.METRICS), metrics);
                try {
                    TrainingReport.write(fs, runDir, config.runId() + ": " + config.network().id() + " on "
                            + dataset.uri(), metrics, config.collectTrainingStats());
                } catch (RuntimeException | LinkageError e) {
                    LOG.warn("train: cannot write the report's plots: {}", e.toString());
                }
                if (!finite) {
                    Path good = checkpoints.latestModel();
                    throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                            "Cannot continue training: %s after epoch %d (iteration %d); %s", Double.isFinite(loss)
                                    ? "the parameters are not finite" : "the loss is " + loss, epoch,
                            net.iterationCount(), good == null ? "no checkpoint was written"
                                    : "the last good checkpoint is " + good + " (lower train.learning-rate, then "
                                    + "train --resume)"));
                }
                if (valAcc != null && config.lrSchedule().plateauPatience() > 0) {
                    if (valAcc > bestValidation) {
                        bestValidation = valAcc;
                        sinceBest = 0;
                    } else if (++sinceBest >= config.lrSchedule().plateauPatience()) {
                        plateauFactor *= config.lrSchedule().plateauFactor();
                        sinceBest = 0;
                        LOG.info("train: validation accuracy has not improved for {} epochs; learning rate x {}",
                                config.lrSchedule().plateauPatience(), config.lrSchedule().plateauFactor());
                    }
                }
                boolean best = valAcc != null && metrics.stream().filter(x -> x.validationAccuracy() != null)
                        .allMatch(x -> x == m || x.validationAccuracy() < valAcc);
                if (best) {
                    HadoopFiles.writeAtomically(fs, new Path(runDir, BEST_MODEL_FILE), net.bytes());
                }
                boolean byEpochs = config.checkpointEveryEpochs() > 0 && epoch % config.checkpointEveryEpochs() == 0;
                boolean byTime = config.checkpointEveryMinutes() > 0
                        && (System.nanoTime() - lastCheckpoint) / 60e9 >= config.checkpointEveryMinutes();
                if (config.checkpointing() && (byEpochs || byTime || epoch == config.epochs())) {
                    Path written = checkpoints.write(net, Checkpoints.state(epoch, net.iterationCount(),
                            plateauFactor, bestValidation, sinceBest));
                    lastCheckpoint = System.nanoTime();
                    LOG.info("train: checkpoint {}", written);
                }
                if (config.earlyStoppingPatience() > 0 && valAcc != null && epochsWithoutImprovement(metrics)
                        >= config.earlyStoppingPatience()) {
                    LOG.info("train: early stopping after epoch {}: validation accuracy has not improved for {} epochs "
                            + "(best model in {})", epoch, config.earlyStoppingPatience(), BEST_MODEL_FILE);
                    break;
                }
            }
        } finally {
            HadoopFiles.deleteQuietly(fs, exportDir);
        }

        Path modelPath = new Path(runDir, ModelMeta.MODEL_FILE);
        HadoopFiles.writeAtomically(fs, modelPath, net.bytes());
        ModelMeta meta = new ModelMeta(config.network().id(), dataset.classes(), size, size, channels,
                dataset.stats().mean(), dataset.stats().std(), dataset.uri(), dataset.manifestSha256());
        HadoopFiles.writeAtomically(fs, new Path(runDir, ModelMeta.FILE), Json.toBytes(meta));
        if (config.collectTrainingStats()) {
            writeStatsHtml(trainingStats, fs, new Path(runDir, "training-stats.html"), jsc);
        }
        TrainResult result = new TrainResult(config.runId(), runDir.toString(), modelPath.toString(),
                List.copyOf(metrics), config.epochs(), (System.nanoTime() - start) / 1e9);
        LOG.info("train: model written to {}", modelPath);
        return result;
    }

    /**
     * {@code train.resume = auto}: whether the run has a checkpoint to continue from. If its directory exists without
     * one (an attempt that stopped before its first checkpoint) the directory is removed, so that the run starts
     * again from epoch 1: nothing trained was kept in it.
     *
     * @throws IllegalStateException if the directory exists but is not a run directory (no
     *                               {@code config.resolved.conf}): it is left alone
     */
    private static boolean hasCheckpointElseStartOver(FileSystem fs, Path runDir, Checkpoints checkpoints) {
        if (!HadoopFiles.exists(fs, runDir)) {
            return false;
        }
        if (checkpoints.latest() != null) {
            return true;
        }
        if (!HadoopFiles.exists(fs, new Path(runDir, RESOLVED_CONFIG_FILE))) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot start run " + runDir + ": the directory exists and is not a run "
                    + "directory (no config.resolved.conf); choose another train.run-id");
        }
        LOG.warn("train: run {} has no checkpoint (its last attempt stopped before one): starting it again", runDir);
        try {
            fs.delete(runDir, true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot remove run directory " + runDir + " to start it again", e);
        }
        return false;
    }

    /**
     * The newest checkpoint of an existing run, after checking that the run exists, has one, and was trained on this
     * dataset.
     *
     * @throws IllegalStateException naming what is missing or different
     */
    private static Checkpoints.State resumable(FileSystem fs, Path runDir, Checkpoints checkpoints,
                                               DatasetDirectory dataset) {
        if (!HadoopFiles.exists(fs, runDir)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot resume run " + runDir + ": it does not exist");
        }
        Checkpoints.State state = checkpoints.latest();
        if (state == null) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot resume run " + runDir + ": it has no checkpoint in "
                    + Checkpoints.DIR + "/ (train.checkpoint-every-epochs was 0, or no epoch finished)");
        }
        Path provenance = new Path(runDir, RunDirectory.PROVENANCE);
        if (HadoopFiles.exists(fs, provenance)) {
            Map<?, ?> recorded = Json.fromBytes(HadoopFiles.read(fs, provenance), Map.class);
            // Runs started before content fingerprints recorded only the manifest's hash: compare that.
            boolean byContent = recorded.get("datasetContentSha256") != null;
            Object sha = byContent ? recorded.get("datasetContentSha256") : recorded.get("datasetManifestSha256");
            String now = byContent ? dataset.contentFingerprint() : dataset.manifestSha256();
            if (sha != null && !sha.equals(now)) {
                throw new io.cnnpipeline.core.StageFailedException("Cannot resume run " + runDir + ": it was trained on another dataset "
                        + "(" + (byContent ? "content" : "manifest") + " sha256 " + sha + ", now " + now + " at "
                        + dataset.uri() + ")");
            }
        }
        return state;
    }

    /** Epochs since the best validation accuracy (0 if the last epoch is the best). */
    static int epochsWithoutImprovement(List<EpochMetrics> metrics) {
        int bestAt = -1;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < metrics.size(); i++) {
            Double v = metrics.get(i).validationAccuracy();
            if (v != null && v > best) {
                best = v;
                bestAt = i;
            }
        }
        return bestAt < 0 ? 0 : metrics.size() - 1 - bestAt;
    }

    /** The first {@code epochs} lines of a run's metrics. */
    private static List<EpochMetrics> readMetrics(FileSystem fs, Path path, int epochs) {
        List<EpochMetrics> metrics = new ArrayList<>();
        if (!HadoopFiles.exists(fs, path)) {
            return metrics;
        }
        for (String line : new String(HadoopFiles.read(fs, path), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && metrics.size() < epochs) {
                metrics.add(Json.fromBytes(line.getBytes(StandardCharsets.UTF_8), EpochMetrics.class));
            }
        }
        return metrics;
    }

    /** Whether every element of a network's parameter vector is finite. */
    static boolean finite(org.nd4j.linalg.api.ndarray.INDArray p) {
        return !org.nd4j.linalg.indexing.BooleanIndexing.or(p, org.nd4j.linalg.indexing.conditions.Conditions.isNan())
                && !org.nd4j.linalg.indexing.BooleanIndexing.or(p,
                org.nd4j.linalg.indexing.conditions.Conditions.isInfinite());
    }

    /**
     * The iterations dl4j-spark counts for an epoch of {@code minibatches} minibatches: it splits them into
     * averaging rounds of {@code workers × averagingFrequency} (rounding the number of rounds down, at least one;
     * {@code SparkUtils.balancedRandomSplit}) and advances the network's iteration count by {@code averagingFrequency}
     * per round.
     */
    static long iterationsPerEpoch(long minibatches, int workers, int averagingFrequency) {
        long perRound = (long) workers * averagingFrequency;
        long rounds = minibatches <= perRound ? 1 : minibatches / perRound;
        return rounds * averagingFrequency;
    }

    /**
     * The dl4j-spark training master for a configuration: {@code workers} workers, each fitting
     * {@code batchSizePerWorker}-example minibatches (the RDD holds DataSets of that size), averaging parameters every
     * {@code averagingFrequency} minibatches, prefetching {@code prefetchBatches}, seeded from the root seed; its
     * workers keep their network between averaging rounds ({@link KeptNetworksTrainingMaster}).
     */
    public static ParameterAveragingTrainingMaster trainingMaster(TrainingConfig config, int workers,
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

    /** See {@link #trainingMaster}. */
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
    public static org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster gradientSharingMaster(
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

    private static void writeMetrics(FileSystem fs, Path path, List<EpochMetrics> metrics) {
        StringBuilder sb = new StringBuilder();
        for (EpochMetrics m : metrics) {
            sb.append(Json.MAPPER.valueToTree(m).toString()).append('\n');
        }
        HadoopFiles.writeAtomically(fs, path, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void writeStatsHtml(SparkTrainingStats stats, FileSystem fs, Path target, JavaSparkContext jsc) {
        if (stats == null) {
            LOG.warn("train: no training statistics were collected");
            return;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StatsUtils.exportStatsAsHTML(stats, out);
            HadoopFiles.writeAtomically(fs, target, out.toByteArray());
        } catch (Exception e) {
            LOG.warn("train: cannot write training statistics: {}", e.toString());
        }
    }

    private static Map<String, Object> provenance(SparkSession spark, TrainingConfig config, DatasetDirectory dataset) {
        Map<String, Object> p = new LinkedHashMap<>(io.cnnpipeline.core.Provenance.of(spark).asMap());
        p.put("startedAt", p.get("createdAt"));
        p.put("seed", config.seed());
        p.put("dataset", dataset.uri());
        p.put("datasetManifestSha256", dataset.manifestSha256());
        p.put("datasetContentSha256", dataset.contentFingerprint());
        return p;
    }
}
