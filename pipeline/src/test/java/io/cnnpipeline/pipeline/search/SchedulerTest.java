package io.cnnpipeline.pipeline.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The rung arithmetic against Li et al. 2018's Hyperband table, and the decisions of each method, step by step. */
class SchedulerTest {
    /** Runs a search to its end one step at a time, trial t scoring {@code score(t, epoch)}; returns the steps. */
    private static List<Scheduler.Step> simulate(Scheduler s, BiFunction<Integer, Integer, Double> score,
                                                 Map<Integer, Scheduler.Trial> trials) {
        List<Scheduler.Step> steps = new ArrayList<>();
        for (Scheduler.Step step = s.next(List.copyOf(trials.values())); step != null;
             step = s.next(List.copyOf(trials.values()))) {
            steps.add(step);
            Scheduler.Trial was = trials.get(step.trial());
            assertEquals(was == null, step.fresh(), "fresh exactly for a trial not seen before: " + step);
            SortedMap<Integer, Double> scores = new TreeMap<>(was == null ? Map.of() : was.scores());
            for (int e = scores.isEmpty() ? 1 : scores.lastKey() + 1; e <= step.epoch(); e++) {
                scores.put(e, score.apply(step.trial(), e));
            }
            trials.put(step.trial(), new Scheduler.Trial(step.trial(), step.bracket(), step.epoch(), scores, false,
                    null));
            assertTrue(steps.size() < 10_000, "the search ends");
        }
        assertTrue(s.finished(List.copyOf(trials.values())));
        return steps;
    }

    /** Trials that reached each epoch, by bracket. */
    private static Map<Integer, SortedMap<Integer, Integer>> reached(Map<Integer, Scheduler.Trial> trials) {
        Map<Integer, SortedMap<Integer, Integer>> out = new TreeMap<>();
        for (Scheduler.Trial t : trials.values()) {
            out.computeIfAbsent(t.bracket(), b -> new TreeMap<>()).merge(t.target(), 1, Integer::sum);
        }
        return out;
    }

    @Test
    void rungsAreMinTimesEtaToTheKBelowTheMaximumThenTheMaximum() {
        assertEquals(List.of(1, 3, 9, 27, 81), Scheduler.rungs(1, 81, 3));
        assertEquals(List.of(1, 3, 9, 10), Scheduler.rungs(1, 10, 3));
        assertEquals(List.of(2, 4, 8), Scheduler.rungs(2, 8, 2));
        assertEquals(List.of(5), Scheduler.rungs(5, 5, 3));
    }

    @Test
    void hyperbandBracketsAreLiEtAlsTableForR81AndEta3() {
        // Li et al. 2018, Table 1: R = 81, eta = 3: (n_i, r_i) per bracket s = 4 .. 0
        int[][][] table = {
            {{81, 1}, {27, 3}, {9, 9}, {3, 27}, {1, 81}},
            {{34, 3}, {11, 9}, {3, 27}, {1, 81}},
            {{15, 9}, {5, 27}, {1, 81}},
            {{8, 27}, {2, 81}},
            {{5, 81}}};
        Scheduler s = new Scheduler(Scheduler.Method.HYPERBAND, 143, 1, 81, 3);
        assertEquals(5, s.brackets().size());
        for (int b = 0; b < table.length; b++) {
            Scheduler.Bracket bracket = s.brackets().get(b);
            for (int i = 0; i < table[b].length; i++) {
                assertEquals(table[b][i][0], s.kept(bracket, i), "bracket s=" + (4 - b) + " rung " + i + " trials");
                assertEquals(table[b][i][1], s.rungs().get(bracket.firstRung() + i), "bracket s=" + (4 - b)
                        + " rung " + i + " epochs");
            }
            assertEquals(s.rungs().size(), bracket.firstRung() + table[b].length, "every bracket ends at R");
        }
        // and a whole hyperband run sends exactly those numbers of trials to each rung
        Map<Integer, Scheduler.Trial> trials = new TreeMap<>();
        simulate(s, (t, e) -> ((t * 7919) % 143) / 143.0 + e * 1e-4, trials);
        assertEquals(143, trials.size());
        Map<Integer, SortedMap<Integer, Integer>> reached = reached(trials);
        for (int b = 0; b < table.length; b++) {
            for (int i = 0; i < table[b].length; i++) {
                int stayed = table[b][i][0] - (i + 1 < table[b].length ? table[b][i + 1][0] : 0);
                assertEquals(stayed, reached.get(b).getOrDefault(table[b][i][1], 0),
                        "bracket s=" + (4 - b) + ": trials whose last rung is " + table[b][i][1]);
            }
        }
    }

    @Test
    void hyperbandRefusesATrialCountThatIsNotItsBracketsTotal() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Scheduler(Scheduler.Method.HYPERBAND, 27, 1, 9, 3));
        assertTrue(e.getMessage().contains("set trials = 17"), e.getMessage());   // 9 + 5 + 3 for rungs 1, 3, 9
    }

    @Test
    void successiveHalvingPromotesTheTopThirdOfAFinishedRungOnly() {
        Scheduler s = new Scheduler(Scheduler.Method.SUCCESSIVE_HALVING, 9, 1, 9, 3);
        // trial t scores t/10 at every epoch, except trial 2, which is best at epoch 1 and worst after
        BiFunction<Integer, Integer, Double> score = (t, e) -> t == 2 ? (e == 1 ? 0.99 : 0.01) : t / 10.0;
        Map<Integer, Scheduler.Trial> trials = new TreeMap<>();
        List<Scheduler.Step> steps = simulate(s, score, trials);
        // 9 trials to epoch 1, then the best 3 at epoch 1 (2, 9, 8) to epoch 3, then the best at epoch 3 (9) to 9
        List<String> got = steps.stream().map(x -> x.trial() + "@" + x.epoch()).toList();
        assertEquals(List.of("1@1", "2@1", "3@1", "4@1", "5@1", "6@1", "7@1", "8@1", "9@1", "2@3", "8@3", "9@3",
                "9@9"), got);
    }

    @Test
    void aSynchronousRungWaitsForItsRunningTrials() {
        Scheduler s = new Scheduler(Scheduler.Method.SUCCESSIVE_HALVING, 3, 1, 3, 3);
        List<Scheduler.Trial> state = List.of(
                new Scheduler.Trial(1, 0, 1, new TreeMap<>(Map.of(1, 0.5)), false, null),
                new Scheduler.Trial(2, 0, 1, new TreeMap<>(), true, null),
                new Scheduler.Trial(3, 0, 1, new TreeMap<>(Map.of(1, 0.7)), false, null));
        assertNull(s.next(state), "rung 1 is not complete while trial 2 runs");
        assertFalse(s.finished(state));
    }

    @Test
    void ashaPromotesFromARungAsSoonAsATrialIsInItsTopThird() {
        Scheduler s = new Scheduler(Scheduler.Method.ASHA, 9, 1, 9, 3);
        double[] atOne = {0, 0.5, 0.7, 0.6, 0.9, 0.1, 0.2, 0.3, 0.4, 0.35};
        Map<Integer, Scheduler.Trial> trials = new TreeMap<>();
        List<Scheduler.Step> steps = simulate(s, (t, e) -> atOne[t] + (e - 1) * 0.01, trials);
        List<String> got = steps.stream().map(x -> x.trial() + "@" + x.epoch()).toList();
        // |R_1| = 3: its top 1, trial 2, goes to 3; trial 4 (0.9) then tops rung 1 and goes to 3; the top 2 of 6, 7
        // and 8 have gone on, so new trials start; at |R_1| = 9 its top 3 adds trial 3, which makes |R_3| = 3, whose
        // top 1 (trial 4) goes to 9; then every trial is sampled and nothing can be promoted.
        assertEquals(List.of("1@1", "2@1", "3@1", "2@3", "4@1", "4@3", "5@1", "6@1", "7@1", "8@1", "9@1", "3@3",
                "4@9"), got, "steps " + got);
        for (Scheduler.Trial t : trials.values()) {
            assertTrue(t.target() == 1 || t.id() == 2 || t.id() == 3 || t.id() == 4, "only 2, 3, 4 promoted");
        }
    }

    @Test
    void randomSearchRunsEveryTrialToTheMaximumInTrialOrder() {
        Scheduler s = new Scheduler(Scheduler.Method.RANDOM, 4, 1, 9, 3);
        List<Scheduler.Step> steps = simulate(s, (t, e) -> 0.5, new TreeMap<>());
        assertEquals(List.of("1@9", "2@9", "3@9", "4@9"), steps.stream().map(x -> x.trial() + "@" + x.epoch()).toList());
    }

    @Test
    void anInterruptedTrialIsContinuedFirstAndAStoppedOneIsNeverPromoted() {
        Scheduler s = new Scheduler(Scheduler.Method.ASHA, 9, 1, 9, 3);
        List<Scheduler.Trial> state = new ArrayList<>(List.of(
                new Scheduler.Trial(1, 0, 1, new TreeMap<>(Map.of(1, 0.9)), false, "diverged"),
                new Scheduler.Trial(2, 0, 1, new TreeMap<>(Map.of(1, 0.5)), false, null),
                new Scheduler.Trial(3, 0, 3, new TreeMap<>(Map.of(1, 0.4)), false, null)));
        Scheduler.Step resume = s.next(state);
        assertEquals(new Scheduler.Step(3, 0, 3, false), resume, "trial 3 was on its way to epoch 3");
        state.set(2, new Scheduler.Trial(3, 0, 3, new TreeMap<>(Map.of(1, 0.4, 2, 0.45, 3, 0.5)), false, null));
        // rung 1: 1 (stopped, 0.9), 2 (0.5), 3 (0.4, promoted): top 1 is trial 1, which is stopped -> a new trial
        assertEquals(new Scheduler.Step(4, 0, 1, true), s.next(state));
    }

    @Test
    void successiveHalvingNeedsEnoughTrialsToKeepOneAtTheTop() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Scheduler(Scheduler.Method.SUCCESSIVE_HALVING, 8, 1, 9, 3));
        assertTrue(e.getMessage().contains("trials >= eta^2 = 9"), e.getMessage());
    }
}
