package io.cnnpipeline.training;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.ingest.IngestJob;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A small real dataset directory (synthetic class patterns, 16×16 grey, ingested by the real job) for tests. */
public final class TrainingFixtures {
    private static Path dataset;

    private TrainingFixtures() {
    }

    /** 3 classes × 40 images, validation fraction 0.25; ingested once per test JVM. */
    public static synchronized String dataset() {
        if (dataset == null) {
            try {
                Path root = Files.createTempDirectory("training-fixture");
                TestImages.writeClassFolders(root.resolve("images"), 3, 40, 16, 1, 11);
                dataset = root.resolve("dataset");
                ingest(root.resolve("images"), dataset, 42);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dataset.toString();
    }

    /**
     * Ingests the class folders under {@code images} into {@code output} (replacing it) as the fixture does, with
     * validation fraction 0.25 drawn with {@code splitSeed}.
     */
    public static void ingest(Path images, Path output, long splitSeed) {
        ingest(images.toString(), output.toString(), splitSeed);
    }

    /** {@link #ingest(Path, Path, long)} for locations on any Hadoop filesystem; returns the result. */
    public static io.cnnpipeline.ingest.IngestResult ingest(String images, String output, long splitSeed) {
        return IngestJob.run(TestSpark.get(), IngestConfig.builder().set(IngestConfig.INPUTS, Map.of("train", images))
                .set(IngestConfig.OUTPUT, output).set(IngestConfig.CHANNELS, 1)
                .set(IngestConfig.MAX_PIXELS, 1_000_000L).set(IngestConfig.MAX_RECORDS_PER_FILE, 1000)
                .set(IngestConfig.ROW_GROUP_BYTES, 1L << 20).set(IngestConfig.FILE_OPEN_COST_BYTES, 4096L)
                .set(IngestConfig.VALIDATION_FRACTION, 0.25).set(IngestConfig.OVERWRITE, true)
                .set(io.cnnpipeline.core.config.CoreKeys.SEED, splitSeed).set(IngestConfig.EXTENSIONS, List.of("png"))
                .set(IngestConfig.CONTACT_SHEET_SIZE, 0).set(IngestConfig.SHARD_BYTES, 0L).build());
    }

    public static TrainingConfig config(String runsDir, String runId, String updater, double lr, int epochs, int workers,
                                 int batch, int averaging, String approach, AugmentationPipeline augmentation) {
        return config(runsDir, runId, updater, lr, epochs, workers, batch, averaging, approach, augmentation, false);
    }

    /**
     * {@code base} with the named record components replaced (one copy mechanism instead of a constructor call per
     * variant: TrainingConfig is a record with many components).
     */
    public static TrainingConfig with(TrainingConfig base, Map<String, Object> changes) {
        java.lang.reflect.RecordComponent[] components = TrainingConfig.class.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        java.util.Set<String> unknown = new java.util.HashSet<>(changes.keySet());
        try {
            for (int i = 0; i < components.length; i++) {
                String name = components[i].getName();
                types[i] = components[i].getType();
                args[i] = unknown.remove(name) ? value(types[i], changes.get(name))
                        : components[i].getAccessor().invoke(base);
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("not TrainingConfig components: " + unknown);
            }
            return TrainingConfig.class.getDeclaredConstructor(types).newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw (RuntimeException) e.getCause();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code value}, or the constant of an enum component whose configuration id it is. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object value(Class<?> type, Object value) {
        return type.isEnum() && value instanceof String id
                ? io.cnnpipeline.core.config.ConfigEnum.parse((Class) type, id) : value;
    }

    /** {@code base} with another learning-rate schedule and reference batch size. */
    public static TrainingConfig withSchedule(TrainingConfig base, LearningRateSchedule schedule, int referenceBatch) {
        return with(base, Map.of("lrSchedule", schedule, "referenceBatchSize", referenceBatch));
    }

    /** {@code base} resumed (or not), with another epoch count and learning rate. */
    public static TrainingConfig resumed(TrainingConfig base, boolean resume, int epochs, double learningRate) {
        return with(base, Map.of("resume", String.valueOf(resume), "epochs", epochs, "learningRate", learningRate));
    }

    /** {@code base} with a batch-size schedule and early stopping. */
    public static TrainingConfig withBatchSchedule(TrainingConfig base, java.util.SortedMap<Integer, Integer> schedule,
                                            int earlyStoppingPatience) {
        return with(base, Map.of("batchSizeSchedule", schedule, "earlyStoppingPatience", earlyStoppingPatience));
    }

    /** {@code base} with LARS on and a weight decay. */
    public static TrainingConfig withLars(TrainingConfig base, double trustCoefficient, double weightDecay) {
        return with(base, Map.of("lars", true, "larsTrustCoefficient", trustCoefficient, "weightDecay", weightDecay));
    }

    public static TrainingConfig config(String runsDir, String runId, String updater, double lr, int epochs, int workers,
                                 int batch, int averaging, String approach, AugmentationPipeline augmentation,
                                 boolean trainingStats) {
        return TrainingConfig.builder().set(TrainingConfig.DATASET, dataset()).set(TrainingConfig.RUNS_DIR, runsDir)
                .set(TrainingConfig.RUN_ID, runId).set(TrainingConfig.EPOCHS, epochs)
                .set(TrainingConfig.WORKERS, workers).set(TrainingConfig.BATCH_SIZE_PER_WORKER, batch)
                .set(TrainingConfig.AVERAGING_FREQUENCY, averaging).set(TrainingConfig.PREFETCH_BATCHES, 0)
                .set(TrainingConfig.RDD_TRAINING_APPROACH, (TrainingConfig.RddTrainingApproach)
                        value(TrainingConfig.RddTrainingApproach.class, approach))
                .set(TrainingConfig.UPDATER, (TrainingConfig.Updater) value(TrainingConfig.Updater.class, updater))
                .set(TrainingConfig.LEARNING_RATE, lr).set(TrainingConfig.WEIGHT_DECAY, 0.0)
                .set(io.cnnpipeline.augment.AugmentationConfig.AUGMENTATION, augmentation)
                .set(TrainingConfig.TRAIN_ACCURACY_SAMPLE, 40).set(TrainingConfig.COLLECT_TRAINING_STATS, trainingStats)
                .build();
    }
}
