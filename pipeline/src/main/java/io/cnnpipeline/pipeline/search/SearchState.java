package io.cnnpipeline.pipeline.search;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a search directory holds as JSON: the plan ({@code plan.json}, fixed when the search starts), each trial's
 * state ({@code state.json}, rewritten atomically after every step) and the leaderboard ({@code leaderboard.json}).
 */
public final class SearchState {
    private SearchState() {
    }

    /**
     * What a search will do; a search directory continues only the plan it was started with.
     *
     * @param method    the search method's id
     * @param trials    trials sampled
     * @param rungs     rungs in epochs
     * @param eta       reduction factor
     * @param seed      the root seed the trials are sampled from
     * @param brackets  brackets (one for random, successive halving and ASHA)
     * @param space     the space's parameters as HOCON
     * @param base      the configuration every trial starts from: its keys that differ from the defaults, as HOCON
     */
    public record Plan(String method, int trials, List<Integer> rungs, int eta, long seed,
                       List<Scheduler.Bracket> brackets, List<String> space, Map<String, String> base) {
    }

    /**
     * One trial.
     *
     * @param id                 trial number, 1-based; its run directory is {@code trials/trial-NNNN}
     * @param bracket            its bracket
     * @param params             the sampled values, key to HOCON
     * @param target             the epoch it was last told to reach
     * @param running            whether a step of it was running when the state was written (a killed search's
     *                           interrupted trial, continued from its checkpoint when the search starts again)
     * @param stopped            the early-stop rule that stopped it, or null
     * @param validationAccuracy validation accuracy (fraction in [0, 1]) by epoch (not for an epoch whose loss was not
     *                           finite)
     * @param loss               training loss by epoch
     * @param trainSeconds       wall seconds of its epochs' fits, summed
     * @param stepSeconds        wall seconds of its steps (fit, validation, checkpoints, Spark jobs), summed
     */
    public record TrialState(int id, int bracket, SortedMap<String, String> params, int target, boolean running,
                             String stopped, SortedMap<Integer, Double> validationAccuracy,
                             SortedMap<Integer, Double> loss, double trainSeconds, double stepSeconds) {
        public TrialState {
            params = new TreeMap<>(params);
            validationAccuracy = new TreeMap<>(validationAccuracy);
            loss = new TreeMap<>(loss);
        }

        /** The run directory's name. */
        public String runId() {
            return runId(id);
        }

        public static String runId(int id) {
            return String.format(java.util.Locale.ROOT, "trial-%04d", id);
        }

        /** Epochs trained (a stopped trial's last one has a loss and may have no validation accuracy). */
        public int epochs() {
            return loss.isEmpty() ? 0 : loss.lastKey();
        }

        /** As the scheduler sees it. */
        Scheduler.Trial scheduled() {
            return new Scheduler.Trial(id, bracket, target, validationAccuracy, running, stopped);
        }
    }

    /** The search's trials. */
    public record State(List<TrialState> trials) {
        public State {
            trials = trials.stream().sorted(Comparator.comparingInt(TrialState::id)).toList();
        }
    }

    /**
     * One row of the leaderboard.
     *
     * @param rank               1 = best
     * @param trial              trial number
     * @param runId              its run directory under {@code trials/}
     * @param rung               the highest rung (epochs) it finished
     * @param validationAccuracy its validation accuracy there
     * @param epochs             epochs trained
     * @param stopped            the early-stop rule that stopped it, or null
     * @param trainSeconds       seconds of its fits
     * @param params             the sampled values
     */
    public record Entry(int rank, int trial, String runId, int rung, double validationAccuracy, int epochs,
                        String stopped, double trainSeconds, SortedMap<String, String> params) {
    }

    /**
     * {@code leaderboard.json}.
     *
     * @param method        the search method
     * @param rungs         rungs in epochs
     * @param finished      whether the search has run every step
     * @param trials        trials started
     * @param epochs        epochs trained over all trials: the search's compute, in epochs
     * @param trainSeconds  seconds of all trials' fits
     * @param winner        the best trial that finished the top rung, or 0 when none has
     * @param entries       every trial, best first: by highest rung finished, then validation accuracy there, then
     *                      trial number
     */
    public record Leaderboard(String method, List<Integer> rungs, boolean finished, int trials, int epochs,
                              double trainSeconds, int winner, List<Entry> entries) {
    }

    /** The leaderboard of {@code trials} over {@code rungs}. */
    static Leaderboard leaderboard(String method, List<Integer> rungs, boolean finished, List<TrialState> trials) {
        record Scored(TrialState t, int rung, double score) {
        }
        List<Scored> scored = trials.stream().map(t -> {
            int rung = 0;
            for (int r : rungs) {
                if (t.validationAccuracy().containsKey(r)) {
                    rung = r;
                }
            }
            Double s = rung == 0 ? null : t.validationAccuracy().get(rung);
            return new Scored(t, rung, s == null ? Double.NaN : s);
        }).sorted(Comparator.comparingInt((Scored s) -> -s.rung())
                .thenComparingDouble(s -> Double.isNaN(s.score()) ? Double.POSITIVE_INFINITY : -s.score())
                .thenComparingInt(s -> s.t().id())).toList();
        List<Entry> entries = new java.util.ArrayList<>();
        int top = rungs.get(rungs.size() - 1);
        int winner = 0;
        for (Scored s : scored) {
            if (winner == 0 && s.rung() == top && s.t().stopped() == null) {
                winner = s.t().id();
            }
            entries.add(new Entry(entries.size() + 1, s.t().id(), s.t().runId(), s.rung(), s.score(), s.t().epochs(),
                    s.t().stopped(), s.t().trainSeconds(), s.t().params()));
        }
        return new Leaderboard(method, rungs, finished, trials.size(),
                trials.stream().mapToInt(TrialState::epochs).sum(),
                trials.stream().mapToDouble(TrialState::trainSeconds).sum(), winner, entries);
    }
}
