package io.cnnpipeline.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training split decoded once and kept on the executors ({@code train.decoded-cache = auto}): its PNG or JPEG
 * images become {@link ShardCodec#RAW} rows (the HWC uint8 pixels as they are, in Spark's in-memory columnar cache,
 * spilling to the executors' local disks if memory runs short), so no epoch decodes a record again. The rows keep
 * the shards' partitioning and keys, and a raw row decodes to the same pixels as its stored image, so every epoch's
 * minibatches — and the trained model — are the same bytes with the cache and without it.
 *
 * <p>Size check: the decoded size is Σ width × height × channels over the split (bytes, read from the shards'
 * metadata columns only); the split is cached when it is at most {@link #STORAGE_FRACTION} of the executors' storage
 * memory (Spark's unified memory region: {@code spark.memory.fraction} of the heap), the rest being left for each
 * epoch's persisted minibatches. Otherwise it falls back to decoding every epoch, and says so. Driver-side.
 */
public final class DecodedCache {
    private static final Logger LOG = LoggerFactory.getLogger(DecodedCache.class);

    /** The share of the executors' storage memory the decoded split may take. */
    public static final double STORAGE_FRACTION = 0.5;

    /** The columns a training minibatch reads ({@link ShardRecord#fromRow}, the shuffle key). */
    private static final List<ShardSchema.Field> COLUMNS = List.of(ShardSchema.KEY, ShardSchema.LABEL,
            ShardSchema.WIDTH, ShardSchema.HEIGHT, ShardSchema.CHANNELS, ShardSchema.CODEC, ShardSchema.IMAGE);

    /**
     * What {@link #of} did.
     *
     * @param rows          the rows to train on: the cached raw rows, or the shard rows themselves
     * @param cached        whether {@code rows} is the decoded cache
     * @param decodedBytes  Σ width × height × channels of the split, in bytes (-1 when off)
     * @param storageBytes  the executors' storage memory the size was checked against, in bytes (-1 when off)
     * @param seconds       wall time of the size check and (when cached) of decoding the split once
     */
    public record Result(Dataset<Row> rows, boolean cached, long decodedBytes, long storageBytes, double seconds) {
        /** Releases the cache (a no-op when nothing was cached). */
        public void release() {
            if (cached) {
                rows.unpersist(false);
            }
        }
    }

    private DecodedCache() {
    }

    /**
     * The split's rows decoded once and cached, or the shard rows unchanged when {@code mode} is off or the decoded
     * split does not fit ({@link #STORAGE_FRACTION} of {@link #storageMemory}).
     *
     * @param shards rows with the {@link ShardSchema} columns
     * @throws IllegalStateException naming the key if a stored image does not decode (as training would)
     */
    public static Result of(SparkSession spark, Dataset<Row> shards, TrainingConfig.DecodedCacheMode mode) {
        // Asked after the size job, which has the executors of a just started application registered.
        return of(spark, shards, mode, () -> storageMemory(spark));
    }

    /** {@link #of(SparkSession, Dataset, TrainingConfig.DecodedCacheMode)} against {@code storageBytes}. */
    static Result of(SparkSession spark, Dataset<Row> shards, TrainingConfig.DecodedCacheMode mode,
                     long storageBytes) {
        return of(spark, shards, mode, () -> storageBytes);
    }

    private static Result of(SparkSession spark, Dataset<Row> shards, TrainingConfig.DecodedCacheMode mode,
                             java.util.function.LongSupplier storage) {
        long start = System.nanoTime();
        if (mode == TrainingConfig.DecodedCacheMode.OFF) {
            return new Result(shards, false, -1, -1, 0);
        }
        long bytes = decodedBytes(shards);
        long storageBytes = storage.getAsLong();
        if (bytes > STORAGE_FRACTION * storageBytes) {
            LOG.info(String.format(Locale.ROOT, "train: decoding the train split every epoch: decoded it takes %s, "
                    + "more than %.0f%% of the executors' %s of storage memory (train.decoded-cache = auto; more "
                    + "executor memory or executors would cache it)", mib(bytes), 100 * STORAGE_FRACTION,
                    mib(storageBytes)));
            return new Result(shards, false, bytes, storageBytes, (System.nanoTime() - start) / 1e9);
        }
        List<StructField> fields = new ArrayList<>();
        List<org.apache.spark.sql.Column> columns = new ArrayList<>();
        for (ShardSchema.Field f : COLUMNS) {
            fields.add(ShardSchema.SPARK_SCHEMA.apply(f.name()));
            columns.add(col(f.name()));
        }
        StructType schema = new StructType(fields.toArray(new StructField[0]));
        Dataset<Row> raw = shards.select(columns.toArray(new org.apache.spark.sql.Column[0]))
                .map((MapFunction<Row, Row>) DecodedCache::raw, Encoders.row(schema))
                .persist(StorageLevel.MEMORY_AND_DISK());
        long count = raw.count();
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.info(String.format(Locale.ROOT, "train: decoded the train split once in %.1f s: %d images, %s of uint8 "
                + "pixels kept on the executors (%.0f%% of their %s of storage memory; train.decoded-cache = auto)",
                seconds, count, mib(bytes), 100.0 * bytes / Math.max(1, storageBytes), mib(storageBytes)));
        return new Result(raw, true, bytes, storageBytes, seconds);
    }

    /** Σ width × height × channels of the rows, in bytes (a job over the metadata columns only). */
    static long decodedBytes(Dataset<Row> shards) {
        Row size = shards.agg(sum(col(ShardSchema.WIDTH.name()).cast("long")
                .multiply(col(ShardSchema.HEIGHT.name())).multiply(col(ShardSchema.CHANNELS.name())))).first();
        return size.isNullAt(0) ? 0 : size.getLong(0);
    }

    /** A shard row ({@link #COLUMNS}) with its image decoded to raw HWC bytes. */
    static Row raw(Row row) {
        if (ShardCodec.RAW.id().equals(row.getString(5))) {
            return row;
        }
        ShardRecord r = ShardRecord.fromRow(row);
        return RowFactory.create(r.key(), r.label(), r.image().width(), r.image().height(), r.image().channels(),
                ShardCodec.RAW.id(), r.image().pixels());
    }

    /**
     * The storage memory of the executors, in bytes: the maximum of Spark's unified memory region of every block
     * manager but the driver's (the driver's own in local mode, where it is the only executor).
     */
    public static long storageMemory(SparkSession spark) {
        scala.collection.Map<String, scala.Tuple2<Object, Object>> status =
                spark.sparkContext().getExecutorMemoryStatus();
        String driver = org.apache.spark.SparkEnv.get().blockManager().blockManagerId().hostPort();
        long all = 0;
        long executors = 0;
        scala.collection.Iterator<scala.Tuple2<String, scala.Tuple2<Object, Object>>> it = status.iterator();
        while (it.hasNext()) {
            scala.Tuple2<String, scala.Tuple2<Object, Object>> e = it.next();
            long max = (Long) e._2()._1();
            all += max;
            if (!e._1().equals(driver)) {
                executors += max;
            }
        }
        return executors > 0 ? executors : all;
    }

    private static String mib(long bytes) {
        return bytes < 10L << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }
}
