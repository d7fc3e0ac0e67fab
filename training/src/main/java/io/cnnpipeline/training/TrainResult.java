package io.cnnpipeline.training;

import java.util.List;

/**
 * What a training run produced.
 *
 * @param runDir  URI of the run directory
 * @param model   URI of {@code model.zip}
 * @param epochs  per-epoch metrics, in order
 * @param seconds wall time of the whole job
 */
public record TrainResult(String runDir, String model, List<EpochMetrics> epochs, double seconds) {
    public EpochMetrics last() {
        return epochs.get(epochs.size() - 1);
    }
}
