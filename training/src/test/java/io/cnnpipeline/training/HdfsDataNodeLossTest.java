package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.PadCrop;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.MiniHdfs;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.ingest.IngestResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.DFSTestUtil;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDFS with three DataNodes and replication 2 (Hadoop's MiniDFSCluster): one DataNode stopped while preprocess
 * writes its shards, and another while training reads them in its second epoch and writes its checkpoints. Both jobs
 * complete and nothing is lost: the dataset holds every image, with the content hash of the same images ingested to
 * the local filesystem, and the model equals that of the same training on the healthy cluster, bit for bit.
 */
@Tag("fault")
class HdfsDataNodeLossTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final AugmentationPipeline AUG = new AugmentationPipeline(16, List.of(
            new AugmentationPipeline.Step(new PadCrop(2, 16), 1.0), new AugmentationPipeline.Step(new Flip(true), 0.5)));

    @Test
    void aDataNodeLostWhilePreprocessWritesAndWhileTrainingReadsLosesNothing(@TempDir Path tmp) throws Exception {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 3, 60, 16, 1, 11);
        Configuration sparkHadoop = SPARK.sparkContext().hadoopConfiguration();
        String replication = sparkHadoop.get("dfs.replication");
        sparkHadoop.set("dfs.replication", "2");
        try (MiniHdfs hdfs = new MiniHdfs(3)) {
            FileSystem fs = HadoopFiles.fs(hdfs.uri(), hdfs.configuration());
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(images.toUri()),
                    new org.apache.hadoop.fs.Path(hdfs.uri() + "/images"));
            String dataset = hdfs.uri() + "/datasets/d";

            // Preprocess: DataNode 2 stops once the first shard file is being written.
            Fault writing = Fault.when(() -> anyFile(fs, "/datasets", ".parquet"),
                    () -> hdfs.cluster().stopDataNode(2));
            IngestResult written = writing.during(() -> TrainingFixtures.ingest(hdfs.uri() + "/images",
                    dataset, 42));
            writing.assertHappened("preprocess");
            IngestResult local = TrainingFixtures.ingest(images.toString(),
                    tmp.resolve("local").toString(), 42);
            assertEquals(180, written.manifest().inputCount());
            assertEquals(180, written.manifest().written(), "every image written");
            assertEquals(local.manifest().contentSha256(), written.manifest().contentSha256(),
                    "the same rows as a local ingest");

            // The DataNode comes back and the blocks written without it get their second replica.
            hdfs.cluster().restartDataNode(writing.stopped(), true);
            hdfs.cluster().waitActive();
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(new org.apache.hadoop.fs.Path("/datasets"), true);
            while (files.hasNext()) {
                waitReplication(fs, files.next().getPath());
            }

            // Training, 2 epochs on the healthy cluster, then again with DataNode 0 stopped after epoch 1's
            // checkpoint: epoch 2 reads the shards again, and writes its checkpoint and the model, with it gone.
            TrainingConfig healthy = TrainingFixtures.with(TrainingFixtures.config(hdfs.uri() + "/runs", "healthy",
                    "adam", 0.003, 2, 2, 8, 2, "direct", AUG), Map.of("dataset", dataset));
            TrainingJob.run(SPARK, healthy, "");
            String checkpoint = "/runs/faulted/checkpoints/epoch-0001.zip";
            Fault reading = Fault.when(() -> exists(fs, checkpoint), () -> hdfs.cluster().stopDataNode(0));
            reading.during(() -> TrainingJob.run(SPARK, TrainingFixtures.with(healthy, Map.of("runId", "faulted")),
                    ""));
            reading.assertHappened("training");
            org.deeplearning4j.nn.multilayer.MultiLayerNetwork a = model(fs, "/runs/healthy/model.zip");
            org.deeplearning4j.nn.multilayer.MultiLayerNetwork b = model(fs, "/runs/faulted/model.zip");
            assertArrayEquals(a.params().dup('c').data().asFloat(), b.params().dup('c').data().asFloat(),
                    "the same parameters");
            assertArrayEquals(a.getUpdater().getStateViewArray().dup('c').data().asFloat(),
                    b.getUpdater().getStateViewArray().dup('c').data().asFloat(), "the same updater state");
            assertEquals(a.getIterationCount(), b.getIterationCount());
        } finally {
            if (replication == null) {
                sparkHadoop.unset("dfs.replication");
            } else {
                sparkHadoop.set("dfs.replication", replication);
            }
        }
    }

    /** Waits up to 2 minutes for a file's blocks to have 2 replicas (DFSTestUtil's wait gives up after 40 s). */
    private static void waitReplication(FileSystem fs, org.apache.hadoop.fs.Path file) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                DFSTestUtil.waitReplication(fs, file, (short) 2);
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static org.deeplearning4j.nn.multilayer.MultiLayerNetwork model(FileSystem fs, String path)
            throws java.io.IOException {
        return org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(new java.io.ByteArrayInputStream(
                HadoopFiles.read(fs, new org.apache.hadoop.fs.Path(path))), true);
    }

    private static boolean exists(FileSystem fs, String path) {
        return HadoopFiles.exists(fs, new org.apache.hadoop.fs.Path(path));
    }

    private static boolean anyFile(FileSystem fs, String dir, String suffix) {
        try {
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(new org.apache.hadoop.fs.Path(dir), true);
            while (files.hasNext()) {
                if (files.next().getPath().getName().endsWith(suffix)) {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException e) {
            return false;   // the directory does not exist yet
        }
    }

    /** A DataNode stopped by a watcher thread once {@code ready} holds, while a job runs on the test's thread. */
    private static final class Fault {
        private final BooleanSupplier ready;
        private final java.util.concurrent.Callable<org.apache.hadoop.hdfs.MiniDFSCluster.DataNodeProperties> stop;
        private final AtomicReference<org.apache.hadoop.hdfs.MiniDFSCluster.DataNodeProperties> stopped =
                new AtomicReference<>();
        private final AtomicBoolean jobDone = new AtomicBoolean();
        private volatile boolean whileRunning;

        private Fault(BooleanSupplier ready,
                      java.util.concurrent.Callable<org.apache.hadoop.hdfs.MiniDFSCluster.DataNodeProperties> stop) {
            this.ready = ready;
            this.stop = stop;
        }

        static Fault when(BooleanSupplier ready,
                          java.util.concurrent.Callable<org.apache.hadoop.hdfs.MiniDFSCluster.DataNodeProperties> stop) {
            return new Fault(ready, stop);
        }

        <T> T during(java.util.concurrent.Callable<T> job) throws Exception {
            Thread watcher = new Thread(() -> {
                try {
                    while (!jobDone.get()) {
                        if (ready.getAsBoolean()) {
                            whileRunning = !jobDone.get();
                            stopped.set(stop.call());
                            return;
                        }
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "datanode-fault");
            watcher.start();
            try {
                return job.call();
            } finally {
                jobDone.set(true);
                watcher.join();
            }
        }

        org.apache.hadoop.hdfs.MiniDFSCluster.DataNodeProperties stopped() {
            return stopped.get();
        }

        void assertHappened(String stage) {
            assertTrue(stopped.get() != null && whileRunning, "a DataNode stopped while " + stage + " ran");
        }
    }
}
