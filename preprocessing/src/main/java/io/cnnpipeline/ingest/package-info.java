/**
 * The preprocess stage: image files in a class-per-folder tree, a manifest or a folder with a label file → Parquet
 * shards, statistics and manifest, every bad input quarantined with its reason
 * ({@link io.cnnpipeline.ingest.IngestJob}, settings {@link io.cnnpipeline.ingest.IngestConfig}).
 */
package io.cnnpipeline.ingest;
