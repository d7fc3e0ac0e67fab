package io.cnnpipeline.training;

/**
 * One line of {@code metrics.jsonl}.
 *
 * @param epoch              1-based epoch
 * @param loss               training loss (mean cross-entropy of the last averaged minibatches, with regularization)
 * @param trainAccuracy      centre-crop accuracy on a sample of the training split, or null if not measured
 * @param validationAccuracy centre-crop accuracy on the validation split, or null if there is none
 * @param images             training images processed this epoch
 * @param seconds            wall time of the epoch's fit, in seconds
 * @param imagesPerSecond    {@code images / seconds}
 * @param learningRate       learning rate at the start of this epoch (NaN for AdaDelta, which has none)
 * @param batchSizePerWorker minibatch size on each worker in this epoch
 * @param iteration          the network's iteration count at the end of the epoch (dl4j-spark counts
 *                           {@code averaging-frequency} per averaging round)
 */
public record EpochMetrics(int epoch, double loss, Double trainAccuracy, Double validationAccuracy, long images,
                           double seconds, double imagesPerSecond, double learningRate, int batchSizePerWorker,
                           long iteration) {

    /** One human-readable progress line. */
    public String summary(int epochs) {
        return String.format(java.util.Locale.ROOT, "epoch %d/%d  loss %.4f  train acc %s  val acc %s  %.0f images/s  %.1f s  lr %.4g"
                        + "  batch %d/worker  iteration %d", epoch, epochs, loss, pct(trainAccuracy),
                pct(validationAccuracy), imagesPerSecond, seconds, learningRate, batchSizePerWorker, iteration);
    }

    private static String pct(Double v) {
        return v == null ? "-" : String.format(java.util.Locale.ROOT, "%.2f%%", 100 * v);
    }
}
