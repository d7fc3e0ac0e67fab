package io.cnnpipeline.pipeline.search;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.pipeline.Pipeline;
import io.cnnpipeline.pipeline.PipelineConfig;
import io.cnnpipeline.training.EpochMetrics;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainingConfig;
import io.cnnpipeline.training.TrainingStoppedException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hyperparameter search ({@code cnn-pipeline search}): trials sampled from {@code search.space}, scheduled by
 * {@link Scheduler}, each a normal training run ({@link Pipeline#train}) of the base configuration with its sampled
 * values, in its own run directory {@code <search.dir>/trials/trial-NNNN}, scored by its validation accuracy only (the
 * test split is not read). A step trains a trial up to a rung's epoch with {@code train.stop-after-epoch} and
 * {@code train.epochs = search.max-epochs}, so a promoted trial continues from its checkpoint with the learning-rate
 * schedule of the full run, and the winner's {@code best.conf} retrains it from scratch to the same network.
 *
 * <p>{@code plan.json} is written once; {@code state.json}, {@code leaderboard.json} and {@code index.html} atomically
 * after every step. Started again on the same directory with the same plan, a search continues where it stopped:
 * finished steps are not rerun, an interrupted trial resumes from its newest checkpoint. Driver-side; trials run one
 * after another, or {@code search.concurrent-trials} at a time as concurrent Spark jobs of the one session.
 */
public final class SearchJob {
    private static final Logger LOG = LoggerFactory.getLogger(SearchJob.class);
    public static final String PLAN = "plan.json";
    public static final String STATE = "state.json";
    public static final String LEADERBOARD = "leaderboard.json";
    public static final String PAGE = "index.html";
    public static final String BEST_CONF = "best.conf";
    public static final String TRIALS = "trials";
    /** Keys that are a run's own, not the recipe's: they stay out of best.conf. */
    private static final List<String> RUN_KEYS = List.of(TrainingConfig.RUN_ID.name(), TrainingConfig.RESUME.name(),
            TrainingConfig.STOP_AFTER_EPOCH.name());

    /**
     * A finished search.
     *
     * @param dir         the search directory
     * @param leaderboard the trials ranked
     * @param winner      the winning trial
     * @param bestConf    the winner's configuration file ({@code best.conf}), loadable by {@code train --config}
     */
    public record Result(String dir, SearchState.Leaderboard leaderboard, SearchState.TrialState winner,
                         String bestConf) {
    }

    private final SparkSession spark;
    private final PipelineConfig base;
    private final SearchConfig search;
    private final Scheduler scheduler;
    private final FileSystem fs;
    private final Path dir;
    private final List<SearchState.TrialState> trials = new ArrayList<>();
    private RuntimeException failure;

    private SearchJob(SparkSession spark, PipelineConfig base, SearchConfig search) {
        this.spark = spark;
        this.base = base;
        this.search = search;
        this.scheduler = search.scheduler();
        this.fs = HadoopFiles.fs(search.dir(), spark.sparkContext().hadoopConfiguration());
        this.dir = fs.makeQualified(new Path(search.dir()));
    }

    /**
     * Checks that every value the space can give is valid for its key (both ends of a range, every choice), by
     * loading the configuration with it: errors stop the search before any trial runs.
     *
     * @throws InvalidConfigException naming {@code search.space}, the key and the value
     */
    public static void validate(PipelineConfig base, SearchConfig search) {
        for (SearchSpace.Parameter p : search.space().parameters()) {
            if (p.key().startsWith("preprocess.") || p.key().startsWith("evaluate.")
                    || p.key().startsWith("predict.")) {
                throw new InvalidConfigException(SearchConfig.SPACE.name(), p.key()
                        + ": trials share one dataset and are scored on its validation split; only train keys "
                        + "(and their augmentation) can be searched", null);
            }
            for (String v : p.extremes()) {
                try {
                    base.with(List.of(p.key() + "=" + v, TrainingConfig.EPOCHS.name() + "=" + search.maxEpochs()))
                            .train();
                } catch (InvalidConfigException e) {
                    throw new InvalidConfigException(SearchConfig.SPACE.name(), p.key() + " = " + v + " is not valid: "
                            + e.getMessage(), null);
                }
            }
        }
    }

    /**
     * Runs (or continues) the search {@code base.search()} describes, on the dataset {@code base.train()} names.
     *
     * @throws InvalidConfigException if the search settings or the space's values are invalid
     * @throws StageFailedException   if the search directory holds another plan, a trial fails (the state keeps it
     *                                for the next start), or no trial reached the top rung
     */
    public static Result run(SparkSession spark, PipelineConfig base) {
        SearchConfig search = base.search();
        validate(base, search);
        return new SearchJob(spark, base, search).run();
    }

    private Result run() {
        SearchState.Plan plan = new SearchState.Plan(search.method().id(), search.trials(), scheduler.rungs(),
                search.eta(), base.seed(), scheduler.brackets(),
                search.space().parameters().stream().map(SearchSpace.Parameter::render).toList(), baseKeys(base));
        Path planFile = new Path(dir, PLAN);
        if (HadoopFiles.exists(fs, planFile)) {
            SearchState.Plan was = Json.fromBytes(HadoopFiles.read(fs, planFile), SearchState.Plan.class);
            if (!was.equals(plan)) {
                throw new StageFailedException("search.dir " + dir + " holds another search (its " + PLAN
                        + " differs: " + difference(was, plan) + "); give a new search.dir, or delete " + dir
                        + " to start over");
            }
            Path stateFile = new Path(dir, STATE);
            if (HadoopFiles.exists(fs, stateFile)) {
                for (SearchState.TrialState t : Json.fromBytes(HadoopFiles.read(fs, stateFile),
                        SearchState.State.class).trials()) {
                    trials.add(withRunning(t, false));
                }
            }
            LOG.info("search {}: continuing with {} trials recorded", dir, trials.size());
        } else {
            HadoopFiles.writeAtomically(fs, planFile, Json.toBytes(plan));
            LOG.info("search {}: {} over rungs {} epochs, {} trials, space {}", dir, search.method().id(),
                    scheduler.rungs(), search.trials(), plan.space());
        }
        ExecutorService pool = Executors.newFixedThreadPool(search.concurrentTrials(), r -> {
            Thread t = new Thread(r, "search-trial");
            t.setDaemon(true);
            return t;
        });
        try {
            schedule(pool);
        } finally {
            pool.shutdownNow();
        }
        SearchState.Leaderboard board = publish(true);
        if (board.winner() == 0) {
            throw new StageFailedException("search " + dir + ": no trial finished the top rung ("
                    + search.maxEpochs() + " epochs); every trial was stopped (see " + PAGE + ")");
        }
        SearchState.TrialState winner = trial(board.winner());
        Path best = new Path(dir, BEST_CONF);
        HadoopFiles.writeAtomically(fs, best, bestConf(winner, board).getBytes(StandardCharsets.UTF_8));
        LOG.info("search {}: winner {} with validation accuracy {} after {} epochs; {} epochs trained in all",
                dir, winner.runId(), winner.validationAccuracy().get(search.maxEpochs()), search.maxEpochs(),
                board.epochs());
        return new Result(dir.toString(), board, winner, best.toString());
    }

    /** Hands steps to the pool as the scheduler gives them, until the search is over or a trial failed. */
    private void schedule(ExecutorService pool) {
        synchronized (this) {
            while (true) {
                if (failure != null) {
                    while (trials.stream().anyMatch(SearchState.TrialState::running)) {
                        await();
                    }
                    throw failure;
                }
                List<Scheduler.Trial> view = trials.stream().map(SearchState.TrialState::scheduled).toList();
                long running = view.stream().filter(Scheduler.Trial::running).count();
                Scheduler.Step step = running < search.concurrentTrials() ? scheduler.next(view) : null;
                if (step == null) {
                    if (running == 0) {
                        return;
                    }
                    await();
                    continue;
                }
                SearchState.TrialState t = step.fresh()
                        ? new SearchState.TrialState(step.trial(), step.bracket(),
                                search.space().sample(base.seed(), step.trial()), step.epoch(), true, null,
                                new TreeMap<>(), new TreeMap<>(), 0, 0)
                        : with(trial(step.trial()), step.epoch(), true);
                put(t);
                writeState();
                pool.execute(() -> runStep(t));
            }
        }
    }

    private void await() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageFailedException("search " + dir + " interrupted");
        }
    }

    /** Trains a trial up to its target epoch and records the outcome. */
    private void runStep(SearchState.TrialState t) {
        long start = System.nanoTime();
        String stopped = null;
        RuntimeException failed = null;
        LOG.info("search: {} to epoch {} of {} ({})", t.runId(), t.target(), search.maxEpochs(), t.params());
        try {
            Pipeline.train(spark, trialConfig(t));
        } catch (TrainingStoppedException e) {
            stopped = e.reason().id();
            LOG.info("search: {} stopped after epoch {}: {}", t.runId(), e.epoch(), e.getMessage());
        } catch (RuntimeException e) {
            failed = e;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (this) {
            try {
                List<EpochMetrics> metrics = metrics(t);
                SortedMap<Integer, Double> acc = new TreeMap<>();
                SortedMap<Integer, Double> loss = new TreeMap<>();
                double train = 0;
                for (EpochMetrics m : metrics) {
                    if (m.validationAccuracy() != null) {
                        acc.put(m.epoch(), m.validationAccuracy());
                    } else if (stopped == null && failed == null) {
                        failed = new StageFailedException("search: " + t.runId() + " has no validation accuracy: "
                                + "the dataset needs a validation split (preprocess.validation-fraction > 0, or a "
                                + "validation input) to score trials on");
                    }
                    loss.put(m.epoch(), m.loss());
                    train += m.seconds();
                }
                put(new SearchState.TrialState(t.id(), t.bracket(), t.params(), t.target(), false, stopped, acc, loss,
                        train, t.stepSeconds() + seconds));
                if (failed != null) {
                    LOG.error("search: {} failed; the search stops after its running trials (started again, it "
                            + "continues {} from its checkpoint)", t.runId(), t.runId());
                    failure = failed;
                    writeState();
                } else {
                    publish(false);
                }
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                notifyAll();
            }
        }
    }

    /** The trial's run: the base configuration, its sampled values, and the search's run keys. */
    private PipelineConfig trialConfig(SearchState.TrialState t) {
        List<String> sets = new ArrayList<>();
        t.params().forEach((k, v) -> sets.add(k + "=" + v));
        sets.add(TrainingConfig.RUN_ID.name() + "=" + t.runId());
        sets.add(TrainingConfig.RUNS_DIR.name() + "=" + com.typesafe.config.ConfigUtil.quoteString(
                new Path(dir, TRIALS).toString()));
        sets.add(TrainingConfig.EPOCHS.name() + "=" + search.maxEpochs());
        sets.add(TrainingConfig.STOP_AFTER_EPOCH.name() + "=" + (t.target() == search.maxEpochs() ? 0 : t.target()));
        sets.add(TrainingConfig.RESUME.name() + "=auto");
        return base.with(sets);
    }

    private List<EpochMetrics> metrics(SearchState.TrialState t) {
        Path file = new Path(new Path(new Path(dir, TRIALS), t.runId()), RunDirectory.METRICS);
        List<EpochMetrics> out = new ArrayList<>();
        if (HadoopFiles.exists(fs, file)) {
            for (String line : new String(HadoopFiles.read(fs, file), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    out.add(Json.fromBytes(line.getBytes(StandardCharsets.UTF_8), EpochMetrics.class));
                }
            }
        }
        return out;
    }

    /** The base configuration's keys that differ from the defaults, without the search's and the run's own. */
    private static Map<String, String> baseKeys(PipelineConfig config) {
        Map<String, String> out = new java.util.LinkedHashMap<>(config.changedFromDefaults());
        out.keySet().removeIf(k -> RUN_KEYS.contains(k) || k.equals(TrainingConfig.RUNS_DIR.name())
                || k.startsWith("search.") || k.startsWith("spark.")
                || k.startsWith("progress.") || k.startsWith("tracking."));
        return out;
    }

    /** The winner as a configuration file: the base's changed keys, its sampled values, train.epochs. */
    private String bestConf(SearchState.TrialState winner, SearchState.Leaderboard board) {
        List<String> sets = new ArrayList<>();
        winner.params().forEach((k, v) -> sets.add(k + "=" + v));
        sets.add(TrainingConfig.EPOCHS.name() + "=" + search.maxEpochs());
        Map<String, String> keys = new java.util.LinkedHashMap<>(base.with(sets).changedFromDefaults());
        keys.keySet().removeIf(k -> RUN_KEYS.contains(k) || k.startsWith("search."));
        StringBuilder b = new StringBuilder();
        b.append(String.format(java.util.Locale.ROOT, "# The winner of the %s search in %s: %s, validation accuracy "
                        + "%.2f%% after %d epochs (%d trials, %d epochs trained in all).%n", search.method().id(), dir,
                winner.runId(), 100 * winner.validationAccuracy().get(search.maxEpochs()), search.maxEpochs(),
                board.trials(), board.epochs()));
        b.append("# Searched: ").append(winner.params()).append('\n');
        b.append("# Train it: cnn-pipeline train --config best.conf (every key that differs from the defaults is here)\n");
        keys.forEach((k, v) -> b.append(k).append(" = ").append(v).append('\n'));
        return b.toString();
    }

    /** Writes state, leaderboard and page; returns the leaderboard. */
    private SearchState.Leaderboard publish(boolean finished) {
        writeState();
        SearchState.Leaderboard board = SearchState.leaderboard(search.method().id(), scheduler.rungs(), finished,
                trials);
        HadoopFiles.writeAtomically(fs, new Path(dir, LEADERBOARD), Json.toBytes(board));
        SearchPage.write(fs, dir, search, scheduler, board, List.copyOf(trials));
        return board;
    }

    private void writeState() {
        HadoopFiles.writeAtomically(fs, new Path(dir, STATE), Json.toBytes(new SearchState.State(List.copyOf(trials))));
    }

    private SearchState.TrialState trial(int id) {
        return trials.stream().filter(t -> t.id() == id).findFirst().orElseThrow();
    }

    private void put(SearchState.TrialState t) {
        trials.removeIf(x -> x.id() == t.id());
        trials.add(t);
        trials.sort(java.util.Comparator.comparingInt(SearchState.TrialState::id));
    }

    private static SearchState.TrialState with(SearchState.TrialState t, int target, boolean running) {
        return new SearchState.TrialState(t.id(), t.bracket(), t.params(), target, running, t.stopped(),
                t.validationAccuracy(), t.loss(), t.trainSeconds(), t.stepSeconds());
    }

    private static SearchState.TrialState withRunning(SearchState.TrialState t, boolean running) {
        return with(t, t.target(), running);
    }

    private static String difference(SearchState.Plan was, SearchState.Plan now) {
        List<String> d = new ArrayList<>();
        if (!was.method().equals(now.method())) {
            d.add("method " + was.method() + " -> " + now.method());
        }
        if (was.trials() != now.trials()) {
            d.add("trials " + was.trials() + " -> " + now.trials());
        }
        if (!was.rungs().equals(now.rungs()) || was.eta() != now.eta()) {
            d.add("rungs " + was.rungs() + " -> " + now.rungs());
        }
        if (was.seed() != now.seed()) {
            d.add("seed " + was.seed() + " -> " + now.seed());
        }
        if (!was.space().equals(now.space())) {
            d.add("space");
        }
        if (!was.base().equals(now.base())) {
            java.util.Set<String> keys = new java.util.TreeSet<>(was.base().keySet());
            keys.addAll(now.base().keySet());
            keys.removeIf(k -> java.util.Objects.equals(was.base().get(k), now.base().get(k)));
            d.add("base configuration " + keys);
        }
        return d.isEmpty() ? "brackets" : String.join(", ", d);
    }
}
