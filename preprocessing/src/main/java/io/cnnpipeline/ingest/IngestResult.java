package io.cnnpipeline.ingest;

import io.cnnpipeline.dataset.DatasetManifest;
import io.cnnpipeline.dataset.DatasetStats;
import java.util.List;
import java.util.Map;

/**
 * What an ingest run produced.
 *
 * @param output   URI of the published dataset directory
 * @param manifest its manifest
 * @param classes  class names, index = label
 * @param stats    training-set statistics
 * @param seconds  wall time of the job
 */
public record IngestResult(String output, DatasetManifest manifest, List<String> classes, DatasetStats stats,
                           double seconds) {

    /**
     * One line for logs: the accounting identity (with the quarantined inputs per reason), throughput and content
     * fingerprint.
     */
    public String summary() {
        Map<String, Long> reasons = manifest.quarantineReasons();
        return String.format(java.util.Locale.ROOT, "preprocess: inputs %d = written %d + quarantined %d%s; %d classes; %.1f s (%.0f images/s); "
                        + "content sha256 %s", manifest.inputCount(), manifest.written(), manifest.quarantined(),
                reasons == null || reasons.isEmpty() ? "" : " " + reasons, classes.size(), seconds, manifest.inputCount() / Math.max(seconds, 1e-9), manifest.contentSha256());
    }
}
