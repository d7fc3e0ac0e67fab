package io.cnnpipeline.pipeline.search;

import io.cnnpipeline.core.config.ConfigEnum;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which trial runs next, and to which epoch: random search, successive halving, asynchronous successive halving
 * (ASHA) and Hyperband's brackets. Stateless and pure: {@link #next} decides from the trials' recorded state alone,
 * so a search killed at any point and started again decides the same way.
 *
 * <p>Resources are epochs. The rungs are {@code min-epochs x eta^k} while below {@code max-epochs}, then
 * {@code max-epochs}: min 1, max 9, eta 3 gives rungs 1, 3, 9. A trial's score at a rung is its validation accuracy
 * after that epoch; ties go to the lower trial number. A trial stopped by an early-stop rule (not finite, diverged,
 * at chance) stays in the rung it was heading for with the lowest score and is never promoted.
 * <ul>
 *   <li>{@code random}: every trial runs to max-epochs (Bergstra and Bengio 2012).</li>
 *   <li>{@code successive-halving}: {@code trials} start at rung 0; when all of a rung has finished, the top
 *       {@code floor(n / eta^i)} go on to rung i (Jamieson and Talwalkar 2016; Li et al. 2018's bracket
 *       {@code s = s_max}).</li>
 *   <li>{@code hyperband}: the brackets {@code s = s_max .. 0} of Li et al. 2018 (JMLR 18(185), Algorithm 1), bracket
 *       s with {@code n = ceil((s_max + 1) / (s + 1) x eta^s)} trials starting at rung {@code s_max - s}, each bracket
 *       a successive halving.</li>
 *   <li>{@code asha}: Li et al. 2020 (MLSys, Algorithm 2): from the top rung down, promote a trial of the top
 *       {@code floor(|rung| / eta)} of a rung that has not gone on yet; when none can, start a new trial at rung 0 —
 *       no rung waits for its slowest member.</li>
 * </ul>
 * Before any of these, a trial that was given an epoch it has not reached and is not running (a killed search's
 * interrupted trial) is continued.
 */
public final class Scheduler {
    /** Search methods. */
    public enum Method implements ConfigEnum {
        RANDOM("random"), SUCCESSIVE_HALVING("successive-halving"), HYPERBAND("hyperband"), ASHA("asha");

        private final String id;

        Method(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }
    }

    /**
     * What the scheduler knows of one trial.
     *
     * @param id      trial number, 1-based
     * @param bracket the bracket it belongs to (0 for random, successive halving and ASHA)
     * @param target  the epoch it was last told to reach
     * @param scores  validation accuracy by epoch, for every epoch it has finished
     * @param running whether it is running now (towards {@code target})
     * @param stopped the early-stop rule that stopped it ({@code not-finite}, {@code diverged}, {@code at-chance}), or
     *                null
     */
    public record Trial(int id, int bracket, int target, SortedMap<Integer, Double> scores, boolean running,
                        String stopped) {
        public Trial {
            scores = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(scores));
        }

        /** Whether the trial has finished epoch {@code epoch} or was stopped on its way there. */
        boolean done(int epoch) {
            return scores.containsKey(epoch) || (stopped != null && target >= epoch);
        }

        /** The score at {@code epoch}; negative infinity for a stopped trial without one. */
        double score(int epoch) {
            Double s = scores.get(epoch);
            return s == null ? Double.NEGATIVE_INFINITY : s;
        }
    }

    /** A decision: run trial {@code trial} (new when {@code fresh}) of {@code bracket} up to {@code epoch}. */
    public record Step(int trial, int bracket, int epoch, boolean fresh) {
    }

    /** A bracket: {@code size} trials starting at rung {@code firstRung}, numbered from {@code firstTrial}. */
    public record Bracket(int index, int firstRung, int size, int firstTrial) {
    }

    private final Method method;
    private final int trials;
    private final int eta;
    private final List<Integer> rungs;
    private final List<Bracket> brackets;

    /**
     * @throws IllegalArgumentException if the budget cannot be scheduled (min-epochs &gt; max-epochs, eta &lt; 2, too
     *                                  few trials for successive halving to keep one at the top rung, a hyperband
     *                                  trial count that is not its brackets' total)
     */
    public Scheduler(Method method, int trials, int minEpochs, int maxEpochs, int eta) {
        if (minEpochs < 1 || maxEpochs < minEpochs) {
            throw new IllegalArgumentException("needs 1 <= min-epochs <= max-epochs, got " + minEpochs + " and "
                    + maxEpochs);
        }
        if (eta < 2) {
            throw new IllegalArgumentException("eta must be >= 2, got " + eta);
        }
        this.method = method;
        this.eta = eta;
        this.rungs = rungs(minEpochs, maxEpochs, eta);
        int top = rungs.size() - 1;
        List<Bracket> b = new ArrayList<>();
        switch (method) {
            case RANDOM -> b.add(new Bracket(0, top, trials, 1));
            case SUCCESSIVE_HALVING, ASHA -> b.add(new Bracket(0, 0, trials, 1));
            case HYPERBAND -> {
                int first = 1;
                for (int s = top; s >= 0; s--) {
                    int n = (int) Math.ceil((double) (top + 1) / (s + 1) * Math.pow(eta, s));
                    b.add(new Bracket(top - s, top - s, n, first));
                    first += n;
                }
                int total = first - 1;
                if (trials != total) {
                    throw new IllegalArgumentException("hyperband with rungs " + rungs + " and eta " + eta
                            + " runs its brackets' " + total + " trials (Li et al. 2018); set trials = " + total);
                }
            }
            default -> throw new AssertionError(method);
        }
        if (trials < 1) {
            throw new IllegalArgumentException("trials must be >= 1");
        }
        if (method == Method.SUCCESSIVE_HALVING && trials / (long) Math.pow(eta, top) < 1) {
            throw new IllegalArgumentException("successive halving over rungs " + rungs + " needs trials >= eta^"
                    + top + " = " + (long) Math.pow(eta, top) + " to keep one trial at the top rung");
        }
        this.trials = trials;
        this.brackets = List.copyOf(b);
    }

    /** The rungs in epochs: {@code min x eta^k} while below {@code max}, then {@code max}. */
    public static List<Integer> rungs(int minEpochs, int maxEpochs, int eta) {
        List<Integer> out = new ArrayList<>();
        for (long r = minEpochs; r < maxEpochs; r *= eta) {
            out.add((int) r);
        }
        out.add(maxEpochs);
        return List.copyOf(out);
    }

    public List<Integer> rungs() {
        return rungs;
    }

    public List<Bracket> brackets() {
        return brackets;
    }

    public Method method() {
        return method;
    }

    /** Trials a bracket keeps at its i-th rung: {@code floor(size / eta^i)}. */
    public int kept(Bracket bracket, int i) {
        return (int) (bracket.size() / (long) Math.pow(eta, i));
    }

    /**
     * The next step, or null when none can start now: when every trial is running, stopped or done, or a synchronous
     * rung waits for running trials. {@link #finished} tells the two apart.
     */
    public Step next(List<Trial> state) {
        for (Trial t : sorted(state)) {
            if (!t.running() && !t.done(t.target())) {
                return new Step(t.id(), t.bracket(), t.target(), false);
            }
        }
        if (method == Method.ASHA) {
            return nextAsha(state);
        }
        for (Bracket b : brackets) {
            Step s = nextInBracket(b, state);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    /** Whether the search is over: nothing is running and there is nothing left to run. */
    public boolean finished(List<Trial> state) {
        return state.stream().noneMatch(Trial::running) && next(state) == null;
    }

    private Step nextAsha(List<Trial> state) {
        for (int k = rungs.size() - 2; k >= 0; k--) {
            int rung = rungs.get(k);
            List<Trial> members = ranked(state.stream().filter(t -> t.done(rung)).toList(), rung);
            for (Trial t : members.subList(0, members.size() / eta)) {
                if (t.stopped() == null && t.target() == rung) {
                    return new Step(t.id(), 0, rungs.get(k + 1), false);
                }
            }
        }
        return state.size() < trials ? new Step(state.size() + 1, 0, rungs.get(0), true) : null;
    }

    private Step nextInBracket(Bracket b, List<Trial> state) {
        List<Trial> mine = sorted(state.stream().filter(t -> t.bracket() == b.index()).toList());
        if (mine.size() < b.size()) {
            return new Step(b.firstTrial() + mine.size(), b.index(), rungs.get(b.firstRung()), true);
        }
        List<Trial> level = mine;
        for (int i = 0; b.firstRung() + i < rungs.size(); i++) {
            int rung = rungs.get(b.firstRung() + i);
            boolean waiting = false;
            for (Trial t : sorted(level)) {
                if (!t.done(rung)) {
                    if (!t.running()) {
                        return new Step(t.id(), b.index(), rung, false);
                    }
                    waiting = true;
                }
            }
            if (waiting || b.firstRung() + i + 1 == rungs.size()) {
                return null;
            }
            List<Trial> ranked = ranked(level, rung).stream().filter(t -> t.stopped() == null).toList();
            level = ranked.subList(0, Math.min(ranked.size(), kept(b, i + 1)));
        }
        return null;
    }

    /** By score at {@code epoch}, best first; ties to the lower trial number. */
    static List<Trial> ranked(List<Trial> trials, int epoch) {
        return trials.stream().sorted(Comparator.comparingDouble((Trial t) -> -t.score(epoch))
                .thenComparingInt(Trial::id)).toList();
    }

    private static List<Trial> sorted(List<Trial> trials) {
        return trials.stream().sorted(Comparator.comparingInt(Trial::id)).toList();
    }

    /**
     * The rung decisions of a finished or running search, for the page: for each rung (in epochs), the trials that
     * finished it in rank order, each as {@code {trial, 1 if promoted past the rung else 0}}.
     */
    public SortedMap<Integer, List<int[]>> decisions(List<Trial> state) {
        SortedMap<Integer, List<int[]>> out = new TreeMap<>();
        for (int k = 0; k < rungs.size(); k++) {
            int rung = rungs.get(k);
            List<int[]> rows = new ArrayList<>();
            for (Trial t : ranked(state.stream().filter(t -> t.done(rung)).toList(), rung)) {
                rows.add(new int[] {t.id(), t.target() > rung ? 1 : 0});
            }
            out.put(rung, rows);
        }
        return out;
    }
}
