package io.cnnpipeline.ingest;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Whole-file reads on the executors through Hadoop's FileSystem, with the driver's Hadoop settings (broadcast once),
 * as the preprocess stage and batch inference read listed files. A file that cannot be read comes back with its
 * quarantine reason instead of an exception: {@code missing-file} (no such file, or a directory), {@code too-large}
 * (more bytes than one Java array holds) or {@code read-failed} (any other I/O or filesystem error).
 */
public final class RemoteFiles implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Map<String, String>> settings;
    private transient Configuration conf;

    private RemoteFiles(Broadcast<Map<String, String>> settings) {
        this.settings = settings;
    }

    /** A reader with {@code spark}'s Hadoop configuration, broadcast to the executors. */
    public static RemoteFiles of(SparkSession spark) {
        Map<String, String> conf = new HashMap<>();
        for (Map.Entry<String, String> e : spark.sparkContext().hadoopConfiguration()) {
            conf.put(e.getKey(), e.getValue());
        }
        return new RemoteFiles(JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(conf));
    }

    /**
     * A file's bytes, or why they could not be read.
     *
     * @param size    the file's length in bytes (0 for a directory, or when even its status could not be read)
     * @param bytes   the content, or null on failure
     * @param reason  the quarantine reason, or null on success
     */
    public record Content(long size, byte[] bytes, String reason, String exceptionClass, String message) {
        /** Whether the file was read. */
        public boolean ok() {
            return reason == null;
        }
    }

    /** The driver's Hadoop configuration, as broadcast (built once per deserialized reader). */
    public Configuration configuration() {
        if (conf == null) {
            Configuration c = new Configuration(false);
            for (Map.Entry<String, String> e : settings.value().entrySet()) {
                c.set(e.getKey(), e.getValue());
            }
            conf = c;
        }
        return conf;
    }

    /**
     * Reads a file whose length a listing gave, without asking the filesystem for its status first (one request per
     * file instead of two on HDFS or an object store); a file that has changed length since is read again as
     * {@link #read(String)} does. Never throws for a file that cannot be read.
     *
     * @param listedLength the file's length in bytes when it was listed
     */
    public Content read(String path, long listedLength) {
        if (listedLength <= 0 || listedLength > Integer.MAX_VALUE - 16) {
            return read(path);
        }
        try {
            Path p = new Path(path);
            byte[] content = new byte[(int) listedLength];
            try (InputStream in = p.getFileSystem(configuration()).open(p)) {
                org.apache.commons.io.IOUtils.readFully(in, content);
                if (in.read() != -1) {
                    return read(path);
                }
            }
            return new Content(listedLength, content, null, null, null);
        } catch (java.io.EOFException e) {
            return read(path);
        } catch (FileNotFoundException e) {
            return new Content(0, null, "missing-file", e.getClass().getName(), "no such file");
        } catch (IOException | RuntimeException e) {
            return new Content(listedLength, null, "read-failed", e.getClass().getName(),
                    String.valueOf(e.getMessage()));
        }
    }

    /** Reads the whole file at {@code path} (a Hadoop path or URI); never throws for a file that cannot be read. */
    public Content read(String path) {
        Configuration conf = configuration();
        long size = 0;
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(p);
            if (status.isDirectory()) {
                return new Content(0, null, "missing-file", null, "the path is a directory");
            }
            size = status.getLen();
            if (size > Integer.MAX_VALUE - 16) {
                return new Content(size, null, "too-large", null, size + " bytes do not fit one array");
            }
            byte[] content = new byte[(int) size];
            try (InputStream in = fs.open(p)) {
                org.apache.commons.io.IOUtils.readFully(in, content);
            }
            return new Content(size, content, null, null, null);
        } catch (FileNotFoundException e) {
            return new Content(size, null, "missing-file", e.getClass().getName(), "no such file");
        } catch (IOException | RuntimeException e) {
            return new Content(size, null, "read-failed", e.getClass().getName(), String.valueOf(e.getMessage()));
        }
    }
}
