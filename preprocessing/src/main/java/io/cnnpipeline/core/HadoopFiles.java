package io.cnnpipeline.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
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
     */
    public static void writeAtomically(FileSystem fs, Path target, byte[] bytes) {
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(bytes);
            }
            org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), fs.getConf())
                    .rename(tmp, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
        } catch (IOException e) {
            deleteQuietly(fs, tmp);
            throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
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
     * filesystems). With {@code overwrite}, an existing target is first moved aside and deleted after the rename.
     *
     * @throws IllegalStateException if the target exists and {@code overwrite} is false
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
            if (!fs.rename(staging, target)) {
                throw new IOException("rename of " + staging + " to " + target + " failed");
            }
            if (old != null) {
                fs.delete(old, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot publish " + target + ": " + e.getMessage(), e);
        }
    }
}
