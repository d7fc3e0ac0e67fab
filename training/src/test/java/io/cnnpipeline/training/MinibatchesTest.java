package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Affine;
import io.cnnpipeline.augment.Border;
import io.cnnpipeline.augment.ColorJitter;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.LensDistortion;
import io.cnnpipeline.augment.RandomErasing;
import io.cnnpipeline.augment.PadCrop;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.core.TestSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class MinibatchesTest {
    private static final SparkSession SPARK = TestSpark.get();
    private final DatasetDirectory dataset = DatasetDirectory.open(TrainingFixtures.dataset(),
            SPARK.sparkContext().hadoopConfiguration());
    private final Normalizer normalizer = new Normalizer(dataset.stats().mean(), dataset.stats().std());
    /** Every kind of step that makes sense on 1-channel 16x16 images, so that all of them face the partition test. */
    private final AugmentationPipeline augmentation = new AugmentationPipeline(16, List.of(
            new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true), 0.5),
            new AugmentationPipeline.Step(new ColorJitter(0.3, 0.3, 0), 0.8),
            new AugmentationPipeline.Step(new Affine(0.1, 10, 0.9, 1.1, 0.1, 5, Border.REFLECT, 0), 0.5),
            new AugmentationPipeline.Step(new LensDistortion(0.1, Border.CONSTANT, 0), 0.3),
            new AugmentationPipeline.Step(new RandomErasing(0.02, 0.2, 0.3, 3.3, true, 0), 0.5)));

    private List<DataSet> epoch(Dataset<Row> shards, int epoch) {
        return Minibatches.training(shards, augmentation, normalizer, 3, 8, 42, epoch, 2).collect();
    }

    @Test
    void minibatchesAreNchwWithOneHotLabels() {
        List<DataSet> batches = epoch(dataset.shards(SPARK, "train"), 1);
        long examples = 0;
        for (DataSet ds : batches) {
            long n = ds.numExamples();
            assertEquals(List.of(n, 1L, 16L, 16L), toList(ds.getFeatures().shape()));
            assertEquals(List.of(n, 3L), toList(ds.getLabels().shape()));
            for (int i = 0; i < n; i++) {
                assertEquals(1.0, ds.getLabels().getRow(i).sumNumber().doubleValue(), 1e-6);
                assertEquals(1.0, ds.getLabels().getRow(i).maxNumber().doubleValue(), 1e-6);
            }
            examples += n;
        }
        assertEquals(dataset.count("train"), examples);
        // labels are not touched by augmentation: an epoch holds each class as often as the split does
        long[] perClass = new long[3];
        for (DataSet ds : batches) {
            for (int i = 0; i < ds.numExamples(); i++) {
                perClass[ds.getLabels().getRow(i).argMax().getInt(0)]++;
            }
        }
        List<String> classes = dataset.classes();
        for (int k = 0; k < 3; k++) {
            assertEquals(dataset.stats().classCounts().get(classes.get(k)).longValue(), perClass[k], classes.get(k));
        }
    }

    @Test
    void anEpochIsTheSameWhateverTheInputPartitioning() {
        Dataset<Row> shards = dataset.shards(SPARK, "train");
        List<DataSet> one = epoch(shards.coalesce(1), 3);
        List<DataSet> five = epoch(shards.repartition(5), 3);
        assertEquals(one.size(), five.size());
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i).getFeatures().dup('c').data().asFloat(), five.get(i).getFeatures().dup('c').data().asFloat());
            assertArrayEquals(one.get(i).getLabels().dup('c').data().asFloat(), five.get(i).getLabels().dup('c').data().asFloat());
        }
        List<DataSet> next = epoch(shards, 4);
        assertFalse(java.util.Arrays.equals(one.get(0).getFeatures().dup('c').data().asFloat(),
                next.get(0).getFeatures().dup('c').data().asFloat()), "another epoch shuffles and augments differently");
    }

    @Test
    void centreCropMinibatchesAreNormalizedStoredImages() {
        List<DataSet> batches = Minibatches.centreCrop(dataset.shards(SPARK, "train"), 16, normalizer, 3, 1000)
                .collect();
        double sum = 0;
        double sumSq = 0;
        long n = 0;
        for (DataSet ds : batches) {
            for (float v : ds.getFeatures().dup('c').data().asFloat()) {
                sum += v;
                sumSq += v * v;
                n++;
            }
        }
        // Normalized with the training split's own statistics: mean 0, variance 1.
        assertEquals(0.0, sum / n, 1e-4);
        assertEquals(1.0, sumSq / n, 1e-3);
    }

    private static List<Long> toList(long[] shape) {
        List<Long> l = new ArrayList<>();
        for (long s : shape) {
            l.add(s);
        }
        return l;
    }
}
