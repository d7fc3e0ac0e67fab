package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Publishing a staged directory over an existing one on a real (in-process) HDFS, and when the rename fails. */
class PublishDirectoryTest {
    private static MiniHdfs hdfs;
    private static FileSystem fs;

    @BeforeAll
    static void start() throws Exception {
        hdfs = new MiniHdfs();
        fs = FileSystem.get(java.net.URI.create(hdfs.uri()), hdfs.configuration());
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static void write(Path file, String text) {
        HadoopFiles.writeAtomically(fs, file, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String read(Path file) {
        return new String(HadoopFiles.read(fs, file), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void overwriteReplacesTheOldDirectoryAndLeavesNothingAside() throws Exception {
        Path target = new Path("/data/ok/dataset");
        write(new Path(target, "_manifest.json"), "old");
        Path staging = new Path("/data/ok/.staging-1");
        write(new Path(staging, "_manifest.json"), "new");
        HadoopFiles.publishDirectory(fs, staging, target, true);
        assertEquals("new", read(new Path(target, "_manifest.json")));
        assertFalse(fs.exists(staging));
        assertEquals(List.of("dataset"), names(new Path("/data/ok")), "no old copy left beside it");
    }

    @Test
    void aFailedRenameRestoresThePreviousDataset() throws Exception {
        Path target = new Path("/data/fail/dataset");
        write(new Path(target, "_manifest.json"), "old");
        // A staging directory that is not there: HDFS's rename fails after the old one was moved aside.
        Path staging = new Path("/data/fail/.staging-gone");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> HadoopFiles.publishDirectory(fs, staging, target, true));
        assertTrue(e.getMessage().contains("the previous dataset is back in place"), e.getMessage());
        assertEquals("old", read(new Path(target, "_manifest.json")));
        assertEquals(List.of("dataset"), names(new Path("/data/fail")), "nothing left aside");
    }

    @Test
    void withoutOverwriteAnExistingTargetStaysAndStagingIsKept() {
        Path target = new Path("/data/keep/dataset");
        write(new Path(target, "_manifest.json"), "old");
        Path staging = new Path("/data/keep/.staging-2");
        write(new Path(staging, "_manifest.json"), "new");
        assertThrows(IllegalStateException.class, () -> HadoopFiles.publishDirectory(fs, staging, target, false));
        assertEquals("old", read(new Path(target, "_manifest.json")));
        assertTrue(HadoopFiles.exists(fs, staging));
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        List<String> out = new java.util.ArrayList<>();
        for (var s : fs.listStatus(dir)) {
            out.add(s.getPath().getName());
        }
        java.util.Collections.sort(out);
        return out;
    }
}
