package io.cnnpipeline.training;

import java.util.List;

/**
 * Every decision the run takes from validation accuracy, in one place: whether an epoch is the best so far (its
 * network goes to {@code best-model.zip}), reduce-on-plateau ({@code train.lr-schedule.plateau-patience}: the learning
 * rate's factor is multiplied by {@code plateau-factor} after that many epochs without a better accuracy, and the
 * count starts again), and early stopping ({@code train.early-stopping-patience}: stop when the best epoch lies that
 * many epochs back). Epochs without a validation accuracy (no validation split, or a non-finite loss) change nothing.
 * The plateau state is saved in checkpoints, so a resumed run takes the same decisions.
 */
final class ValidationTracker {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingJob.class);

    /** What one epoch's validation accuracy decided. */
    record Outcome(boolean best, boolean plateauReduced, boolean stop) {
    }

    private final int plateauPatience;
    private final double plateauStep;
    private final int earlyStoppingPatience;
    private double plateauFactor;
    private double plateauBest;
    private int plateauSinceBest;
    private double best = Double.NEGATIVE_INFINITY;
    private int epochsSinceBest;
    private boolean seen;

    /**
     * @param resumed the checkpoint a resumed run continues from (its plateau state), or null
     * @param history the metrics of the epochs already trained (a resumed run's), in order
     */
    ValidationTracker(TrainingConfig config, Checkpoints.State resumed, List<EpochMetrics> history) {
        this(config.lrSchedule().plateauPatience(), config.lrSchedule().plateauFactor(),
                config.earlyStoppingPatience(), resumed, history);
    }

    private ValidationTracker(int plateauPatience, double plateauStep, int earlyStoppingPatience,
                              Checkpoints.State resumed, List<EpochMetrics> history) {
        this.plateauPatience = plateauPatience;
        this.plateauStep = plateauStep;
        this.earlyStoppingPatience = earlyStoppingPatience;
        this.plateauFactor = resumed == null ? 1.0 : resumed.plateauFactor();
        this.plateauBest = resumed == null ? -1 : resumed.bestValidation();
        this.plateauSinceBest = resumed == null ? 0 : resumed.epochsSinceBest();
        for (EpochMetrics m : history) {
            track(m.validationAccuracy());
        }
    }

    /** Records an epoch's validation accuracy (null = none) and returns what it decides. */
    Outcome observe(Double accuracy) {
        boolean isBest = track(accuracy);
        boolean reduced = false;
        if (accuracy != null && plateauPatience > 0) {
            if (accuracy > plateauBest) {
                plateauBest = accuracy;
                plateauSinceBest = 0;
            } else if (++plateauSinceBest >= plateauPatience) {
                plateauFactor *= plateauStep;
                plateauSinceBest = 0;
                reduced = true;
                LOG.info("train: validation accuracy has not improved for {} epochs; learning rate x {}",
                        plateauPatience, plateauStep);
            }
        }
        boolean stop = accuracy != null && earlyStoppingPatience > 0 && epochsSinceBest >= earlyStoppingPatience;
        return new Outcome(isBest, reduced, stop);
    }

    /** Updates the best accuracy and the epochs since it; returns whether {@code accuracy} is a new best. */
    private boolean track(Double accuracy) {
        if (accuracy != null && accuracy > best) {
            best = accuracy;
            epochsSinceBest = 0;
            seen = true;
            return true;
        }
        if (seen) {
            epochsSinceBest++;
        }
        return false;
    }

    /** The factor reduce-on-plateau applies to the learning rate (1 until a plateau). */
    double plateauFactor() {
        return plateauFactor;
    }

    /** Reduce-on-plateau's best accuracy (-1 before the first), saved in checkpoints. */
    double plateauBest() {
        return plateauBest;
    }

    /** Reduce-on-plateau's epochs since its best (reset by each reduction), saved in checkpoints. */
    int plateauEpochsSinceBest() {
        return plateauSinceBest;
    }

    /** Epochs since the best validation accuracy (0 if the last epoch is the best, or none had one). */
    int epochsSinceBest() {
        return epochsSinceBest;
    }

    /** {@link #epochsSinceBest()} after the epochs of {@code metrics}. */
    static int epochsSinceBest(List<EpochMetrics> metrics) {
        return new ValidationTracker(0, 0.1, 0, null, metrics).epochsSinceBest();
    }
}
