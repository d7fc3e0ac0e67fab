package io.cnnpipeline.training;

import io.cnnpipeline.image.Crops;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.augment.AugmentationPipeline;
import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Builds minibatches from shard rows on the executors. Features are NCHW float32 normalized with the dataset's
 * per-channel mean and standard deviation; labels are one-hot float32 {@code [N, classes]}.
 *
 * <p>Training minibatches are shuffled and augmented per epoch: each record's position is ordered by a hash of
 * (seed, epoch, key) and its augmentation drawn from the stream (seed, epoch, key) (see {@link RandomStreams}), so
 * an epoch's augmented images do not depend on how Spark partitioned the input. Augmentation is an
 * {@link AugmentationPipeline} with the record seed {@link AugmentationPipeline#recordSeed}(seed, epoch, key).
 */
public final class Minibatches {
    private Minibatches() {
    }

    /**
     * Shuffled, augmented training minibatches for one epoch.
     *
     * @param shards     training shard rows ({@link ShardSchema})
     * @param partitions partitions of the result (usually the number of workers)
     */
    public static JavaRDD<DataSet> training(Dataset<Row> shards, AugmentationPipeline augmentation, Normalizer normalizer,
                                            int classes, int batchSize, long seed, int epoch, int partitions) {
        String keyColumn = ShardSchema.KEY.name();
        return shards.javaRDD()
                .mapToPair(row -> new Tuple2<>(
                        RandomStreams.seedFor(seed, RandomStreams.SHUFFLE, epoch, row.<String>getAs(keyColumn)), row))
                .repartitionAndSortWithinPartitions(new HashPartitioner(partitions))
                .values()
                .mapPartitions(new BatchPartition(new Augmenting(augmentation, seed, epoch), normalizer, classes,
                        batchSize, augmentation.inputSize()));
    }

    /** Centre-crop minibatches (no augmentation), for validation and train-accuracy measurements. */
    public static JavaRDD<DataSet> centreCrop(Dataset<Row> shards, int cropSize, Normalizer normalizer, int classes,
                                              int batchSize) {
        return shards.javaRDD().mapPartitions(new BatchPartition(new CentreCropping(cropSize), normalizer, classes,
                batchSize, cropSize));
    }

    /** Turns a record into the network's input image (size × size). */
    interface RecordTransform extends Serializable {
        UInt8Image apply(ShardRecord record);
    }

    record Augmenting(AugmentationPipeline augmentation, long seed, int epoch) implements RecordTransform {
        @Override
        public UInt8Image apply(ShardRecord record) {
            return augmentation.apply(record.image(), AugmentationPipeline.recordSeed(seed, epoch, record.key()));
        }
    }

    /** Centre crop; images smaller than the crop are zero-padded to it first. */
    record CentreCropping(int size) implements RecordTransform {
        @Override
        public UInt8Image apply(ShardRecord record) {
            UInt8Image image = Crops.padTo(record.image(), size);
            return Crops.apply(image, Crops.centre(image.width(), image.height(), size));
        }
    }

    /** Executor side: rows → DataSets of {@code batchSize} (the last one of a partition may be smaller). */
    static final class BatchPartition implements FlatMapFunction<Iterator<Row>, DataSet> {
        private static final long serialVersionUID = 1L;
        private final RecordTransform transform;
        private final Normalizer normalizer;
        private final int classes;
        private final int batchSize;
        private final int size;

        BatchPartition(RecordTransform transform, Normalizer normalizer, int classes, int batchSize, int size) {
            this.transform = transform;
            this.normalizer = normalizer;
            this.classes = classes;
            this.batchSize = batchSize;
            this.size = size;
        }

        @Override
        public Iterator<DataSet> call(Iterator<Row> rows) {
            int c = normalizer.channels();
            int chw = c * size * size;
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public DataSet next() {
                    if (!rows.hasNext()) {
                        throw new NoSuchElementException();
                    }
                    float[] features = new float[batchSize * chw];
                    float[] labels = new float[batchSize * classes];
                    int n = 0;
                    while (n < batchSize && rows.hasNext()) {
                        ShardRecord record = ShardRecord.fromRow(rows.next());
                        UInt8Image image = transform.apply(record);
                        if (image.width() != size || image.height() != size) {
                            throw new IllegalStateException("Cannot batch record " + record.key() + ": transformed to "
                                    + image.width() + "x" + image.height() + ", expected " + size + "x" + size);
                        }
                        normalizer.writeChw(image, features, n * chw);
                        labels[n * classes + record.label()] = 1f;
                        n++;
                    }
                    if (n < batchSize) {
                        features = java.util.Arrays.copyOf(features, n * chw);
                        labels = java.util.Arrays.copyOf(labels, n * classes);
                    }
                    return new DataSet(Nd4j.create(features, new long[] {n, c, size, size}, 'c'),
                            Nd4j.create(labels, new long[] {n, classes}, 'c'));
                }
            };
        }
    }
}
