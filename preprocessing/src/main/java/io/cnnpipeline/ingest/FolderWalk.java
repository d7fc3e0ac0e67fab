package io.cnnpipeline.ingest;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The listing of class-folder inputs as a Spark job: the driver lists only the first level below each input root
 * (keeping its folders, not its files), and the executors walk each folder, so no list of the input's files is ever
 * held by the driver or shipped in a task. A million-file input costs the driver a few folder names; each task
 * carries one folder path.
 *
 * <p>Every entry below a root becomes one row ({@link #FILE}, {@link #HIDDEN} or {@link #NOT_AN_IMAGE}); names
 * starting with {@code .} or {@code _} are hidden, as Spark's file sources have them (a hidden folder counts once and
 * is not entered), and extensions compare in any letter case. Driver-side entry point; the walk runs on executors.
 * Used by preprocess ({@link IngestJob}) and by batch prediction over a folder.
 */
public final class FolderWalk {
    /** Entry kinds: an image file to read, a hidden entry, a file without an image extension. */
    public static final String FILE = "file";
    public static final String HIDDEN = "hidden";
    public static final String NOT_AN_IMAGE = "not-an-image-extension";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FolderWalk.class);

    /** Ignored paths kept as a sample (the first in path order). */
    static final int SAMPLE = 10;

    private FolderWalk() {
    }

    /**
     * Every entry below the roots as a row (kind, input split, qualified path, length in bytes), persisted.
     *
     * The caller unpersists it when done.
     *
     * @param roots split → qualified root URI (a root may be a single file)
     * @param glob  entries below each root to read ("" = all of it; Hadoop glob syntax, relative to the root)
     * @throws UncheckedIOException if a root or a glob cannot be listed on the driver
     */
    public static JavaRDD<Row> walk(SparkSession spark, Map<String, String> roots, List<String> extensions, String glob) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<Row> entries = new ArrayList<>();       // the glob's file matches and hidden first-level folders
        List<String[]> folders = new ArrayList<>();  // {split, folder, "deep" | "shallow"}
        for (Map.Entry<String, String> root : roots.entrySet()) {
            String split = root.getKey();
            FileSystem fs = io.cnnpipeline.core.HadoopFiles.fs(root.getValue(), hadoop);
            try {
                List<Path> matches = IngestJob.globMatches(root.getValue(), glob, hadoop);
                if (matches.isEmpty()) {
                    LOG.warn("preprocess: no path under {} matches preprocess.path-glob = {}", root.getValue(), glob);
                }
                for (Path match : matches) {
                    FileStatus st = fs.getFileStatus(match);
                    if (!st.isDirectory()) {
                        entries.add(entry(fs.makeQualified(match), st.getLen(), split, extensions));
                        continue;
                    }
                    // The folder's own files are one task; each of its folders is walked by another.
                    folders.add(new String[] {split, fs.makeQualified(match).toString(), "shallow"});
                    RemoteIterator<FileStatus> it = fs.listStatusIterator(match);
                    while (it.hasNext()) {
                        FileStatus child = it.next();
                        if (!child.isDirectory()) {
                            continue;
                        }
                        Path p = fs.makeQualified(child.getPath());
                        if (hidden(p.getName())) {
                            entries.add(RowFactory.create(HIDDEN, split, p.toString(), 0L));
                        } else {
                            folders.add(new String[] {split, p.toString(), "deep"});
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list " + root.getValue() + ": " + e.getMessage(), e);
            }
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> walked = folders.isEmpty() ? jsc.emptyRDD()
                : jsc.parallelize(folders, folders.size()).mapPartitions(new WalkFolders(RemoteFiles.of(spark),
                        extensions));
        return walked.union(jsc.parallelize(entries, 1)).persist(StorageLevel.MEMORY_AND_DISK_SER());
    }

    /**
     * The ignored entries of a walk: count per reason and a sample of paths (the first action on the walk, so it
     * logs how long the listing took).
     */
    static IngestJob.Listing ignored(JavaRDD<Row> walk) {
        long start = System.nanoTime();
        Map<String, Long> counts = new TreeMap<>(walk.mapToPair(r -> new Tuple2<>(r.getString(0), 1L))
                .reduceByKey(Long::sum).collectAsMap());
        long files = counts.getOrDefault(FILE, 0L);
        counts.remove(FILE);
        LOG.info(String.format(Locale.ROOT, "preprocess: listed %d image files and %d other entries in %.1f s (%d "
                + "listing tasks)", files, counts.values().stream().mapToLong(Long::longValue).sum(),
                (System.nanoTime() - start) / 1e9, walk.getNumPartitions()));
        List<String> sample = walk.filter(r -> !FILE.equals(r.getString(0))).map(r -> r.getString(2))
                .takeOrdered(SAMPLE);
        return new IngestJob.Listing(Map.of(), counts, sample);
    }

    /** Whether a name is hidden from the walk ({@code .} or {@code _} first, as Spark's file sources skip). */
    static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    private static Row entry(Path path, long length, String split, List<String> extensions) {
        return RowFactory.create(hasExtension(path.getName(), extensions) ? FILE : NOT_AN_IMAGE, split,
                path.toString(), length);
    }

    /** Whether {@code name}'s extension is one of {@code extensions} (lower case), in any letter case. */
    static boolean hasExtension(String name, List<String> extensions) {
        int dot = name.lastIndexOf('.');
        return extensions.contains(dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Executor side: walks folders ({split, folder, deep|shallow}) lazily into entry rows. */
    static final class WalkFolders implements FlatMapFunction<Iterator<String[]>, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final RemoteFiles files;
        private final List<String> extensions;

        WalkFolders(RemoteFiles files, List<String> extensions) {
            this.files = files;
            this.extensions = List.copyOf(extensions);
        }

        @Override
        public Iterator<Row> call(Iterator<String[]> folders) {
            Configuration hadoop = files.configuration();
            return new Iterator<>() {
                private final Deque<RemoteIterator<FileStatus>> open = new ArrayDeque<>();
                private String split;
                private boolean deep;
                private FileSystem fs;
                private Row next;

                @Override
                public boolean hasNext() {
                    try {
                        while (next == null) {
                            if (open.isEmpty()) {
                                if (!folders.hasNext()) {
                                    return false;
                                }
                                String[] f = folders.next();
                                split = f[0];
                                deep = f[2].equals("deep");
                                Path folder = new Path(f[1]);
                                fs = folder.getFileSystem(hadoop);
                                open.push(fs.listStatusIterator(folder));
                                continue;
                            }
                            if (!open.peek().hasNext()) {
                                open.pop();
                                continue;
                            }
                            FileStatus st = open.peek().next();
                            Path p = fs.makeQualified(st.getPath());
                            if (st.isDirectory()) {
                                if (!deep) {
                                    continue;    // listed by the driver, walked by its own task
                                }
                                if (hidden(p.getName())) {
                                    next = RowFactory.create(HIDDEN, split, p.toString(), 0L);
                                } else {
                                    open.push(fs.listStatusIterator(p));
                                }
                            } else if (hidden(p.getName())) {
                                next = RowFactory.create(HIDDEN, split, p.toString(), st.getLen());
                            } else {
                                next = entry(p, st.getLen(), split, extensions);
                            }
                        }
                        return true;
                    } catch (IOException e) {
                        throw new UncheckedIOException("Cannot list below the inputs: " + e.getMessage(), e);
                    }
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Row r = next;
                    next = null;
                    return r;
                }
            };
        }
    }
}
