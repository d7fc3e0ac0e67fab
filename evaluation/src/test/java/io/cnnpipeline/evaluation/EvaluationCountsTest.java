package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.image.UInt8Image;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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

    @Test
    void theMostConfidentMistakesAreKeptWhateverTheOrderAndSplitOfTheirArrival() {
        // 40 mistakes, probabilities 0.30, 0.31, ... with two ties at 0.50 broken by key.
        List<Object[]> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            all.add(new Object[] {String.format("k%02d", i), i == 25 ? 0.5 : 0.3 + 0.01 * i});
        }
        Collections.shuffle(all, new Random(7));
        EvaluationCounts merged = new EvaluationCounts(3, 3, 5);
        for (int task = 0; task < 4; task++) {
            EvaluationJob.MostConfident heap = new EvaluationJob.MostConfident(5);
            for (Object[] m : all.subList(task * 10, task * 10 + 10)) {
                heap.offer(new ShardRecord((String) m[0], 0, UInt8Image.zeros(4, 4, 1)), 1, (double) m[1], 0.1);
            }
            EvaluationCounts counts = new EvaluationCounts(3, 3, 5);
            counts.keep(heap.encoded());
            assertEquals(5, counts.mistakes.size());
            merged.merge(counts);
        }
        assertEquals(List.of("k39", "k38", "k37", "k36", "k35"),
                merged.mistakes.stream().map(EvaluationCounts.Mistake::key).toList());
        EvaluationCounts ties = new EvaluationCounts(3, 3, 2);
        EvaluationJob.MostConfident heap = new EvaluationJob.MostConfident(2);
        for (String key : List.of("b", "c", "a")) {
            heap.offer(new ShardRecord(key, 0, UInt8Image.zeros(4, 4, 1)), 1, 0.5, 0.1);
        }
        ties.keep(heap.encoded());
        assertEquals(List.of("a", "b"), ties.mistakes.stream().map(EvaluationCounts.Mistake::key).toList());
        assertEquals(0, new EvaluationJob.MostConfident(0).encoded().size());
    }

    @Test
    void thumbnailsKeepSmallImagesAndShrinkLargeOnesToTheirLongSide() {
        UInt8Image small = UInt8Image.zeros(28, 28, 1);
        assertEquals(small, EvaluationJob.MostConfident.thumbnail(small));
        UInt8Image wide = EvaluationJob.MostConfident.thumbnail(UInt8Image.zeros(300, 200, 3));
        assertEquals(List.of(128, 85, 3), List.of(wide.width(), wide.height(), wide.channels()));
        UInt8Image tall = EvaluationJob.MostConfident.thumbnail(UInt8Image.zeros(200, 400, 1));
        assertEquals(List.of(64, 128), List.of(tall.width(), tall.height()));
    }
}
