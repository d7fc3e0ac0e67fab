package io.cnnpipeline.benchmarks;

import io.cnnpipeline.core.Json;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.ingest.IngestResult;
import io.cnnpipeline.pipeline.FashionMnist;
import io.cnnpipeline.pipeline.Pipeline;
import io.cnnpipeline.pipeline.PipelineConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * The preprocess job on a large input of small files: {@code files} real Fashion-MNIST images (the 70,000 written out
 * again and again under distinct names, 28×28 grey PNG, ~100,000 per class folder) ingested by a child JVM whose heap
 * is capped (the driver's budget), in Spark local mode. Reports wall time, images/s, the driver JVM's peak heap after
 * garbage collection (in local mode the executors' tasks share that heap, so this bounds the driver's from above),
 * its peak RSS, the number of Spark tasks and stages, and the largest task Spark warned of (it warns above 1,000 KiB).
 */
final class IngestBench {
    private static final String MARKER = ".bench-ingest.json";
    private static final Pattern LARGE_TASK = Pattern.compile("very large size \\((\\d+) KiB\\)");
    private static final Pattern LISTED = Pattern.compile("listed (\\d+) image files and (\\d+) other entries in "
            + "([0-9.]+) s \\((\\d+) listing tasks\\)");

    /** One run's figures. */
    record Result(long files, long inputs, long written, long quarantined, long ignored, double listingSeconds,
                  long listingTasks, double seconds, double imagesPerSecond,
                  String heapLimit, long peakHeapAfterGcBytes, long peakRssBytes, long tasks, long stages,
                  long largestTaskStage, long largestTaskKiB, String contentSha256) {
    }

    private IngestBench() {
    }

    /**
     * Writes {@code files} PNGs as {@code <dir>/<class>/<n>.png} (image {@code n mod 70,000} of Fashion-MNIST's train
     * then test images), unless a previous call left the same set (a marker file records the count).
     */
    static void generate(Path idx, Path dir, int files, java.io.PrintWriter out) throws IOException {
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker) && Json.MAPPER.readValue(marker.toFile(), Map.class).equals(Map.of("files", files))) {
            out.printf(Locale.ROOT, "bench ingest: reusing %,d images in %s%n", files, dir);
            return;
        }
        if (Files.exists(dir)) {
            org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
        }
        FashionMnist.Split train = FashionMnist.read(idx, "train", 0);
        FashionMnist.Split test = FashionMnist.read(idx, "t10k", 0);
        for (String c : FashionMnist.CLASSES) {
            Files.createDirectories(dir.resolve(c));
        }
        long t0 = System.nanoTime();
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        int n = train.size() + test.size();
        IntStream.range(0, files).parallel().forEach(i -> {
            int k = i % n;
            FashionMnist.Split s = k < train.size() ? train : test;
            int j = k < train.size() ? k : k - train.size();
            UInt8Image image = new UInt8Image(s.cols(), s.rows(), 1, s.images()[j]);
            Path file = dir.resolve(FashionMnist.CLASSES.get(s.labels()[j]))
                    .resolve(String.format(Locale.ROOT, "%07d.png", i));
            try {
                Files.write(file, png.encode(image));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot write " + file, e);
            }
        });
        Files.write(marker, Json.toBytes(Map.of("files", files)));
        out.printf(Locale.ROOT, "bench ingest: wrote %,d images to %s in %.0f s%n", files, dir,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Runs the ingest of {@code dir} into {@code output} in a child JVM with heap {@code heap} (e.g. 1g). */
    static Result runJvm(Path dir, Path output, String heap, int cores) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Xmx") && !a.startsWith("-Xms")) {
                command.add(a);
            }
        }
        command.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                IngestBench.class.getName(), dir.toString(), output.toString(), heap, Integer.toString(cores)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = null;
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring(7);
                } else {
                    tail.add(line);
                    if (tail.size() > 40) {
                        tail.remove(0);
                    }
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null) {
            throw new IllegalStateException("bench ingest: the ingest JVM exited with " + rc + ":\n"
                    + String.join("\n", tail));
        }
        return Json.MAPPER.readValue(result, Result.class);
    }

    /** Child-process entry: {@code IngestBench <images dir> <output dir> <heap> <cores>}; prints {@code RESULT <json>}. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path output = Path.of(args[1]);
        AtomicLong peakAfterGc = watchHeapAfterGc();
        AtomicLong largestTaskKiB = new AtomicLong(-1);
        AtomicLong largestTaskStage = new AtomicLong(-1);
        String[] listed = new String[1];
        watchLog(largestTaskKiB, largestTaskStage, listed);
        SparkSession spark = SparkSession.builder().master("local[" + args[3] + "]").appName("bench ingest")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
        AtomicLong tasks = new AtomicLong();
        AtomicLong stages = new AtomicLong();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
                tasks.incrementAndGet();
            }

            @Override
            public void onStageCompleted(SparkListenerStageCompleted stageCompleted) {
                stages.incrementAndGet();
            }
        });
        PipelineConfig config = PipelineConfig.load(null, List.of(), List.of(
                "preprocess.inputs.train=\"" + dir + "\"", "preprocess.output=\"" + output + "\"",
                "preprocess.channels=1", "preprocess.short-side=0", "preprocess.validation-fraction=0.1",
                "preprocess.overwrite=true"));
        long t0 = System.nanoTime();
        IngestResult r = Pipeline.preprocess(spark, config.preprocess());
        double seconds = (System.nanoTime() - t0) / 1e9;
        spark.stop();
        System.gc();
        var m = r.manifest();
        long files;
        try (var s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).count();
        }
        Matcher l = LISTED.matcher(listed[0] == null ? "" : listed[0]);
        boolean found = l.find();
        Result result = new Result(files, m.inputCount(), m.written(), m.quarantined(),
                m.ignored().values().stream().mapToLong(Long::longValue).sum(),
                found ? Double.parseDouble(l.group(3)) : -1, found ? Long.parseLong(l.group(4)) : -1, seconds,
                m.inputCount() / seconds,
                args[2], peakAfterGc.get(), ProcessStats.peakRss(ProcessHandle.current().pid()), tasks.get(),
                stages.get(), largestTaskStage.get(), largestTaskKiB.get(), m.contentSha256());
        System.out.println("RESULT " + new String(Json.toBytes(result), StandardCharsets.UTF_8).replace('\n', ' '));
        System.exit(0);
    }

    /** The largest heap in use just after a collection, in bytes, updated on every collection. */
    private static AtomicLong watchHeapAfterGc() {
        AtomicLong peak = new AtomicLong();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
                if (!"com.sun.management.gc.notification".equals(notification.getType())) {
                    return;
                }
                var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                        (CompositeData) notification.getUserData());
                long used = 0;
                for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (isHeap(e.getKey())) {
                        used += e.getValue().getUsed();
                    }
                }
                peak.accumulateAndGet(used, Math::max);
            }, null, null);
        }
        return peak;
    }

    private static boolean isHeap(String pool) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(pool)) {
                return p.getType() == MemoryType.HEAP;
            }
        }
        return false;
    }

    /**
     * Records the largest task size Spark's scheduler warns of ("contains a task of very large size (N KiB)") and
     * the preprocess job's listing line.
     */
    private static void watchLog(AtomicLong largestKiB, AtomicLong stage, String[] listed) {
        LoggerContext context = (LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        AbstractAppender appender = new AbstractAppender("bench-ingest-task-size", null, null, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                String message = event.getMessage().getFormattedMessage();
                if (LISTED.matcher(message).find()) {
                    listed[0] = message;
                }
                Matcher m = LARGE_TASK.matcher(message);
                if (m.find() && Long.parseLong(m.group(1)) > largestKiB.get()) {
                    largestKiB.set(Long.parseLong(m.group(1)));
                    Matcher s = Pattern.compile("Stage (\\d+)").matcher(message);
                    stage.set(s.find() ? Long.parseLong(s.group(1)) : -1);
                }
            }
        };
        appender.start();
        var config = context.getConfiguration();
        config.addAppender(appender);
        var logger = new org.apache.logging.log4j.core.config.LoggerConfig(
                "org.apache.spark.scheduler.TaskSetManager", Level.WARN, true);
        logger.addAppender(appender, Level.WARN, null);
        config.addLogger(logger.getName(), logger);
        var listing = new org.apache.logging.log4j.core.config.LoggerConfig(
                "io.cnnpipeline.ingest.FolderWalk", Level.INFO, true);
        listing.addAppender(appender, Level.INFO, null);
        config.addLogger(listing.getName(), listing);
        context.updateLoggers();
    }
}
