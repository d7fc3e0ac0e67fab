/**
 * Turns stored image bytes into network inputs: decoding ({@link io.cnnpipeline.preprocessing.ImageDecoder}),
 * antialiased resizing ({@link io.cnnpipeline.preprocessing.Resize}), crop geometry shared by training and test-time
 * crops ({@link io.cnnpipeline.preprocessing.Crops}), online augmentation
 * ({@link io.cnnpipeline.preprocessing.augment}), the Parquet shard contract
 * ({@link io.cnnpipeline.preprocessing.ShardSchema}), dataset statistics
 * ({@link io.cnnpipeline.preprocessing.DatasetStats}) and the ingest Spark job
 * ({@link io.cnnpipeline.preprocessing.IngestJob}).
 *
 * <p>Pixel convention, stated once for the whole project: images are 8-bit, channels in RGB order (or a single
 * luma channel), laid out HWC (row-major, channel fastest) on disk and in {@link io.cnnpipeline.preprocessing.UInt8Image};
 * minibatches handed to networks are NCHW float32, normalized per channel.
 */
package io.cnnpipeline.preprocessing;
