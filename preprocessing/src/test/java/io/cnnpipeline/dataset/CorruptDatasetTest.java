package io.cnnpipeline.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.ingest.IngestJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged dataset stops the reader with one message naming the file and what to do, before any task runs. */
class CorruptDatasetTest {
    private static final SparkSession SPARK = TestSpark.get();

    private static Path dataset(Path tmp) {
        TestImages.writeClassFolders(tmp.resolve("images"), 2, 6, 12, 1, 4);
        IngestJob.run(SPARK, new IngestConfig(Map.of("train", tmp.resolve("images").toString()), Map.of(), "",
                tmp.resolve("dataset").toString(), 0, false, 1, ShardCodec.PNG, 90, 1_000_000, 4, 1 << 20,
                128L << 20, 4096, 0, false, 42, List.of("png"), 0, IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false,
                0L, Map.of(), "", true, 0L));
        return tmp.resolve("dataset");
    }

    private static DatasetDirectory open(Path dataset) {
        return DatasetDirectory.open(dataset.toString(), SPARK.sparkContext().hadoopConfiguration());
    }

    @Test
    void aTruncatedShardIsNamed(@TempDir Path tmp) throws Exception {
        Path d = dataset(tmp);
        assertEquals(12, open(d).shards(SPARK, "train").count(), "intact, it reads");
        Path shard;
        try (var files = Files.list(d.resolve("shards/train"))) {
            shard = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Files.deleteIfExists(shard.resolveSibling("." + shard.getFileName() + ".crc"));
        StageFailedException e = assertThrows(StageFailedException.class, () -> open(d).shards(SPARK, "train"));
        assertTrue(e.getMessage().contains(shard.getFileName().toString()) && e.getMessage().contains(
                "is not a readable Parquet file") && e.getMessage().endsWith("preprocess.overwrite = true"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void anEditedManifestIsNamed(@TempDir Path tmp) throws Exception {
        Path d = dataset(tmp);
        Path manifest = d.resolve("_manifest.json");
        String json = Files.readString(manifest);
        Files.writeString(manifest, json.replaceFirst("\"written\" : 12", "\"written\" : 13")
                .replaceFirst("(\"train\" : \\{\\s*\"written\" : )12", "$113"));
        // Written by one rename with no checksum sidecar (HadoopFiles.writeAtomically), as on HDFS: an edit is
        // caught by the manifest's counts against the shards, not by a checksum.
        assertTrue(Files.notExists(d.resolve("._manifest.json.crc")));
        StageFailedException counts = assertThrows(StageFailedException.class, () -> open(d).shards(SPARK, "train"));
        assertTrue(counts.getMessage().contains("its shards hold 12 rows but _manifest.json says 13"),
                counts.getMessage());
        Files.writeString(manifest, json.substring(0, json.length() / 2));
        StageFailedException broken = assertThrows(StageFailedException.class, () -> open(d));
        assertTrue(broken.getMessage().contains("_manifest.json does not parse"), broken.getMessage());
        assertEquals(1, broken.getMessage().lines().count());
    }
}
