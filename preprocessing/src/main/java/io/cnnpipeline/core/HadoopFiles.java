package io.cnnpipeline.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Small file operations on any Hadoop filesystem ({@code file://}, {@code hdfs://}, ...), with atomic publication:
 * files are written under a temporary name and renamed into place, so a reader never sees half a file.
 * Driver-side utility.
 */
public final class HadoopFiles {
    private HadoopFiles() {
    }

    public static FileSystem fs(String uri, Configuration conf) {
        try {
            return FileSystem.get(URI.create(uri), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open filesystem for " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code bytes} to a temporary sibling of {@code target} and renames it into place, replacing an existing
     * file in the same rename ({@code FileContext} rename with {@code OVERWRITE}, atomic on HDFS and local disks):
     * a reader sees the old content or the new, never a partial file or none.
     *
     * <p>On a checksummed local filesystem ({@code file://}, Hadoop's {@link ChecksumFileSystem}) the file is written
     * without its {@code .crc} sidecar, and a sidecar left by an earlier write is deleted first. That filesystem renames
     * a file and then, separately, its sidecar: a process killed between the two left new content beside the old
     * checksum, and the next read failed with a {@code ChecksumException} (seen on a driver killed while it rewrote a
     * run's {@code rounds.jsonl}). Without a sidecar the one rename of the data file is the whole publication, as on
     * HDFS, whose checksums live with the blocks.
     */
    public static void writeAtomically(FileSystem fs, Path target, byte[] bytes) {
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        FileSystem writer = fs;
        try {
            if (fs instanceof ChecksumFileSystem checksummed) {
                writer = checksummed.getRawFileSystem();
                writer.delete(checksummed.getChecksumFile(target), false);
                try (OutputStream out = writer.create(tmp, true)) {
                    out.write(bytes);
                }
                // rename(2): replaces an existing target in one step
                if (!writer.rename(tmp, target)) {
                    throw new IOException("rename of " + tmp + " to " + target + " failed");
                }
                return;
            }
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(bytes);
            }
            org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), fs.getConf())
                    .rename(tmp, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
        } catch (IOException e) {
            deleteQuietly(writer, tmp);
            throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks before any work that {@code dir} (created if missing) takes a new file: writes and deletes a one-byte
     * probe file there. A read-only location (permissions, HDFS safe mode, a read-only mount) or a full one (no space,
     * an HDFS space or name quota reached, which refuses even one block) fails here with one clear message instead of
     * after the job has computed everything.
     *
     * @param what the output, for the message (e.g. {@code "the dataset"})
     * @throws StageFailedException naming the location, the filesystem's reason and what to do
     */
    public static void requireWritable(FileSystem fs, Path dir, String what) {
        Path probe = new Path(dir, ".cnn-pipeline-write-probe-" + UUID.randomUUID());
        try {
            fs.mkdirs(dir);
            try (OutputStream out = fs.create(probe, false)) {
                out.write(0);
            }
        } catch (IOException | RuntimeException e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getName());
            throw new StageFailedException("Cannot write " + what + " to " + fs.makeQualified(dir) + ": the location "
                    + "is read-only or full (" + e.getClass().getSimpleName() + ": " + reason + "); choose another "
                    + "output location or free space there");
        } finally {
            deleteQuietly(fs, probe);
        }
    }

    public static byte[] read(FileSystem fs, Path path) {
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public static boolean exists(FileSystem fs, Path path) {
        try {
            return fs.exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + path + ": " + e.getMessage(), e);
        }
    }

    public static void deleteQuietly(FileSystem fs, Path path) {
        try {
            fs.delete(path, true);
        } catch (IOException | RuntimeException ignored) {
            // best effort clean-up of our own temporary files
        }
    }

    /**
     * Publishes a fully written staging directory as {@code target} by one directory rename (atomic on HDFS and local
     * filesystems). With {@code overwrite}, an existing target is first moved aside to {@code .<name>.old-<uuid>}
     * beside it, the staging directory renamed in, and the old one deleted. Between the two renames (milliseconds)
     * a reader finds no dataset at {@code target} — never a partial one — because neither HDFS nor a local
     * filesystem can swap two directories at once. If the second rename fails, the old directory is renamed back, so
     * a failed overwrite leaves the previous dataset in place.
     *
     * @throws IllegalStateException if the target exists and {@code overwrite} is false
     * @throws UncheckedIOException  if a rename fails (after the old target was restored; the message says where it
     *                               is if even that failed)
     */
    public static void publishDirectory(FileSystem fs, Path staging, Path target, boolean overwrite) {
        try {
            Path old = null;
            if (fs.exists(target)) {
                if (!overwrite) {
                    throw new IllegalStateException("Cannot publish " + target + ": it already exists and overwrite is off");
                }
                old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
                if (!fs.rename(target, old)) {
                    throw new IOException("cannot move the existing " + target + " aside");
                }
            }
            fs.mkdirs(target.getParent());
            IOException failure = null;
            try {
                if (!fs.rename(staging, target)) {
                    failure = new IOException("rename of " + staging + " to " + target + " failed");
                }
            } catch (IOException e) {
                failure = e;
            }
            if (failure != null) {
                throw old == null ? failure
                        : new IOException(failure.getMessage() + "; " + restore(fs, old, target), failure);
            }
            if (old != null) {
                fs.delete(old, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot publish " + target + ": " + e.getMessage(), e);
        }
    }

    /** Renames the moved-aside {@code old} back to {@code target} after a failed publish; says how it went. */
    private static String restore(FileSystem fs, Path old, Path target) {
        try {
            if (fs.exists(target)) {
                fs.delete(target, true);   // whatever a half-done rename left
            }
            if (fs.rename(old, target)) {
                return "the previous " + target.getName() + " is back in place";
            }
        } catch (IOException e) {
            // reported below
        }
        return "the previous dataset could not be restored: it is at " + old + " (rename it to " + target
                + ")";
    }
}
