package io.cnnpipeline.dataset;

import io.cnnpipeline.ingest.IngestConfig;
import java.util.Map;

/**
 * {@code _manifest.json} of a dataset directory, written last when a dataset is published.
 *
 * @param schemaVersion {@link ShardSchema#VERSION} of the shards
 * @param createdAt     ISO-8601 instant
 * @param inputs        split → input URI
 * @param inputCount    input files seen (all splits)
 * @param written       rows written to shards (all splits)
 * @param quarantined   inputs rejected, listed in {@code quarantine/}
 * @param quarantineReasons quarantined inputs per reason (e.g. {@code corrupt}, {@code empty-file}); {@code null} in
 *                      manifests written before it was recorded
 * @param ignored       entries below the folder inputs that are not inputs, by reason: {@code hidden} (names starting
 *                      with {@code .} or {@code _}; a hidden folder counts once) and {@code not-an-image-extension}
 *                      ({@code preprocess.extensions}); {@code null} in manifests written before it was recorded
 * @param ignoredSample up to 10 of the ignored paths
 * @param splits        per split: rows written, inputs quarantined and rows per class
 * @param channels      1 or 3
 * @param shortSide     stored short side in pixels, 0 if sizes were kept
 * @param codec         storage codec id
 * @param shardBytes    total bytes of the shard files
 * @param contentSha256 fingerprint of the written rows (keys, labels, encoded images, split assignment), the same for
 *                      any re-run of the preprocess stage on the same inputs and settings, unlike the manifest bytes
 *                      (which carry {@code createdAt} and provenance); {@code null} in manifests written before it
 *                      was recorded
 * @param config        the ingest configuration
 * @param provenance    versions, user and host that produced the dataset
 */
public record DatasetManifest(int schemaVersion, String createdAt, Map<String, String> inputs, long inputCount,
                              long written, long quarantined, Map<String, Long> quarantineReasons,
                              Map<String, Long> ignored, java.util.List<String> ignoredSample,
                              Map<String, SplitCounts> splits, int channels,
                              int shortSide, String codec, long shardBytes, String contentSha256, IngestConfig config,
                              Map<String, String> provenance) {

    /** Counts of one split. */
    public record SplitCounts(long written, long quarantined, Map<String, Long> perClass) {
    }
}
