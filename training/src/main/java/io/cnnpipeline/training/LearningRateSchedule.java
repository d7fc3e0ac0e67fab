package io.cnnpipeline.training;

import static io.cnnpipeline.core.InvalidConfigException.require;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * A learning-rate schedule in epochs: gradual warmup, then constant, step, exponential, polynomial or cosine decay, times
 * a factor that reduce-on-plateau lowers ({@code train.lr-schedule.*}). Immutable and validated on construction, with
 * errors naming the configuration key.
 *
 * <p>Positions are fractional epochs {@code e} (0 = start of training, 1 = end of the first epoch). The rate at
 * {@code e} is {@code factor × f(e)} where, with base rate {@code η} (after the linear scaling rule) and {@code W}
 * warmup epochs:
 * <ul>
 *   <li>{@code e < W}: {@code η × (s + (1 - s) × e / W)}, linear from {@code s × η} (Goyal et al. 2017, "gradual
 *       warmup"; they start at the small-batch rate, {@code s = reference batch / global batch});</li>
 *   <li>otherwise {@code constant}: {@code η}; {@code step}: {@code η × γ^m}, m = milestones ≤ e (ResNet's ÷10 at
 *       fixed epochs); {@code exponential}: {@code η × γ^e}; {@code polynomial}: {@code η_min + (η - η_min)(1 - t)^p};
 *       {@code cosine}: {@code η_min + (η - η_min)(1 + cos πt) / 2} (Loshchilov and Hutter 2017, no restarts), with
 *       {@code t = (e - W) / (epochs - W)} the position after warmup.</li>
 * </ul>
 *
 * <p>DL4J's updaters see the rate through {@link EpochRates}, an ND4J {@code ISchedule} that maps a global iteration to
 * a fractional epoch.
 *
 * @param type              constant | step | exponential | polynomial | cosine
 * @param milestones        step: epochs (ascending, &gt; 0) at which the rate is multiplied by {@code gamma}
 * @param gamma             step / exponential decay factor, in (0, 1]
 * @param power             polynomial power, &gt; 0
 * @param minLr             polynomial / cosine floor, &ge; 0
 * @param warmupEpochs      epochs of linear warmup (may be fractional), &ge; 0
 * @param warmupStartFactor rate at the start of warmup as a fraction of the target, in [0, 1]
 * @param plateauPatience   reduce-on-plateau: epochs without a better validation accuracy before the factor is
 *                          multiplied by {@code plateauFactor}; 0 = off
 * @param plateauFactor     in (0, 1)
 */
public record LearningRateSchedule(Type type, List<Double> milestones, double gamma, double power,
                                   double minLr, double warmupEpochs, double warmupStartFactor,
                                   int plateauPatience, double plateauFactor) implements Serializable {

    /** The decay after warmup ({@code train.lr-schedule.type}). */
    public enum Type implements io.cnnpipeline.core.config.ConfigEnum {
        CONSTANT, STEP, EXPONENTIAL, POLYNOMIAL, COSINE
    }

    /** A constant rate, no warmup, no plateau reduction. */
    public static final LearningRateSchedule CONSTANT = new LearningRateSchedule(Type.CONSTANT, List.of(), 0.1, 1, 0, 0,
            0, 0, 0.1);

    public LearningRateSchedule {
        TrainingConfig.LR_SCHEDULE_TYPE.require(type);
        milestones = List.copyOf(milestones);
        for (int i = 0; i < milestones.size(); i++) {
            require(milestones.get(i) > 0 && (i == 0 || milestones.get(i) > milestones.get(i - 1)),
                    TrainingConfig.LR_SCHEDULE_MILESTONES.name(), "must be ascending epochs > 0", milestones);
        }
        require(type != Type.STEP || !milestones.isEmpty(), TrainingConfig.LR_SCHEDULE_MILESTONES.name(),
                "must list at least one epoch for a step schedule", milestones);
        TrainingConfig.LR_SCHEDULE_GAMMA.require(gamma);
        TrainingConfig.LR_SCHEDULE_POWER.require(power);
        TrainingConfig.LR_SCHEDULE_MIN_LR.require(minLr);
        TrainingConfig.LR_SCHEDULE_WARMUP_EPOCHS.require(warmupEpochs);
        TrainingConfig.LR_SCHEDULE_WARMUP_START_FACTOR.require(warmupStartFactor);
        TrainingConfig.LR_SCHEDULE_PLATEAU_PATIENCE.require(plateauPatience);
        TrainingConfig.LR_SCHEDULE_PLATEAU_FACTOR.require(plateauFactor);
    }

    /**
     * The rate at fractional epoch {@code e} of a run of {@code epochs} epochs, before the plateau factor.
     *
     * @param base the base rate η (after the linear scaling rule)
     */
    public double at(double base, double e, int epochs) {
        return rate(type.id(), milestones.stream().mapToDouble(Double::doubleValue).toArray(), gamma, power,
                minLr, warmupEpochs, warmupStartFactor, base, e, epochs);
    }

    private static double rate(String type, double[] milestones, double gamma, double power, double minLearningRate,
                               double warmupEpochs, double warmupStartFactor, double base, double e, int epochs) {
        if (e < warmupEpochs) {
            return base * (warmupStartFactor + (1 - warmupStartFactor) * e / warmupEpochs);
        }
        double span = Math.max(1e-12, epochs - warmupEpochs);
        double t = Math.min(1, Math.max(0, (e - warmupEpochs) / span));
        switch (type) {
            case "step": {
                int passed = 0;
                for (double m : milestones) {
                    passed += e >= m ? 1 : 0;
                }
                return base * Math.pow(gamma, passed);
            }
            case "exponential":
                return base * Math.pow(gamma, e);
            case "polynomial":
                return minLearningRate + (base - minLearningRate) * Math.pow(1 - t, power);
            case "cosine":
                return minLearningRate + (base - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * t));
            default:
                return base;
        }
    }

    /**
     * The linear scaling rule (Goyal et al. 2017): {@code learningRate × globalBatch / referenceBatch}, or
     * {@code learningRate} when {@code referenceBatch} is 0.
     */
    public static double scaled(double learningRate, int globalBatch, int referenceBatch) {
        return referenceBatch <= 0 ? learningRate : learningRate * globalBatch / referenceBatch;
    }

    /**
     * The schedule as DL4J's updaters use it during one epoch: global iteration {@code i} is at fractional epoch
     * {@code epochIndex + (i - firstIteration) / iterations} (clamped to the epoch), and the rate is
     * {@code factor × at(base, e, epochs)}. The driver installs a new one before every epoch
     * ({@code MultiLayerNetwork.setLearningRate(ISchedule)}); dl4j-spark sends it to the workers with the network
     * configuration of every averaging round, together with the global iteration count.
     */
    public static final class EpochRates implements org.nd4j.linalg.schedule.ISchedule {
        private static final long serialVersionUID = 1L;

        // Plain fields (not the record): DL4J serializes updater configurations with its shaded Jackson.
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private String type;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double[] milestones;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double gamma;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double power;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double minLearningRate;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double warmupEpochs;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double warmupStartFactor;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double base;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private double factor;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private int epochs;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private int epochIndex;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private long firstIteration;
        @org.nd4j.shade.jackson.annotation.JsonProperty
        private long iterations;

        /** For JSON deserialization. */
        private EpochRates() {
        }

        /**
         * @param epochIndex     0-based epoch
         * @param firstIteration the network's iteration count when the epoch starts
         * @param iterations     iterations the epoch is expected to take (at least 1)
         */
        public EpochRates(LearningRateSchedule schedule, double base, double factor, int epochs, int epochIndex,
                          long firstIteration, long iterations) {
            this.type = schedule.type().id();
            this.milestones = schedule.milestones().stream().mapToDouble(Double::doubleValue).toArray();
            this.gamma = schedule.gamma();
            this.power = schedule.power();
            this.minLearningRate = schedule.minLr();
            this.warmupEpochs = schedule.warmupEpochs();
            this.warmupStartFactor = schedule.warmupStartFactor();
            this.base = base;
            this.factor = factor;
            this.epochs = epochs;
            this.epochIndex = epochIndex;
            this.firstIteration = firstIteration;
            this.iterations = Math.max(1, iterations);
        }

        /**
         * The schedule's value at the start of epoch {@code epochIndex} (0-based) at every iteration: for trainers
         * whose iteration counts the driver does not know (gradient sharing's workers), the rate steps at epoch
         * boundaries.
         */
        public static EpochRates atEpochStart(LearningRateSchedule schedule, double base, double factor, int epochs,
                                              int epochIndex) {
            // Every iteration lies before firstIteration, so epochAt clamps to the epoch's start.
            return new EpochRates(schedule, base, factor, epochs, epochIndex, Long.MAX_VALUE, 1);
        }

        /** The same rates times {@code multiplier} (a layer's learning-rate multiplier). */
        public EpochRates times(double multiplier) {
            EpochRates r = (EpochRates) clone();
            r.factor = factor * multiplier;
            return r;
        }

        /** The fractional epoch of global iteration {@code iteration}. */
        public double epochAt(long iteration) {
            return epochIndex + Math.min(1.0, Math.max(0.0, (double) (iteration - firstIteration) / iterations));
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            return factor * rate(type, milestones, gamma, power, minLearningRate, warmupEpochs, warmupStartFactor, base,
                    epochAt(iteration), epochs);
        }

        @Override
        public org.nd4j.linalg.schedule.ISchedule clone() {
            EpochRates r = new EpochRates();
            r.type = type;
            r.milestones = milestones.clone();
            r.gamma = gamma;
            r.power = power;
            r.minLearningRate = minLearningRate;
            r.warmupEpochs = warmupEpochs;
            r.warmupStartFactor = warmupStartFactor;
            r.base = base;
            r.factor = factor;
            r.epochs = epochs;
            r.epochIndex = epochIndex;
            r.firstIteration = firstIteration;
            r.iterations = iterations;
            return r;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EpochRates r && r.type.equals(type) && Arrays.equals(r.milestones, milestones)
                    && r.gamma == gamma && r.power == power && r.minLearningRate == minLearningRate
                    && r.warmupEpochs == warmupEpochs && r.warmupStartFactor == warmupStartFactor && r.base == base
                    && r.factor == factor && r.epochs == epochs && r.epochIndex == epochIndex
                    && r.firstIteration == firstIteration && r.iterations == iterations;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new Object[] {type, Arrays.hashCode(milestones), gamma, power, minLearningRate,
                warmupEpochs, warmupStartFactor, base, factor, epochs, epochIndex, firstIteration, iterations});
        }

        @Override
        public String toString() {
            return "EpochRates(" + type + ", base " + base + ", factor " + factor + ", epoch "
                    + (epochIndex + 1) + "/" + epochs + ", iterations " + firstIteration + "+" + iterations + ")";
        }
    }
}
