package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EvaluationCountsTest {
    @Test
    void topOneAndTopKFollowTheRanking() {
        EvaluationCounts c = new EvaluationCounts(4, 2);
        c.add(CropPlan.Mode.CENTRE, 0, new double[] {0.7, 0.1, 0.1, 0.1});   // top-1 right
        c.add(CropPlan.Mode.CENTRE, 1, new double[] {0.5, 0.3, 0.1, 0.1});   // top-2 right
        c.add(CropPlan.Mode.CENTRE, 2, new double[] {0.5, 0.3, 0.15, 0.05}); // wrong at top-2
        assertEquals(1, c.confusion[0][0][0]);
        assertEquals(1, c.confusion[0][1][0]);
        assertEquals(1, c.confusion[0][2][0]);
        assertEquals(2, c.topKCorrect[0]);
        EvaluationCounts d = new EvaluationCounts(4, 2);
        d.add(CropPlan.Mode.CENTRE, 3, new double[] {0, 0, 0, 1});
        d.images = 1;
        c.images = 3;
        c.merge(d);
        assertEquals(4, c.images);
        assertEquals(3, c.topKCorrect[0]);
        assertEquals(1, c.confusion[0][3][3]);
        assertEquals(0, c.topKCorrect[1]);
    }
}
