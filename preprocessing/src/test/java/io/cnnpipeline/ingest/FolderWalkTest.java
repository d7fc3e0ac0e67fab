package io.cnnpipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distributed folder listing of preprocess against the driver-side walk, and reads at a listed length. */
class FolderWalkTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static final List<String> EXTENSIONS = List.of("png", "jpg");

    @Test
    void theDistributedWalkFindsWhatTheDriverWalkFinds(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("input");
        for (String f : List.of("a/1.png", "a/deep/er/2.JPG", "a/notes.txt", "a/.hidden.png", "a/_SUCCESS",
                "b ü/3.png", "b ü/.cache/4.png", "_skip/5.png", "top.png", "readme.md", "c/empty.png",
                "d.png/6.png")) {
            Path p = root.resolve(f);
            Files.createDirectories(p.getParent());
            Files.write(p, f.equals("c/empty.png") ? new byte[0] : f.getBytes(StandardCharsets.UTF_8));
        }
        Files.createDirectories(root.resolve("empty-folder/inner"));
        String qualified = "file:" + root.toAbsolutePath();

        IngestJob.Listing driver = IngestJob.listing(qualified, EXTENSIONS, "",
                SPARK.sparkContext().hadoopConfiguration());
        JavaRDD<Row> walk = FolderWalk.walk(SPARK, Map.of("train", qualified), EXTENSIONS, "");
        try {
            Map<String, Long> files = new TreeMap<>();
            for (Row r : walk.filter(r -> FolderWalk.FILE.equals(r.getString(0))).collect()) {
                assertEquals("train", r.getString(1));
                assertNull(files.put(r.getString(2), r.getLong(3)), "each file once: " + r);
            }
            assertEquals(driver.files(), files);
            assertEquals(6, files.size(), files::toString);
            IngestJob.Listing ignored = FolderWalk.ignored(walk);
            assertEquals(driver.ignored(), ignored.ignored());
            assertEquals(Map.of("hidden", 4L, "not-an-image-extension", 2L), ignored.ignored());
            List<String> sorted = new ArrayList<>(driver.sample());
            sorted.sort(null);
            assertEquals(sorted, ignored.sample(), "the sample is the first ignored paths in path order");
            // One task per folder below the root, and one for the root's own files.
            assertEquals(6, walk.getNumPartitions() - 1, "tasks a, b ü, c, d.png, empty-folder, root");
        } finally {
            walk.unpersist();
        }
    }

    @Test
    void aReadAtTheListedLengthSeesTheFileAsItIsNow(@TempDir Path tmp) throws Exception {
        RemoteFiles files = RemoteFiles.of(SPARK);
        Path f = tmp.resolve("x.png");
        Files.write(f, new byte[] {1, 2, 3, 4});
        String path = "file:" + f.toAbsolutePath();

        RemoteFiles.Content same = files.read(path, 4);
        assertTrue(same.ok());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, same.bytes());

        Files.write(f, new byte[] {5, 6, 7, 8, 9, 10});   // grew after the listing
        assertArrayEquals(new byte[] {5, 6, 7, 8, 9, 10}, files.read(path, 4).bytes());
        Files.write(f, new byte[] {11, 12});              // shrank after the listing
        RemoteFiles.Content shrunk = files.read(path, 4);
        assertArrayEquals(new byte[] {11, 12}, shrunk.bytes());
        assertEquals(2, shrunk.size());

        Files.delete(f);
        assertEquals("missing-file", files.read(path, 4).reason());
    }
}
