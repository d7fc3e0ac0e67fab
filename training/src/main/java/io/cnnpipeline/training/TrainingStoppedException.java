package io.cnnpipeline.training;

/**
 * A training run stopped by one of its stop rules, after the epoch named in the message: the loss or the parameters
 * stopped being finite, the loss grew past {@code train.divergence-factor} times its start, or the validation accuracy
 * after epoch 1 was at chance ({@code train.stop-at-chance}). The epoch's metrics are in {@code metrics.jsonl}; no
 * checkpoint is written for it (the last good one stays). The CLI prints the message and exits 1; a hyperparameter
 * search records the trial as stopped and goes on.
 */
public class TrainingStoppedException extends io.cnnpipeline.core.StageFailedException {
    private static final long serialVersionUID = 1L;

    /** Which rule stopped the run. */
    public enum Reason {
        /** The epoch's loss or the parameters are NaN or infinite. */
        NOT_FINITE("not-finite"),
        /** The epoch's loss exceeds {@code train.divergence-factor} × the loss of the run's first averaging round. */
        DIVERGED("diverged"),
        /** Validation accuracy after epoch 1 within 3 binomial standard deviations of 1 / classes. */
        AT_CHANCE("at-chance");

        private final String id;

        Reason(String id) {
            this.id = id;
        }

        /** The reason as written in a search's state and leaderboard: {@code not-finite}, {@code diverged}, ... */
        public String id() {
            return id;
        }
    }

    private final Reason reason;
    private final int epoch;

    public TrainingStoppedException(Reason reason, int epoch, String message) {
        super(message);
        this.reason = reason;
        this.epoch = epoch;
    }

    public Reason reason() {
        return reason;
    }

    /** The epoch (1-based) after which the run stopped. */
    public int epoch() {
        return epoch;
    }
}
