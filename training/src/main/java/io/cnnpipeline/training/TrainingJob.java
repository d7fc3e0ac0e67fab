package io.cnnpipeline.training;

import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Progress;
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
 *   <li>{@code rounds.jsonl} — one {@link RoundMetrics} per averaging round (parameter averaging), likewise;</li>
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
     * Runs the training: opens (or resumes) the run directory, builds (or restores, or transfers) the network, then
     * fits epoch after epoch — each a seeded training master over the epoch's augmented minibatches, followed by the
     * epoch's bookkeeping (metrics, report, best model, checkpoint, schedule and early-stopping decisions) — and
     * writes the model.
     *
     * @param resolvedConfig text written to {@code config.resolved.conf} (may be empty)
     * @throws io.cnnpipeline.core.StageFailedException if the run directory already exists (new run) or there is
     *                                                   nothing to resume
     * @throws InvalidConfigException if the augmentation cannot use the dataset (e.g. PCA lighting on luma)
     * @throws TrainingStoppedException if a stop rule ends the run: the loss or the parameters stop being finite, the
     *                                  loss passes {@code train.divergence-factor}, or epoch 1 is at chance
     *                                  ({@code train.stop-at-chance})
     * @throws IllegalStateException if an epoch overruns {@code train.epoch-timeout-minutes}
     */
    public static TrainResult run(SparkSession spark, TrainingConfig config, String resolvedConfig) {
        return run(spark, config, resolvedConfig, new Listener() {
        });
    }

    /**
     * Told on the driver as a run goes, e.g. to record it in a tracking server. A listener's exception is logged and
     * does not stop the training.
     */
    public interface Listener {
        /** The run directory is open; {@code datasetFingerprint} identifies the training data's content. */
        default void started(String runDir, String datasetFingerprint) {
        }

        /** An epoch has been fitted, scored and written to {@code metrics.jsonl}. */
        default void epoch(EpochMetrics metrics) {
        }
    }

    /** {@link #run(SparkSession, TrainingConfig, String)}, telling {@code listener} as it goes. */
    public static TrainResult run(SparkSession spark, TrainingConfig config, String resolvedConfig,
                                  Listener listener) {
        Run run = new Run(spark, config);
        run.checkMemory();
        run.openRunDirectory(resolvedConfig);
        tell(() -> listener.started(run.runDir.toString(), run.dataset.contentFingerprint()));
        run.prepareNetwork();
        run.loadSplits();
        try {
            try {
                for (int epoch = run.firstEpoch(); epoch <= config.lastEpoch(); epoch++) {
                    EpochMetrics m = run.fitEpoch(epoch);
                    boolean stop = run.afterEpoch(m);
                    tell(() -> listener.epoch(m));
                    if (stop) {
                        break;
                    }
                }
            } finally {
                HadoopFiles.deleteQuietly(run.fs, run.exportDir);
            }
            return run.finish();
        } finally {
            run.decoded.release();
        }
    }

    private static void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("train: a run listener failed: {}", e.toString());
        }
    }

    /** One training run's state, step by step (driver-side). */
    private static final class Run {
        final long start = System.nanoTime();
        final SparkSession spark;
        final TrainingConfig config;
        final JavaSparkContext jsc;
        final Configuration hadoop;
        final DatasetDirectory dataset;
        final AugmentationPipeline augmentation;
        final FileSystem fs;
        final Path runDir;
        final Path exportDir;
        final Checkpoints checkpoints;
        final int channels;
        final int classes;
        final int size;
        final int workers;
        final Normalizer normalizer;
        final List<EpochMetrics> metrics = new ArrayList<>();
        /** Per averaging round (parameter averaging only), the epochs so far; filled on the driver's thread. */
        final List<RoundMetrics> rounds = new ArrayList<>();
        Checkpoints.State resumeFrom;
        /** The network of {@link #resumeFrom}, read back when it was chosen. */
        TrainableNetwork resumedNetwork;
        TrainableNetwork net;
        ValidationTracker validation;
        double baseRate;
        Dataset<Row> train;
        /** The train split decoded once ({@code train.decoded-cache}), or its shard rows. */
        DecodedCache.Result decoded;
        long trainCount;
        JavaRDD<DataSet> trainSample;
        JavaRDD<DataSet> validationBatches;
        TrainableNetwork.Spark sparkNet;
        SparkTrainingStats trainingStats;
        /** Whether the last fitted epoch left a finite loss and finite parameters. */
        boolean finite = true;
        long lastCheckpoint = System.nanoTime();

        Run(SparkSession spark, TrainingConfig config) {
            this.spark = spark;
            this.config = config;
            this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            this.hadoop = spark.sparkContext().hadoopConfiguration();
            this.dataset = DatasetDirectory.open(config.dataset(), hadoop);
            try {
                this.augmentation = config.augmentation().withStats(dataset.stats());
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(io.cnnpipeline.augment.AugmentationConfig.AUGMENTATION.name(),
                        e.getMessage() + " (dataset " + dataset.uri() + ")", null);
            }
            this.fs = HadoopFiles.fs(config.runsDir(), hadoop);
            this.runDir = fs.makeQualified(new Path(new Path(config.runsDir()), config.runId()));
            this.exportDir = new Path(runDir, ".export");
            this.checkpoints = new Checkpoints(fs, runDir, config.keepCheckpoints());
            this.channels = dataset.stats().channels();
            this.classes = dataset.classes().size();
            this.size = config.inputSize();
            this.normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
            this.workers = config.workers() > 0 ? config.workers() : jsc.defaultParallelism();
        }

        /**
         * Estimates a worker's memory at the largest minibatch of the run ({@link WorkerMemory}) and refuses to start
         * when the executors' settings cannot hold it, before anything is written.
         *
         * @throws io.cnnpipeline.core.StageFailedException naming the figures and the setting to change
         */
        void checkMemory() {
            int batch = config.batchSizePerWorker();
            for (int b : config.batchSizeSchedule().values()) {
                batch = Math.max(batch, b);
            }
            long imagesPerWorker = (dataset.count(ShardSchema.TRAIN) + workers - 1) / workers;
            WorkerMemory memory;
            try {
                memory = WorkerMemory.estimate(config, size, size, channels, classes, batch, imagesPerWorker);
            } catch (RuntimeException e) {   // a layer without DL4J's memory report
                LOG.warn("train: no memory estimate for {}: {}", config.network().id(), e.toString());
                return;
            }
            LOG.info("train: {}", memory.summary(batch));
            List<String> problems = memory.problems(jsc.getConf(), workers);
            if (!problems.isEmpty()) {
                throw new io.cnnpipeline.core.StageFailedException("Cannot train " + config.network().id()
                        + " with " + workers + " workers: " + String.join("; ", problems));
            }
        }

        boolean gradientSharing() {
            return config.trainingMaster() == TrainingConfig.TrainingMaster.GRADIENT_SHARING;
        }

        /** A new run directory (config, provenance), or the checkpoint of the run to resume; then the latest pointer. */
        void openRunDirectory(String resolvedConfig) {
            boolean resume = config.resume() == TrainingConfig.ResumeMode.TRUE
                    || (config.resume() == TrainingConfig.ResumeMode.AUTO
                    && hasCheckpointElseStartOver(fs, runDir, checkpoints));
            if (resume) {
                Checkpoints.Readable readable = resumable(fs, runDir, checkpoints, dataset);
                HadoopFiles.requireWritable(fs, runDir, "the resumed run's checkpoints");
                resumeFrom = readable.state();
                resumedNetwork = readable.network();
                String after = resumeFrom.midEpoch() ? "epoch-" + (resumeFrom.epoch() + 1) + "-round-"
                        + resumeFrom.rounds() : "epoch-" + resumeFrom.epoch();
                HadoopFiles.writeAtomically(fs, new Path(runDir, "config.resumed-after-" + after + ".conf"),
                        resolvedConfig.getBytes(StandardCharsets.UTF_8));
                metrics.addAll(readMetrics(fs, new Path(runDir, RunDirectory.METRICS), resumeFrom.epoch()));
                rounds.addAll(readRounds(fs, new Path(runDir, RunDirectory.ROUNDS), resumeFrom.epoch(),
                        resumeFrom.rounds()));
            } else {
                if (HadoopFiles.exists(fs, runDir)) {
                    throw new io.cnnpipeline.core.StageFailedException("Cannot create run directory " + runDir
                            + ": it already exists (choose another train.run-id, or resume it with train --resume)");
                }
                HadoopFiles.requireWritable(fs, runDir.getParent(), "the run directory");
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
            validation = new ValidationTracker(config, resumeFrom, metrics);
        }

        /** The network: from the checkpoint when resuming, from a trained model for transfer, else a new one. */
        void prepareNetwork() {
            if (resumeFrom != null) {
                net = resumedNetwork;
                resumedNetwork = null;
                LOG.info("train: resuming {} after {} (iteration {}) from {}", runDir, resumeFrom.position(),
                        net.iterationCount(), new Path(new Path(runDir, Checkpoints.DIR), resumeFrom.model()));
            } else if (config.transfer().enabled()) {
                net = Transfer.build(config, hadoop, size, channels, classes);
            } else {
                net = TrainableNetwork.of(Networks.create(config, size, size, channels, classes));
            }
            LOG.info("train: {} ({} parameters) on {} ({} train images, {} classes), {} workers x batch {}, {}",
                    config.network().id(), net.numParams(), dataset.uri(), dataset.count(ShardSchema.TRAIN), classes,
                    workers, config.batchSizePerWorker(), gradientSharing()
                            ? "gradient sharing (" + config.gradientSharing().thresholdAlgorithm().id() + " threshold "
                                    + config.gradientSharing().threshold() + ")"
                            : "averaging every " + config.averagingFrequency());
            int globalBatch = workers * config.batchSizePerWorker();   // the first epoch's (Smith et al. keep it)
            baseRate = LearningRateSchedule.scaled(config.learningRate(), globalBatch, config.referenceBatchSize());
            if (config.referenceBatchSize() > 0) {
                LOG.info("train: linear scaling rule: learning rate {} x {} / {} = {}", config.learningRate(),
                        globalBatch, config.referenceBatchSize(), baseRate);
            }
        }

        /** The train split, the seeded sample of it scored each epoch, and the validation minibatches. */
        void loadSplits() {
            decoded = DecodedCache.of(spark, dataset.shards(spark, ShardSchema.TRAIN, 2 * jsc.defaultParallelism()),
                    config.decodedCache());
            train = decoded.rows();
            trainCount = dataset.count(ShardSchema.TRAIN);
            if (config.trainAccuracySample() > 0) {
                double fraction = Math.min(1.0, (double) config.trainAccuracySample() / trainCount);
                long seed = config.seed();
                Dataset<Row> sample = train.filter((org.apache.spark.api.java.function.FilterFunction<Row>) r ->
                        RandomStreams.unitInterval(seed, RandomStreams.SHUFFLE, r.<String>getAs(ShardSchema.KEY.name()))
                                < fraction);
                trainSample = Minibatches.centreCrop(sample, size, normalizer, classes, config.batchSizePerWorker());
            }
            validationBatches = dataset.hasSplit(ShardSchema.VALIDATION)
                    ? Minibatches.centreCrop(dataset.shards(spark, ShardSchema.VALIDATION, 2 * jsc.defaultParallelism()),
                    size, normalizer, classes, config.batchSizePerWorker())
                    : null;
        }

        int firstEpoch() {
            return resumeFrom == null ? 1 : resumeFrom.epoch() + 1;
        }

        /** Fits one epoch and scores it (train sample and validation accuracy unless the loss is not finite). */
        EpochMetrics fitEpoch(int epoch) throws IllegalStateException {
            // A master per epoch, seeded from (seed, epoch): its random splits into averaging rounds are then the
            // same whether the run was resumed or not.
            long masterSeed = RandomStreams.seedFor(config.seed(), RandomStreams.SHUFFLE, epoch, "training-master");
            int batch = config.batchSizeAt(epoch);
            org.deeplearning4j.spark.api.TrainingMaster<?, ?> master = TrainingMasters.forEpoch(config, jsc, workers,
                    batch, exportDir.toString(), masterSeed);
            sparkNet = net.spark(jsc, master);
            sparkNet.setCollectTrainingStats(config.collectTrainingStats());
            JavaRDD<DataSet> minibatches = Minibatches.training(train, augmentation, normalizer, classes, batch,
                    config.seed(), epoch, workers).persist(StorageLevel.MEMORY_ONLY());
            // The master persists and counts the minibatches anyway (same storage level); counting first gives the
            // schedule the epoch's exact number of iterations. This job is where the epoch's minibatches are read,
            // augmented and assembled, before any fitting: dl4j-spark's master splits a counted, persisted RDD into
            // rounds, so the data path does not overlap with fitting; its time is logged apart.
            long assemblyStart = System.nanoTime();
            long minibatchCount = minibatches.count();
            double assemblySeconds = (System.nanoTime() - assemblyStart) / 1e9;
            LOG.info(String.format(java.util.Locale.ROOT, "train: epoch %d: %,d minibatches read, augmented and "
                    + "assembled in %.1f s before fitting", epoch, minibatchCount, assemblySeconds));
            // Resuming from a checkpoint between averaging rounds: the epoch's schedule starts where it started in
            // the interrupted run, and the rounds done before the checkpoint are skipped.
            boolean resumedInside = resumeFrom != null && resumeFrom.midEpoch() && epoch == resumeFrom.epoch() + 1;
            int epochStart = resumedInside ? (int) resumeFrom.epochStartIteration() : net.iterationCount();
            if (resumedInside) {
                if (!(master instanceof KeptNetworksTrainingMaster kept)) {
                    throw new IllegalStateException("Cannot resume inside epoch " + epoch + " from "
                            + resumeFrom.model() + ": only the kept-networks parameter averaging skips rounds (unset "
                            + TrainingMasters.REBUILD_WORKER_NETWORKS_PROPERTY + ")");
                }
                kept.skipRounds(resumeFrom.rounds());
            }
            double rate = setLearningRates(epoch, minibatchCount, epochStart);
            int iterationsBefore = net.iterationCount();
            long t0 = System.nanoTime();
            Progress progress = Progress.current();
            progress.restartUnits();
            progress.units("epoch images", 0, trainCount);
            progress.detail(String.format(java.util.Locale.ROOT, "epoch %d/%d, %,d minibatches of %d on %d workers",
                    epoch, config.epochs(), minibatchCount, batch, workers));
            if (master instanceof KeptNetworksTrainingMaster kept) {
                kept.onRound((round, total, loss, iteration) -> {
                    rounds.add(new RoundMetrics(epoch, round, total, iteration, loss, (System.nanoTime() - t0) / 1e9));
                    progress.detail(String.format(java.util.Locale.ROOT,
                            "epoch %d/%d, round %d/%d, iteration %,d, loss %.4f", epoch, config.epochs(), round, total,
                            iteration, loss));
                    progress.units("epoch images", trainCount * round / total, trainCount);
                    if (midEpochCheckpointDue(round, total)) {
                        Path written = checkpoints.write(net, Checkpoints.midEpochState(epoch - 1, round,
                                net.iterationCount(), epochStart, validation.plateauFactor(), validation.plateauBest(),
                                validation.plateauEpochsSinceBest()));
                        writeLines(fs, new Path(runDir, RunDirectory.ROUNDS), rounds);
                        lastCheckpoint = System.nanoTime();
                        LOG.info("train: checkpoint {} (round {}/{} of epoch {})", written, round, total, epoch);
                    }
                });
            }
            fitWithin(epoch, minibatches);
            progress.detail(String.format(java.util.Locale.ROOT, "epoch %d/%d fitted, scoring", epoch,
                    config.epochs()));
            double seconds = (System.nanoTime() - t0) / 1e9;
            LOG.info(String.format(java.util.Locale.ROOT, "train: epoch %d: fitted in %.1f s (minibatch assembly "
                    + "%.1f s before it: %.0f%% of the two)", epoch, seconds, assemblySeconds,
                    100 * assemblySeconds / (assemblySeconds + seconds)));
            if (gradientSharing()) {
                // The driver's copy receives the shared updates, not the workers' iteration counts (which start from
                // their parameter server's; in local mode a worker's network even shares the driver's configuration
                // object, where the count lives): count an iteration per minibatch each worker fitted.
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
            finite = Double.isFinite(loss) && finite(net.params());
            Double trainAcc = !finite || trainSample == null ? null : sparkNet.evaluate(trainSample).accuracy();
            Double valAcc = !finite || validationBatches == null ? null
                    : sparkNet.evaluate(validationBatches).accuracy();
            return new EpochMetrics(epoch, loss, trainAcc, valAcc, trainCount, seconds, trainCount / seconds, rate,
                    batch, net.iterationCount());
        }

        /**
         * The epoch's learning rates on the network (with the transfer's per-layer multipliers); returns the rate at
         * the epoch's start, or NaN for AdaDelta (no learning rate).
         */
        private double setLearningRates(int epoch, long minibatchCount, int epochStart) {
            if (config.updater() == TrainingConfig.Updater.ADADELTA) {
                return Double.NaN;
            }
            // Gradient sharing's workers count iterations on their own (from their parameter server), so the rate is
            // the schedule's value at the epoch's start, for the whole epoch.
            LearningRateSchedule.EpochRates rates = gradientSharing()
                    ? LearningRateSchedule.EpochRates.atEpochStart(config.lrSchedule(), baseRate,
                            validation.plateauFactor(), config.epochs(), epoch - 1)
                    : new LearningRateSchedule.EpochRates(config.lrSchedule(), baseRate, validation.plateauFactor(),
                            config.epochs(), epoch - 1, epochStart,
                            iterationsPerEpoch(minibatchCount, workers, config.averagingFrequency()));
            net.setLearningRates(rates, config.transfer().lrMultipliers());
            return rates.valueAt(net.iterationCount(), epoch - 1);
        }

        /**
         * Whether a checkpoint is due after averaging round {@code round} of {@code total} (not after the last: the
         * epoch-end checkpoint follows it): every {@code train.checkpoint-every-rounds} rounds, or when
         * {@code train.checkpoint-every-minutes} have passed since the last checkpoint.
         */
        private boolean midEpochCheckpointDue(int round, int total) {
            int every = config.checkpointEveryRounds();
            return every > 0 && round < total && (round % every == 0 || (config.checkpointEveryMinutes() > 0
                    && (System.nanoTime() - lastCheckpoint) / 60e9 >= config.checkpointEveryMinutes()));
        }

        /** Fits the minibatches, cancelling the epoch's Spark jobs when it overruns train.epoch-timeout-minutes. */
        private void fitWithin(int epoch, JavaRDD<DataSet> minibatches) {
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
                            "Cannot finish epoch %d: its fit took longer than %s (train.epoch-timeout-minutes) and its "
                                    + "Spark jobs were cancelled; %s", epoch, watchdog.limit(),
                            good == null ? "no checkpoint was written"
                                    : "the last checkpoint is " + good + " (train --resume continues from it)"), e);
                }
            }
        }

        /**
         * The epoch's bookkeeping: metrics and report, the stop on a non-finite loss, best model, checkpoint; returns
         * whether early stopping ends the run.
         */
        boolean afterEpoch(EpochMetrics m) {
            metrics.add(m);
            LOG.info("train: {}", m.summary(config.epochs()));
            writeLines(fs, new Path(runDir, RunDirectory.METRICS), metrics);
            writeLines(fs, new Path(runDir, RunDirectory.ROUNDS), rounds);
            try {
                TrainingReport.write(fs, runDir, config.runId() + ": " + config.network().id() + " on "
                        + dataset.uri(), metrics, rounds, config.collectTrainingStats());
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("train: cannot write the report's plots: {}", e.toString());
            }
            checkStopRules(m);
            ValidationTracker.Outcome outcome = validation.observe(m.validationAccuracy());
            if (outcome.best()) {
                HadoopFiles.writeAtomically(fs, new Path(runDir, BEST_MODEL_FILE), net.bytes());
            }
            int epoch = m.epoch();
            boolean byEpochs = config.checkpointEveryEpochs() > 0 && epoch % config.checkpointEveryEpochs() == 0;
            boolean byTime = config.checkpointEveryMinutes() > 0
                    && (System.nanoTime() - lastCheckpoint) / 60e9 >= config.checkpointEveryMinutes();
            if (config.checkpointing() && (byEpochs || byTime || epoch == config.lastEpoch())) {
                Path written = checkpoints.write(net, Checkpoints.state(epoch, net.iterationCount(),
                        validation.plateauFactor(), validation.plateauBest(), validation.plateauEpochsSinceBest()));
                lastCheckpoint = System.nanoTime();
                LOG.info("train: checkpoint {}", written);
            }
            if (outcome.stop()) {
                LOG.info("train: early stopping after epoch {}: validation accuracy has not improved for {} epochs "
                        + "(best model in {})", epoch, config.earlyStoppingPatience(), BEST_MODEL_FILE);
            }
            return outcome.stop();
        }

        /**
         * The stop rules after an epoch's metrics are written and before its checkpoint: a non-finite loss or
         * parameters, {@code train.divergence-factor}, {@code train.stop-at-chance}.
         *
         * @throws TrainingStoppedException naming the rule, the figures and the last good checkpoint
         */
        void checkStopRules(EpochMetrics m) {
            Path good = checkpoints.latestModel();
            String after = good == null ? "no checkpoint was written" : "the last good checkpoint is " + good;
            if (!finite) {
                throw new TrainingStoppedException(TrainingStoppedException.Reason.NOT_FINITE, m.epoch(),
                        String.format(java.util.Locale.ROOT, "Cannot continue training: %s after epoch %d (iteration "
                                + "%d); %s", Double.isFinite(m.loss()) ? "the parameters are not finite"
                                : "the loss is " + m.loss(), m.epoch(), net.iterationCount(), good == null ? after
                                : after + " (lower train.learning-rate, then train --resume)"));
            }
            double factor = config.divergenceFactor();
            double start = rounds.isEmpty() ? metrics.get(0).loss() : rounds.get(0).loss();
            if (factor > 0 && m.loss() > factor * start) {
                throw new TrainingStoppedException(TrainingStoppedException.Reason.DIVERGED, m.epoch(),
                        String.format(java.util.Locale.ROOT, "Stopped training after epoch %d: its loss %.4f is more "
                                + "than %s (train.divergence-factor) x the first round's %.4f; the learning rate is "
                                + "too high; %s", m.epoch(), m.loss(), factor, start, after));
            }
            if (config.stopAtChance() && m.epoch() == 1) {
                long n = validationBatches == null ? 0 : dataset.count(ShardSchema.VALIDATION);
                if (n == 0 || m.validationAccuracy() == null) {
                    LOG.warn("train: train.stop-at-chance is skipped: the dataset has no validation split");
                } else if (m.validationAccuracy() <= chanceAccuracyBound(classes, n)) {
                    throw new TrainingStoppedException(TrainingStoppedException.Reason.AT_CHANCE, 1,
                            String.format(java.util.Locale.ROOT, "Stopped training after epoch 1 "
                                    + "(train.stop-at-chance): validation accuracy %.2f%% is at chance for %d classes "
                                    + "(at most %.2f%% over %,d images)", 100 * m.validationAccuracy(), classes,
                                    100 * chanceAccuracyBound(classes, n), n));
                }
            }
        }

        /** model.zip, model-meta.json and the training statistics; the result. */
        TrainResult finish() {
            Path modelPath = new Path(runDir, ModelMeta.MODEL_FILE);
            HadoopFiles.writeAtomically(fs, modelPath, net.bytes());
            ModelMeta meta = new ModelMeta(config.network().id(), dataset.classes(), size, size, channels,
                    dataset.stats().mean(), dataset.stats().std(), dataset.uri(), dataset.manifestSha256());
            HadoopFiles.writeAtomically(fs, new Path(runDir, ModelMeta.FILE), Json.toBytes(meta));
            Path resolved = new Path(runDir, RESOLVED_CONFIG_FILE);
            ModelCard.of(meta, net.numParams(), dataset.contentFingerprint(),
                    HadoopFiles.exists(fs, resolved) ? HadoopFiles.read(fs, resolved) : null,
                    metrics.isEmpty() ? 0 : metrics.get(metrics.size() - 1).epoch()).write(fs, runDir);
            if (config.collectTrainingStats()) {
                writeStatsHtml(trainingStats, fs, new Path(runDir, "training-stats.html"), jsc);
            }
            LOG.info("train: model written to {}", modelPath);
            if (config.lastEpoch() < config.epochs() && !metrics.isEmpty()
                    && metrics.get(metrics.size() - 1).epoch() == config.lastEpoch()) {
                LOG.info("train: paused after epoch {} of {} (train.stop-after-epoch); train --resume continues",
                        config.lastEpoch(), config.epochs());
            }
            return new TrainResult(config.runId(), runDir.toString(), modelPath.toString(), List.copyOf(metrics),
                    config.epochs(), (System.nanoTime() - start) / 1e9);
        }
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
        if (checkpoints.any()) {
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
    private static Checkpoints.Readable resumable(FileSystem fs, Path runDir, Checkpoints checkpoints,
                                               DatasetDirectory dataset) {
        if (!HadoopFiles.exists(fs, runDir)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot resume run " + runDir + ": it does not exist");
        }
        Checkpoints.Readable readable = checkpoints.newestReadable(why -> LOG.warn("train: resume: {}; using the "
                + "checkpoint before it", why));
        if (readable == null) {
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
        return readable;
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

    /**
     * The highest accuracy {@code train.stop-at-chance} counts as chance: 1/classes plus 3 binomial standard deviations
     * of a guesser's accuracy over {@code images} images, {@code p + 3 sqrt(p (1 - p) / images)} with p = 1/classes.
     */
    static double chanceAccuracyBound(int classes, long images) {
        double p = 1.0 / classes;
        return p + 3 * Math.sqrt(p * (1 - p) / images);
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

    /** The rounds of a run's first {@code epochs} epochs. */
    /** The rounds recorded in {@code path} up to the end of {@code epochs}, and {@code rounds} rounds into the next. */
    private static List<RoundMetrics> readRounds(FileSystem fs, Path path, int epochs, int rounds) {
        List<RoundMetrics> out = new ArrayList<>();
        if (!HadoopFiles.exists(fs, path)) {
            return out;
        }
        for (String line : new String(HadoopFiles.read(fs, path), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                RoundMetrics r = Json.fromBytes(line.getBytes(StandardCharsets.UTF_8), RoundMetrics.class);
                if (r.epoch() <= epochs || (r.epoch() == epochs + 1 && r.round() <= rounds)) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private static void writeLines(FileSystem fs, Path path, List<?> records) {
        StringBuilder sb = new StringBuilder();
        for (Object m : records) {
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
