package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HadoopFiles#writeAtomically} on Hadoop's checksummed local filesystem, where a file and its {@code .crc}
 * sidecar are renamed one after the other: a process killed between the two renames used to leave a file that no
 * longer read ({@code ChecksumException}).
 */
class AtomicWriteTest {
    @TempDir
    java.nio.file.Path dir;

    private static String read(FileSystem fs, Path p) {
        return new String(HadoopFiles.read(fs, p), StandardCharsets.UTF_8);
    }

    @Test
    void aLocalFileIsPublishedByOneRenameWithNoChecksumSidecar() throws Exception {
        LocalFileSystem fs = FileSystem.getLocal(new Configuration());
        Path target = new Path(dir.toUri().toString(), "rounds.jsonl");
        HadoopFiles.writeAtomically(fs, target, "first\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("first\n", read(fs, target));
        assertEquals(List.of("rounds.jsonl"), names(), "no sidecar and no temporary file beside it");
    }

    @Test
    void aSidecarLeftByAnEarlierWriteIsDroppedNotTrustedAgainstNewContent() throws Exception {
        LocalFileSystem fs = FileSystem.getLocal(new Configuration());
        Path target = new Path(dir.toUri().toString(), "rounds.jsonl");
        try (OutputStream out = fs.create(target, true)) {
            out.write("old content\n".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(Files.exists(dir.resolve(".rounds.jsonl.crc")), "the checksummed create writes a sidecar");
        HadoopFiles.writeAtomically(fs, target, "new content, longer than the old\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("new content, longer than the old\n", read(fs, target));
        assertFalse(Files.exists(dir.resolve(".rounds.jsonl.crc")));
        // The state a kill between a file's rename and its sidecar's rename used to leave: new bytes, old sidecar.
        try (OutputStream out = fs.create(target, true)) {
            out.write("checksummed\n".getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(dir.resolve("rounds.jsonl"), "changed behind the sidecar\n");
        HadoopFiles.writeAtomically(fs, target, "rewritten\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("rewritten\n", read(fs, target));
        assertEquals(List.of("rounds.jsonl"), names());
    }

    private List<String> names() throws Exception {
        try (var s = Files.list(dir)) {
            String[] n = s.map(p -> p.getFileName().toString()).toArray(String[]::new);
            Arrays.sort(n);
            return List.of(n);
        }
    }
}
