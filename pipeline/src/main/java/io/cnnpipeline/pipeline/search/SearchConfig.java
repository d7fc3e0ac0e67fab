package io.cnnpipeline.pipeline.search;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;

/**
 * The {@code search} section: a hyperparameter search's space, budget and method ({@code cnn-pipeline search}).
 * Validated at construction; errors name the key.
 *
 * @param method           how trials are scheduled ({@link Scheduler.Method})
 * @param trials           trials sampled
 * @param minEpochs        epochs of the lowest rung
 * @param maxEpochs        epochs of the top rung: every trial's {@code train.epochs}, so that its learning-rate
 *                         schedule is the full run's whichever rung it stops at
 * @param eta              reduction factor: a rung keeps 1/eta of the one below, and is eta times as long
 * @param dir              the search directory (plan, state, leaderboard, page, trials' run directories)
 * @param concurrentTrials trials run at the same time, each with its own Spark jobs on the shared cluster
 * @param space            the searched keys and their distributions
 */
public record SearchConfig(Scheduler.Method method, int trials, int minEpochs, int maxEpochs, int eta, String dir,
                           int concurrentTrials, SearchSpace space) {
    public static final ConfigGroup SECTION = ConfigGroup.section("search",
            "Hyperparameter search (cnn-pipeline search): every trial is a train run of the configuration with the "
                    + "space's sampled values, scored by its validation accuracy.");
    public static final ConfigKey<Scheduler.Method> METHOD = SECTION.choice("method", Scheduler.Method.ASHA)
            .doc("random: every trial to max-epochs (Bergstra and Bengio 2012) | successive-halving: all trials to "
                    + "min-epochs, then the best 1/eta of each rung on to the next (Jamieson and Talwalkar 2016) | "
                    + "hyperband: Li et al. 2018's brackets of successive halving, each starting at a higher rung | "
                    + "asha: asynchronous successive halving (Li et al. 2020), promoting from a rung as soon as a "
                    + "trial is in its top 1/eta, starting new trials otherwise.");
    public static final ConfigKey<Integer> TRIALS = SECTION.integer("trials", 27)
            .validIf(n -> n >= 1, "must be >= 1")
            .doc("Trials sampled from the space (hyperband: its brackets' total, which the error message gives).");
    public static final ConfigKey<Integer> MIN_EPOCHS = SECTION.integer("min-epochs", 1).unit("epochs")
            .validIf(n -> n >= 1, "must be >= 1")
            .doc("Epochs of the lowest rung, the least a trial is trained before it is compared.");
    public static final ConfigKey<Integer> MAX_EPOCHS = SECTION.integer("max-epochs", 9).unit("epochs")
            .validIf(n -> n >= 1, "must be >= 1")
            .doc("Epochs of the top rung, and every trial's train.epochs (its learning-rate schedule spans them even "
                    + "when it stops at a lower rung). Rungs: min-epochs x eta^k below it, then max-epochs.");
    public static final ConfigKey<Integer> ETA = SECTION.integer("eta", 3)
            .validIf(n -> n >= 2, "must be >= 2")
            .doc("Reduction factor: a rung keeps the best 1/eta of the trials that reached the one below.");
    public static final ConfigKey<String> DIR = SECTION.string("dir", "work/search")
            .validIf(d -> !d.isBlank(), "must be a path or URI")
            .doc("Search directory on any Hadoop filesystem: plan.json, state.json, leaderboard.json, index.html, "
                    + "best.conf and trials/trial-NNNN (each a run directory). A search started again with the same "
                    + "plan goes on where it stopped; with a changed plan it is refused.");
    public static final ConfigKey<Integer> CONCURRENT_TRIALS = SECTION.integer("concurrent-trials", 1)
            .validIf(n -> n >= 1, "must be >= 1")
            .doc("Trials trained at the same time, each with train.workers workers of the shared cluster; 1 on a "
                    + "cluster that one run fills. With more than 1, asha's promotions depend on which trial "
                    + "finishes first.");
    public static final ConfigKey<SearchSpace> SPACE = SECTION.hocon("space", SearchSpace.KIND, "[]")
            .doc("The searched keys: a list of {key = train.learning-rate, distribution = log-uniform, min = 0.001, "
                    + "max = 0.1} (distribution uniform | log-uniform | integer (both ends included) | choice with "
                    + "values = [...]). Any train, augmentation or preprocess key, or a member of an object key such "
                    + "as train.transform-defaults.pad-crop.padding; not seed, train.run-id, runs-dir, epochs, "
                    + "stop-after-epoch or resume, which the search sets. Empty (the default) outside a search; the "
                    + "search command needs at least one key.");

    /**
     * @throws InvalidConfigException naming {@code search.space} when it lists no key, or {@code search.min-epochs} /
     *                                {@code search.trials} when the budget does not fit the method
     */
    public SearchConfig {
        InvalidConfigException.require(!space.parameters().isEmpty(), SPACE.name(), "must list at least one key",
                "[]");
        InvalidConfigException.require(minEpochs <= maxEpochs, MIN_EPOCHS.name(), "must be <= search.max-epochs ("
                + maxEpochs + ")", minEpochs);
        try {
            new Scheduler(method, trials, minEpochs, maxEpochs, eta);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(TRIALS.name(), e.getMessage(), trials);
        }
    }

    /** The scheduler of this budget and method. */
    public Scheduler scheduler() {
        return new Scheduler(method, trials, minEpochs, maxEpochs, eta);
    }

    public static ConfigBuilder<SearchConfig> builder() {
        return new ConfigBuilder<>(SearchConfig.class, SECTION);
    }
}
