package io.cnnpipeline.evaluation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mergeable evaluation counts for every {@link CropPlan.Mode}: a K×K confusion matrix (rows = true class, columns =
 * predicted class) and the number of images whose true class is among the top-k outputs; and the most confident
 * wrong predictions, at most {@code keepMistakes} of them with their thumbnails, so that what reaches the driver is
 * bounded whatever the split's size. Executor-safe; merged on the driver by {@code reduce}.
 */
public final class EvaluationCounts implements Serializable {
    private static final long serialVersionUID = 1L;

    final int classes;
    final int topK;
    long images;
    final long[][][] confusion;
    final long[] topKCorrect;
    final int keepMistakes;
    /** The most confident mistakes, in {@link Mistake#ORDER}, at most {@link #keepMistakes}. */
    final List<Mistake> mistakes = new ArrayList<>();

    /**
     * One wrong prediction kept for the report page.
     *
     * @param key              the shard record's key
     * @param label            true class index
     * @param predicted        predicted class index (≠ label)
     * @param probability      the predicted class's averaged softmax output, in [0, 1]
     * @param labelProbability the true class's averaged softmax output, in [0, 1]
     * @param png              the image as PNG (the stored image, or shrunk to a thumbnail when larger)
     */
    record Mistake(String key, int label, int predicted, double probability, double labelProbability, byte[] png)
            implements Serializable {
        /** Most confident first; equal probabilities by key, so the result does not depend on the partitioning. */
        static final Comparator<Mistake> ORDER = Comparator.comparingDouble(Mistake::probability).reversed()
                .thenComparing(Mistake::key);
    }

    public EvaluationCounts(int classes, int topK) {
        this(classes, topK, 0);
    }

    /** @param keepMistakes how many of the most confident mistakes to keep (0 = none) */
    public EvaluationCounts(int classes, int topK, int keepMistakes) {
        int modes = CropPlan.Mode.values().length;
        this.classes = classes;
        this.topK = topK;
        this.confusion = new long[modes][classes][classes];
        this.topKCorrect = new long[modes];
        this.keepMistakes = keepMistakes;
    }

    /** Adds mistakes (any order) and keeps the {@link #keepMistakes} most confident of all. */
    void keep(List<Mistake> more) {
        mistakes.addAll(more);
        mistakes.sort(Mistake.ORDER);
        if (mistakes.size() > keepMistakes) {
            mistakes.subList(keepMistakes, mistakes.size()).clear();
        }
    }

    /** Records one image's averaged class probabilities for a mode. */
    void add(CropPlan.Mode mode, int label, double[] probabilities) {
        int best = argmax(probabilities);
        confusion[mode.ordinal()][label][best]++;
        int higher = 0;
        for (double p : probabilities) {
            if (p > probabilities[label]) {
                higher++;
            }
        }
        if (higher < topK) {
            topKCorrect[mode.ordinal()]++;
        }
    }

    /** The index of the largest value, the first of equal ones (the class {@link #add} counts as predicted). */
    static int argmax(double[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    /** Adds {@code other} into this and returns this. */
    public EvaluationCounts merge(EvaluationCounts other) {
        images += other.images;
        keep(other.mistakes);
        for (int m = 0; m < confusion.length; m++) {
            topKCorrect[m] += other.topKCorrect[m];
            for (int i = 0; i < classes; i++) {
                for (int j = 0; j < classes; j++) {
                    confusion[m][i][j] += other.confusion[m][i][j];
                }
            }
        }
        return this;
    }
}
