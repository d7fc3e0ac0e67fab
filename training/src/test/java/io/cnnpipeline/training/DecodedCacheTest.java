package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.PadCrop;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train split decoded once ({@code train.decoded-cache}) on real Spark and real PNG shards. */
class DecodedCacheTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final TrainingConfig.DecodedCacheMode AUTO = TrainingConfig.DecodedCacheMode.AUTO;

    private static Dataset<Row> trainShards() {
        return DatasetDirectory.open(TrainingFixtures.dataset(), SPARK.sparkContext().hadoopConfiguration())
                .shards(SPARK, ShardSchema.TRAIN, 4);
    }

    private static Map<String, ShardRecord> records(Dataset<Row> rows) {
        Map<String, ShardRecord> out = new TreeMap<>();
        for (Row r : rows.collectAsList()) {
            ShardRecord record = ShardRecord.fromRow(r);
            out.put(record.key(), record);
        }
        return out;
    }

    @Test
    void theCachedRowsAreRawPixelsEqualToTheDecodedShardsWithTheSamePartitioning() {
        Dataset<Row> shards = trainShards();
        DecodedCache.Result result = DecodedCache.of(SPARK, shards, AUTO);
        try {
            assertTrue(result.cached(), "a 16x16 grey fixture fits: " + result);
            assertEquals(StorageLevel.MEMORY_AND_DISK(), result.rows().storageLevel());
            long pixels = 0;
            for (ShardRecord r : records(shards).values()) {
                pixels += (long) r.image().width() * r.image().height() * r.image().channels();
            }
            assertEquals(pixels, result.decodedBytes(), "decoded size = sum of width x height x channels");
            assertEquals(List.of("raw"), result.rows().select(ShardSchema.CODEC.name()).distinct()
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "no PNG left to decode");
            assertTrue(shards.select(ShardSchema.CODEC.name()).distinct().as(org.apache.spark.sql.Encoders.STRING())
                    .collectAsList().contains("png"), "the fixture's shards hold PNGs");
            assertEquals(records(shards), records(result.rows()), "same keys, labels and pixels");
            assertEquals(shards.javaRDD().getNumPartitions(), result.rows().javaRDD().getNumPartitions());
        } finally {
            result.release();
        }
        assertEquals(StorageLevel.NONE(), result.rows().storageLevel(), "released");
    }

    @Test
    void aSplitLargerThanHalfTheStorageMemoryIsDecodedEveryEpochInstead() {
        Dataset<Row> shards = trainShards();
        long bytes = DecodedCache.decodedBytes(shards);
        DecodedCache.Result fits = DecodedCache.of(SPARK, shards, AUTO, 2 * bytes);
        fits.release();
        assertTrue(fits.cached(), "exactly half the storage memory still fits");
        DecodedCache.Result tooBig = DecodedCache.of(SPARK, shards, AUTO, 2 * bytes - 2);
        assertFalse(tooBig.cached());
        assertSame(shards, tooBig.rows(), "the shard rows themselves, decoded by each epoch");
        DecodedCache.Result off = DecodedCache.of(SPARK, shards, TrainingConfig.DecodedCacheMode.OFF);
        assertFalse(off.cached());
        assertSame(shards, off.rows());
        assertTrue(DecodedCache.storageMemory(SPARK) > 0, "local mode: the driver's block manager");
    }

    @Test
    void trainingFromTheCacheEndsWithTheSameModelAsDecodingEveryEpoch(@TempDir Path runs) throws Exception {
        AugmentationPipeline aug = new AugmentationPipeline(16, List.of(
                new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true),
                        0.5)));
        TrainingConfig cached = TrainingFixtures.config(runs.toString(), "cached", "adam", 0.003, 2, 2, 8, 2,
                "direct", aug);
        assertEquals(AUTO, cached.decodedCache(), "the default");
        TrainingConfig decoding = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "decoding", "adam",
                0.003, 2, 2, 8, 2, "direct", aug), Map.of("decodedCache", "off"));
        TrainResult a = TrainingJob.run(SPARK, cached, "");
        TrainResult b = TrainingJob.run(SPARK, decoding, "");
        MultiLayerNetwork x = ModelSerializer.restoreMultiLayerNetwork(runs.resolve("cached/model.zip").toFile(), true);
        MultiLayerNetwork y = ModelSerializer.restoreMultiLayerNetwork(runs.resolve("decoding/model.zip").toFile(),
                true);
        assertArrayEquals(y.params().dup('c').data().asFloat(), x.params().dup('c').data().asFloat());
        assertArrayEquals(y.getUpdater().getStateViewArray().dup('c').data().asFloat(),
                x.getUpdater().getStateViewArray().dup('c').data().asFloat());
        for (int i = 0; i < 2; i++) {
            assertEquals(b.epochs().get(i).loss(), a.epochs().get(i).loss(), 0, "epoch " + (i + 1));
        }
    }
}
