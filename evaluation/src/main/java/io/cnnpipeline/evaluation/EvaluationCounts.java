package io.cnnpipeline.evaluation;

import java.io.Serializable;

/**
 * Mergeable evaluation counts for every {@link CropPlan.Mode}: a K×K confusion matrix (rows = true class, columns =
 * predicted class) and the number of images whose true class is among the top-k outputs. Executor-safe; merged on the
 * driver by {@code reduce}.
 */
public final class EvaluationCounts implements Serializable {
    private static final long serialVersionUID = 1L;

    final int classes;
    final int topK;
    long images;
    final long[][][] confusion;
    final long[] topKCorrect;

    public EvaluationCounts(int classes, int topK) {
        int modes = CropPlan.Mode.values().length;
        this.classes = classes;
        this.topK = topK;
        this.confusion = new long[modes][classes][classes];
        this.topKCorrect = new long[modes];
    }

    /** Records one image's averaged class probabilities for a mode. */
    void add(CropPlan.Mode mode, int label, double[] probabilities) {
        int best = 0;
        for (int k = 1; k < probabilities.length; k++) {
            if (probabilities[k] > probabilities[best]) {
                best = k;
            }
        }
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

    /** Adds {@code other} into this and returns this. */
    public EvaluationCounts merge(EvaluationCounts other) {
        images += other.images;
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
