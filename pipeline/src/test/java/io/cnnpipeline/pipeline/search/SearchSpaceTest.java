package io.cnnpipeline.pipeline.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.pipeline.PipelineConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Sampling: the distributions, determinism, and the configuration's errors before any Spark work. */
class SearchSpaceTest {
    private static final int N = 6000;

    private static SearchSpace.Parameter param(String hocon) {
        return SearchSpace.parse("[" + hocon + "]").parameters().get(0);
    }

    @Test
    void logUniformPutsAThirdOfTrialsInEachDecadeOfThreeAndKeepsFourDigits() {
        SearchSpace.Parameter lr = param("{key = train.learning-rate, distribution = log-uniform, min = 1e-4, max = 0.1}");
        int[] decades = new int[3];
        for (int t = 1; t <= N; t++) {
            double v = Double.parseDouble(lr.sample(7, t));
            assertTrue(v >= 1e-4 && v <= 0.1, "in range: " + v);
            decades[(int) Math.min(2, Math.floor(Math.log10(v) + 4))]++;
            assertEquals(v, Double.parseDouble(String.format(java.util.Locale.ROOT, "%.4g", v)), 0, "4 digits");
        }
        for (int d : decades) {
            assertEquals(1.0 / 3, d / (double) N, 0.025, "decade counts " + java.util.Arrays.toString(decades));
        }
    }

    @Test
    void uniformHasTheMeanAndSpreadOfItsRange() {
        SearchSpace.Parameter m = param("{key = train.momentum, distribution = uniform, min = 0.8, max = 0.99}");
        double sum = 0;
        double sq = 0;
        int belowMid = 0;
        for (int t = 1; t <= N; t++) {
            double v = Double.parseDouble(m.sample(7, t));
            assertTrue(v >= 0.8 && v <= 0.99, "in range: " + v);
            sum += v;
            sq += v * v;
            belowMid += v < 0.895 ? 1 : 0;
        }
        double mean = sum / N;
        assertEquals(0.895, mean, 0.003);
        assertEquals(0.19 / Math.sqrt(12), Math.sqrt(sq / N - mean * mean), 0.003, "std of a uniform");
        assertEquals(0.5, belowMid / (double) N, 0.025);
    }

    @Test
    void integerAndChoiceGiveEveryValueIncludingBothEndsEqually() {
        SearchSpace.Parameter pad = param("{key = \"train.transform-defaults.pad-crop.padding\", distribution = integer, "
                + "min = 0, max = 4}");
        SearchSpace.Parameter updater = param("{key = train.updater, distribution = choice, values = [nesterov, adam, "
                + "sgd]}");
        Map<String, Integer> pads = new TreeMap<>();
        Map<String, Integer> updaters = new TreeMap<>();
        for (int t = 1; t <= N; t++) {
            pads.merge(pad.sample(7, t), 1, Integer::sum);
            updaters.merge(updater.sample(7, t), 1, Integer::sum);
        }
        assertEquals(List.of("0", "1", "2", "3", "4"), List.copyOf(pads.keySet()));
        pads.values().forEach(c -> assertEquals(0.2, c / (double) N, 0.02, "integer counts " + pads));
        assertEquals(List.of("\"adam\"", "\"nesterov\"", "\"sgd\""), List.copyOf(updaters.keySet()));
        updaters.values().forEach(c -> assertEquals(1.0 / 3, c / (double) N, 0.025, "choice counts " + updaters));
    }

    @Test
    void aTrialsValuesDependOnTheSeedTheTrialAndTheKeyOnly() {
        SearchSpace a = SearchSpace.parse("[{key = train.learning-rate, distribution = log-uniform, min = 1e-3, "
                + "max = 0.3}, {key = train.momentum, distribution = uniform, min = 0.8, max = 0.99}]");
        SearchSpace reordered = SearchSpace.parse("[{key = train.momentum, distribution = uniform, min = 0.8, "
                + "max = 0.99}, {key = train.weight-decay, distribution = log-uniform, min = 1e-5, max = 1e-3}, "
                + "{key = train.learning-rate, distribution = log-uniform, min = 1e-3, max = 0.3}]");
        for (int t = 1; t <= 20; t++) {
            assertEquals(a.sample(42, t), a.sample(42, t), "the same trial twice");
            assertEquals(a.sample(42, t).get("train.learning-rate"), reordered.sample(42, t).get("train.learning-rate"));
            assertEquals(a.sample(42, t).get("train.momentum"), reordered.sample(42, t).get("train.momentum"));
        }
        assertNotEquals(a.sample(42, 1), a.sample(43, 1), "another seed, other trials");
        assertNotEquals(a.sample(42, 1), a.sample(42, 2), "trials differ");
    }

    private static InvalidConfigException searchError(String space) {
        return assertThrows(InvalidConfigException.class, () -> {
            PipelineConfig c = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(),
                    List.of("search.space = " + space));
            SearchJob.validate(c, c.search());
        });
    }

    @Test
    void aBadSpaceIsAConfigErrorNamingSearchSpaceBeforeAnyTrial() {
        for (String[] bad : new String[][] {
            {"[{key = train.epochs, distribution = integer, min = 1, max = 5}]", "set by the search itself"},
            {"[{key = train.learning-rate, distribution = log-uniform, min = 0, max = 0.1}]", "log-uniform needs min > 0"},
            {"[{key = train.learning-rate, distribution = uniform, max = 0.1}]", "needs min"},
            {"[{key = train.learning-rate, distribution = uniform, min = 0.1, max = 0.01}]", "min <= max"},
            {"[{key = train.updater, distribution = choice}]", "non-empty values"},
            {"[{key = train.updater, distribution = choice, values = [adam], step = 2}]", "unknown member"},
            {"[{key = train.updater, distribution = normal, min = 0, max = 1}]", "normal"},
            {"[]", "at least one key"},
            {"[{key = train.no-such-key, distribution = uniform, min = 0, max = 1}]", "unknown key"},
            {"[{key = train.learning-rate, distribution = uniform, min = -1, max = 1}]",
                "train.learning-rate = -1 is not valid"},
            {"[{key = train.updater, distribution = choice, values = [adam, rmsprop2]}]", "rmsprop2"},
            {"[{key = preprocess.short-side, distribution = integer, min = 24, max = 32}]", "share one dataset"}}) {
            InvalidConfigException e = searchError(bad[0]);
            assertEquals("search.space", e.key(), bad[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
        }
    }

    @Test
    void theBudgetIsCheckedWithTheKeyNamed() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PipelineConfig.load(null,
                List.of(), List.of("search.method = successive-halving", "search.trials = 5",
                        "search.space = [{key = train.momentum, distribution = uniform, min = 0.8, max = 0.9}]"))
                .search());
        assertEquals("search.trials", e.key());
        e = assertThrows(InvalidConfigException.class, () -> PipelineConfig.load(null, List.of(),
                List.of("search.min-epochs = 4", "search.max-epochs = 3",
                        "search.space = [{key = train.momentum, distribution = uniform, min = 0.8, max = 0.9}]"))
                .search());
        assertEquals("search.min-epochs", e.key());
    }
}
