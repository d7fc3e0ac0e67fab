package io.cnnpipeline.training;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Bounds the wall time of one epoch's fit ({@code train.epoch-timeout-minutes}): the Spark jobs the calling thread
 * submits while the watchdog is open run in their own job group, and once the limit has passed the group's jobs are
 * cancelled (tasks interrupted), as are any the fit submits afterwards, so that the fit fails instead of waiting on a
 * hung executor, network or parameter-server handshake for ever. Driver-side; one per epoch, opened and closed on the
 * thread that fits.
 *
 * <p>A limit of 0 makes a watchdog that does nothing. Closing it restores the thread's previous job group.
 */
final class EpochWatchdog implements AutoCloseable {
    private static final String GROUP = "spark.jobGroup.id";
    private static final String DESCRIPTION = "spark.job.description";
    private static final String INTERRUPT = "spark.job.interruptOnCancel";
    /** How often the group is cancelled again after the limit (jobs the fit submits after the first cancel). */
    private static final long RECANCEL_MILLIS = 20;

    private final SparkContext sc;
    private final double minutes;
    private final String[] previous;
    private final ScheduledExecutorService timer;
    private volatile boolean fired;

    private EpochWatchdog(JavaSparkContext jsc, String group, double minutes) {
        this.sc = jsc.sc();
        this.minutes = minutes;
        if (minutes <= 0) {
            previous = null;
            timer = null;
            return;
        }
        previous = new String[] {sc.getLocalProperty(GROUP), sc.getLocalProperty(DESCRIPTION),
            sc.getLocalProperty(INTERRUPT)};
        jsc.setJobGroup(group, "training epoch (limit " + minutes + " min)", true);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "epoch-watchdog-" + group);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            fired = true;
            sc.cancelJobGroup(group);
        }, Math.max(1, Math.round(minutes * 60_000)), RECANCEL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching the calling thread's Spark jobs.
     *
     * @param runId   the run's id, part of the job group's name
     * @param epoch   1-based epoch being fitted
     * @param minutes the limit in minutes; 0 = none
     */
    static EpochWatchdog start(JavaSparkContext jsc, String runId, int epoch, double minutes) {
        return new EpochWatchdog(jsc, "cnn-pipeline-" + runId + "-epoch-" + epoch, minutes);
    }

    /** Whether the limit has passed (and the epoch's jobs have been cancelled). */
    boolean fired() {
        return fired;
    }

    /** The limit as the user gave it, for messages. */
    String limit() {
        return java.math.BigDecimal.valueOf(minutes).stripTrailingZeros().toPlainString() + " min";
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        sc.setLocalProperty(GROUP, previous[0]);
        sc.setLocalProperty(DESCRIPTION, previous[1]);
        sc.setLocalProperty(INTERRUPT, previous[2]);
    }
}
