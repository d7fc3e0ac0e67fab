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
     * One line for logs: the accounting identity (with the quarantined inputs per reason), the entries below the
     * inputs that are not inputs (hidden files, other extensions), throughput and content fingerprint.
     */
    public String summary() {
        Map<String, Long> reasons = manifest.quarantineReasons();
        Map<String, Long> ignored = manifest.ignored();
        long ignoredCount = ignored == null ? 0 : ignored.values().stream().mapToLong(Long::longValue).sum();
        return String.format(java.util.Locale.ROOT, "preprocess: inputs %d = written %d + quarantined %d%s;%s %d classes; %.1f s (%.0f images/s); "
                        + "content sha256 %s", manifest.inputCount(), manifest.written(), manifest.quarantined(),
                reasons == null || reasons.isEmpty() ? "" : " " + reasons,
                ignoredCount == 0 ? "" : " not inputs " + ignoredCount + " " + ignored + ";", classes.size(), seconds, manifest.inputCount() / Math.max(seconds, 1e-9), manifest.contentSha256());
    }
}
