package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.ingest.IngestJob;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A full or read-only output location on a real (in-process) HDFS is refused before any work, with the location and
 * the filesystem's reason: a space quota smaller than one block, and the NameNode in safe mode.
 */
class WritableLocationTest {
    private static MiniHdfs hdfs;
    private static DistributedFileSystem fs;

    @BeforeAll
    static void start() throws Exception {
        hdfs = new MiniHdfs();
        fs = hdfs.cluster().getFileSystem();
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    @Test
    void aFullLocationIsRefusedBeforeThePreprocessJobRuns() throws Exception {
        Path full = new Path("/full");
        fs.mkdirs(full);
        fs.setQuota(full, HdfsConstants.QUOTA_DONT_SET, 1024);
        java.nio.file.Path images = Files.createTempDirectory("writable-test");
        TestImages.writeClassFolders(images.resolve("train"), 2, 2, 8, 1, 1);
        SparkSession spark = TestSpark.get();
        spark.sparkContext().hadoopConfiguration().set("fs.defaultFS", hdfs.uri());
        IngestConfig config = new IngestConfig(Map.of("train", images.resolve("train").toUri().toString()), Map.of(),
                "", hdfs.uri() + "/full/dataset", 0, false, 1, ShardCodec.PNG, 90, 1_000_000, 1000, 1 << 20,
                128L << 20, 4096, 0, false, 42, List.of("png"), 0, IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false,
                0L, Map.of(), "", true, 0L);
        int jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
        StageFailedException e = assertThrows(StageFailedException.class, () -> IngestJob.run(spark, config));
        spark.sparkContext().hadoopConfiguration().unset("fs.defaultFS");
        assertTrue(e.getMessage().startsWith("Cannot write the dataset to " + hdfs.uri() + "/full: the location is "
                + "read-only or full (DSQuotaExceededException: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("choose another output location or free space there"), e.getMessage());
        assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length,
                "no Spark job ran");
        assertEquals(0, fs.listStatus(full).length, "the probe file is gone, nothing else was written");
        TestImages.deleteRecursively(images);
    }

    @Test
    void aReadOnlyFilesystemIsRefusedWithItsReason() throws Exception {
        FileSystem client = FileSystem.get(java.net.URI.create(hdfs.uri()), hdfs.configuration());
        HadoopFiles.requireWritable(client, new Path("/writable/runs"), "the run directory");
        assertTrue(fs.exists(new Path("/writable/runs")));
        assertEquals(0, fs.listStatus(new Path("/writable/runs")).length);
        fs.setSafeMode(HdfsConstants.SafeModeAction.SAFEMODE_ENTER);
        try {
            StageFailedException e = assertThrows(StageFailedException.class,
                    () -> HadoopFiles.requireWritable(client, new Path("/writable/runs"), "the run directory"));
            assertTrue(e.getMessage().startsWith("Cannot write the run directory to " + hdfs.uri()
                    + "/writable/runs: the location is read-only or full ("), e.getMessage());
            assertTrue(e.getMessage().contains("safe mode"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        } finally {
            fs.setSafeMode(HdfsConstants.SafeModeAction.SAFEMODE_LEAVE);
        }
    }
}
