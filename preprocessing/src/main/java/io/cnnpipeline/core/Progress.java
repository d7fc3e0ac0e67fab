package io.cnnpipeline.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stage's progress line every few seconds, for a person watching a batch job, a notebook cell or an Airflow log:
 * <pre>progress: train 1:40 elapsed — epoch 2/10, round 14/46, iteration 420, loss 0.6034 — images 17,920/60,000
 * (1,512/s), ETA 0:28 — Spark stage 31: tasks 1/2</pre>
 * Spark's part (active stages, tasks done/total) comes from a {@link SparkListener} on the driver; the stage's own
 * part (images done/total, epoch, round, loss) from the job through {@link #units} and {@link #detail}. Spark's
 * console progress bar stays off ({@code spark.ui.showConsoleProgress=false}).
 *
 * <p>Lines go to the logger {@code io.cnnpipeline.progress} at INFO (the switch: set that logger to WARN, as the
 * tests' logging configuration does; in a Jupyter cell the log shows in the cell's output) and to every
 * {@link #addSink sink}, e.g. a notebook widget or a status file. The interval is JVM-wide ({@link #setInterval}; the {@code progress.every-seconds} key, default 15;
 * zero turns the lines off). Driver-only; thread-safe.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("io.cnnpipeline.progress");
    private static final String PREFIX = "progress: ";
    private static final List<Consumer<String>> SINKS = new CopyOnWriteArrayList<>();
    private static volatile Duration interval = Duration.ofSeconds(15);
    private static final Progress NONE = new Progress(null, "", Duration.ZERO);
    private static volatile Progress current = NONE;

    private final SparkContext sc;
    private final String stage;
    private final long startNanos = System.nanoTime();
    private final Listener listener;
    private final ScheduledExecutorService ticker;
    private volatile String detail = "";
    private volatile long unitsDone;
    private volatile long unitsTotal;
    private volatile long unitsStartNanos = System.nanoTime();
    private volatile String unit = "";

    private Progress(SparkContext sc, String stage, Duration every) {
        this.sc = sc;
        this.stage = stage;
        if (sc == null || every.isZero() || every.isNegative()) {
            this.listener = null;
            this.ticker = null;
            return;
        }
        this.listener = new Listener();
        sc.addSparkListener(listener);
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cnn-pipeline-progress");
            t.setDaemon(true);
            return t;
        });
        long ms = every.toMillis();
        ticker.scheduleAtFixedRate(this::report, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts reporting {@code stage} (e.g. {@code "train"}) on {@code sc} every {@link #setInterval interval}, and
     * makes it {@link #current()}; close it when the stage ends.
     */
    public static Progress start(SparkContext sc, String stage) {
        Progress p = new Progress(sc, stage, interval);
        current = p;
        return p;
    }

    /** The progress of the stage running now, or one that reports nothing. */
    public static Progress current() {
        return current;
    }

    /** Sets the time between progress lines for stages started from now on; zero or negative = no lines. */
    public static void setInterval(Duration every) {
        interval = every;
    }

    /** Also sends every progress line to {@code sink} (e.g. a notebook's {@code System.out::println}). */
    public static void addSink(Consumer<String> sink) {
        SINKS.add(sink);
    }

    /** Stops sending lines to {@code sink}. */
    public static void removeSink(Consumer<String> sink) {
        SINKS.remove(sink);
    }

    /**
     * The stage's own count: {@code done} of {@code total} {@code unit}s (e.g. images); the rate and the ETA are
     * computed from the counts since the last {@link #restartUnits}.
     */
    public void units(String unit, long done, long total) {
        this.unit = unit;
        this.unitsDone = done;
        this.unitsTotal = total;
    }

    /** Starts the rate clock again (a new epoch). */
    public void restartUnits() {
        unitsStartNanos = System.nanoTime();
        unitsDone = 0;
    }

    /** The stage's own state, e.g. {@code "epoch 2/10, round 14/46, iteration 420, loss 0.6034"}. */
    public void detail(String text) {
        this.detail = text;
    }

    /** The progress line as of now. */
    public String line() {
        StringBuilder b = new StringBuilder(PREFIX).append(stage).append(' ')
                .append(clock((System.nanoTime() - startNanos) / 1e9)).append(" elapsed");
        if (!detail.isEmpty()) {
            b.append(" — ").append(detail);
        }
        long done = unitsDone;
        long total = unitsTotal;
        if (total > 0) {
            double seconds = (System.nanoTime() - unitsStartNanos) / 1e9;
            double rate = seconds > 0 ? done / seconds : 0;
            b.append(String.format(Locale.ROOT, " — %s %,d/%,d", unit, done, total));
            if (rate > 0) {
                b.append(String.format(Locale.ROOT, " (%,.0f/s), ETA %s", rate, clock((total - done) / rate)));
            }
        }
        if (listener != null) {
            String spark = listener.describe();
            if (!spark.isEmpty()) {
                b.append(" — ").append(spark);
            }
        }
        return b.toString();
    }

    private void report() {
        String line = line();
        LOG.info(line.substring(PREFIX.length()));   // the logger's name says "progress" already
        for (Consumer<String> sink : SINKS) {
            sink.accept(line);
        }
    }

    /** Minutes:seconds, or hours:minutes:seconds. */
    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            sc.removeSparkListener(listener);
        }
        if (current == this) {
            current = NONE;
        }
    }

    /** Tasks done and total of the stages Spark runs now. */
    private static final class Listener extends SparkListener {
        private final Map<Integer, int[]> active = new TreeMap<>();

        @Override
        public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
            active.put(e.stageInfo().stageId(), new int[] {0, e.stageInfo().numTasks()});
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
            int[] counts = active.get(e.stageId());
            if (counts != null && e.taskInfo().successful()) {
                counts[0]++;
            }
        }

        @Override
        public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
            active.remove(e.stageInfo().stageId());
        }

        synchronized String describe() {
            List<String> parts = new ArrayList<>();
            active.forEach((id, c) -> parts.add(String.format(Locale.ROOT, "Spark stage %d: tasks %d/%d", id, c[0],
                    c[1])));
            return String.join(", ", parts);
        }
    }
}
