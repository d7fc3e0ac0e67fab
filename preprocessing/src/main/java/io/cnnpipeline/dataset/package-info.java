/**
 * The dataset directory the preprocess stage writes and the others read: the Parquet shard schema
 * ({@link io.cnnpipeline.dataset.ShardSchema}), the directory and its manifest
 * ({@link io.cnnpipeline.dataset.DatasetDirectory}, {@link io.cnnpipeline.dataset.DatasetManifest}), the splits,
 * per-channel statistics and RGB covariance PCA ({@link io.cnnpipeline.dataset.DatasetStats}) and the normalizer
 * built from them.
 */
package io.cnnpipeline.dataset;
