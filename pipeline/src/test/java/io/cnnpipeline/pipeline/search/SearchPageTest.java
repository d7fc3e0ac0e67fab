package io.cnnpipeline.pipeline.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;

/** The learning-curve plot's y axis when a rule stopped a trial at chance; the parameter scatters before any score. */
class SearchPageTest {
    private static SearchState.TrialState trial(int id, String stopped, double... accuracy) {
        TreeMap<Integer, Double> a = new TreeMap<>();
        TreeMap<Integer, Double> loss = new TreeMap<>();
        for (int e = 0; e < accuracy.length; e++) {
            a.put(e + 1, accuracy[e]);
            loss.put(e + 1, 1.0);
        }
        return new SearchState.TrialState(id, 0, new TreeMap<>(Map.of("train.learning-rate", "0.1")), 3, false,
                stopped, a, loss, 1, 1);
    }

    @Test
    void aTrialStoppedAtChanceDoesNotSqueezeTheOthersCurves() {
        List<SearchState.TrialState> trials = List.of(trial(1, null, 0.815, 0.85, 0.87),
                trial(2, null, 0.79, 0.83, 0.845), trial(3, "accuracy at chance after epoch 1", 0.1));
        assertEquals(77.0, SearchPage.curvesAxisMin(trials));
        XYChart chart = SearchPage.curves(trials, 1, 3);
        assertEquals(77.0, chart.getStyler().getYAxisMin());
        BufferedImage png = BitmapEncoder.getBufferedImage(chart);
        assertEquals(760, png.getWidth());

        // nothing stopped, or the stopped trial scored within the others' range: XChart's own range
        assertTrue(Double.isNaN(SearchPage.curvesAxisMin(trials.subList(0, 2))));
        assertNull(SearchPage.curves(trials.subList(0, 2), 1, 3).getStyler().getYAxisMin());
        assertTrue(Double.isNaN(SearchPage.curvesAxisMin(List.of(trials.get(0), trial(4, "loss NaN", 0.80)))));
        // only stopped trials: nothing to keep in view
        assertTrue(Double.isNaN(SearchPage.curvesAxisMin(List.of(trials.get(2)))));
    }

    @Test
    void aLogUniformScatterRendersBeforeAnyTrialHasAScore() {
        // The first trial to finish diverged: its loss is NaN and it has no validation accuracy at any rung.
        SearchState.TrialState diverged = new SearchState.TrialState(1, 0,
                new TreeMap<>(Map.of("train.learning-rate", "0.1047")), 2, false, "loss NaN", new TreeMap<>(),
                new TreeMap<>(), 1, 1);
        SearchState.Leaderboard board = SearchState.leaderboard("random", List.of(2), false, List.of(diverged));
        for (SearchSpace.Distribution d : List.of(SearchSpace.Distribution.LOG_UNIFORM,
                SearchSpace.Distribution.UNIFORM)) {
            XYChart chart = SearchPage.parameter(
                    new SearchSpace.Parameter("train.learning-rate", d, 0.003, 0.2, List.of()), board);
            assertEquals(List.of("no scores yet"), List.copyOf(chart.getSeriesMap().keySet()), d.id());
            assertEquals(420, BitmapEncoder.getBufferedImage(chart).getWidth(), d.id());
        }
    }
}
