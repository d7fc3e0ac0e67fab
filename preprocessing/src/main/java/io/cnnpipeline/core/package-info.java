/**
 * What every stage shares: JSON ({@link io.cnnpipeline.core.Json}), files on any Hadoop filesystem with atomic
 * writes ({@link io.cnnpipeline.core.HadoopFiles}), the seeded random streams derived from (seed, stream, epoch,
 * partition, record) ({@link io.cnnpipeline.core.RandomStreams}), the errors
 * ({@link io.cnnpipeline.core.InvalidConfigException} for configuration, {@link io.cnnpipeline.core.StageFailedException}
 * for expected stage failures), provenance ({@link io.cnnpipeline.core.Provenance}) and configuration keys
 * ({@link io.cnnpipeline.core.config}).
 *
 * <p>Pixel convention, stated once for the whole project: images are 8-bit, channels in RGB order (or a single
 * luma channel), laid out HWC (row-major, channel fastest) on disk and in {@link io.cnnpipeline.image.UInt8Image};
 * minibatches handed to networks are NCHW float32, normalized per channel.
 */
package io.cnnpipeline.core;
