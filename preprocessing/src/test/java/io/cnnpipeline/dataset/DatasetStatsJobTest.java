package io.cnnpipeline.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.ingest.IngestJob;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetStatsJobTest {
    private static final SparkSession SPARK = TestSpark.get();

    @Test
    void theStatisticsStepRecomputesExactlyWhatIngestMeasuredAndReplacesStatsJson(@TempDir Path tmp) throws Exception {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 3, 9, 20, 3, 7);
        // a photo of another size, so the size histogram has two entries
        Files.copy(TestImages.huginPhotos().get(0), images.resolve("class-1/photo.jpg"));
        Path out = tmp.resolve("dataset");
        IngestConfig config = new IngestConfig(Map.of("train", images.toString()), Map.of(), "", out.toString(), 0,
                false, 3, ShardCodec.PNG, 90, 50_000_000L, 1000, 1 << 20, 1 << 20, 1 << 16, 0.25, false, 42,
                List.of("png", "jpg"), 0, IngestConfig.JpegCodec.IMAGEIO, null, 0, false, 0, Map.of(), "", true, 4_194_304L);
        DatasetStats ingested = IngestJob.run(SPARK, config).stats();

        Path stats = out.resolve("stats.json");
        Files.deleteIfExists(out.resolve(".stats.json.crc"));   // Hadoop's checksum of the file, stale after the edit
        Files.writeString(stats, Files.readString(stats).replaceFirst("\"images\"\\s*:\\s*\\d+", "\"images\" : 1"));
        assertEquals(1, DatasetDirectory.open(out.toString(), SPARK.sparkContext().hadoopConfiguration()).stats()
                .images(), "stats.json edited");
        DatasetStats recomputed = DatasetStatsJob.run(SPARK, out.toString());
        // PNG shards are lossless: the same pixels, the same integer moments, the same figures
        assertEquals(ingested.images(), recomputed.images());
        assertEquals(ingested.pixels(), recomputed.pixels());
        assertArrayEquals(ingested.mean(), recomputed.mean());
        assertArrayEquals(ingested.std(), recomputed.std());
        assertArrayEquals(ingested.eigenvalues(), recomputed.eigenvalues());
        assertEquals(ingested.classCounts(), recomputed.classCounts());
        assertEquals(ingested.imageSizes(), recomputed.imageSizes());
        assertEquals(2, recomputed.imageSizes().size(), recomputed.imageSizes().toString());
        assertNotEquals(27, recomputed.images(), "a quarter of the images are in validation");
        assertTrue(recomputed.images() > 0);
        DatasetStats reread = DatasetDirectory.open(out.toString(), SPARK.sparkContext().hadoopConfiguration()).stats();
        assertEquals(recomputed.images(), reread.images(), "stats.json replaced");
        assertArrayEquals(recomputed.mean(), reread.mean());
    }
}
