package io.cnnpipeline.model;

import java.util.Locale;
import java.util.Map;

/**
 * What a {@link PredictionJob} did ({@code summary.json} of its output directory).
 *
 * @param model            URI of the model zip
 * @param network          network name
 * @param input            what was read (folder and file count, manifest, or dataset split)
 * @param cropMode         views averaged per image ({@code centre-crop}, {@code 10-crop}, {@code multi-scale})
 * @param inputs           inputs seen: {@code predicted + quarantined}
 * @param predicted        images predicted
 * @param quarantined      inputs quarantined
 * @param quarantineReasons quarantined inputs per reason
 * @param classHistogram   predicted images per top-1 class, in class order
 * @param seconds          wall time of the job, in seconds
 * @param imagesPerSecond  predicted images per second of wall time
 * @param output           URI of the output directory
 * @param gitCommit        commit of the code that ran
 * @param date             when the job finished (ISO-8601 UTC)
 */
public record PredictionSummary(String model, String network, String input, String cropMode, long inputs,
                                long predicted, long quarantined, Map<String, Long> quarantineReasons,
                                Map<String, Long> classHistogram, double seconds, double imagesPerSecond,
                                String output, String gitCommit, String date) {

    /** One line for logs and the command line. */
    public String line() {
        return String.format(Locale.ROOT, "predict: %d inputs = %d predicted + %d quarantined%s; %s; %.1f s, "
                        + "%.0f images/s; output %s", inputs, predicted, quarantined,
                quarantineReasons.isEmpty() ? "" : " " + quarantineReasons, cropMode, seconds, imagesPerSecond,
                output);
    }
}
