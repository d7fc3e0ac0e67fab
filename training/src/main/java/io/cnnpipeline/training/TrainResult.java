package io.cnnpipeline.training;

import java.util.List;

/**
 * What a training run produced.
 *
 * @param runId            the run's id ({@code train.run-id}, or the one minted or taken from {@code latest})
 * @param runDir           URI of the run directory
 * @param model            URI of {@code model.zip}
 * @param epochs           per-epoch metrics of the epochs completed, in order (a resumed run includes the earlier
 *                         attempts' epochs; early stopping may end it before {@code configuredEpochs})
 * @param configuredEpochs {@code train.epochs}
 * @param seconds          wall time of the whole job
 */
public record TrainResult(String runId, String runDir, String model, List<EpochMetrics> epochs, int configuredEpochs,
                          double seconds) {
    public TrainResult {
        epochs = List.copyOf(epochs);
    }

    public EpochMetrics last() {
        return epochs.get(epochs.size() - 1);
    }
}
