package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Progress lines from a real Spark job on local Spark: Spark's tasks, the stage's own counts, and the switch. */
class ProgressTest {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Consumer<String> sink = lines::add;

    @AfterEach
    void reset() {
        Progress.removeSink(sink);
        Progress.setInterval(Duration.ofSeconds(15));
    }

    @Test
    void linesShowTheRunningStagesTasksAndTheJobsCounts() throws Exception {
        Progress.addSink(sink);
        Progress.setInterval(Duration.ofMillis(100));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.get().sparkContext());
        try (Progress p = Progress.start(jsc.sc(), "preprocess")) {
            assertEquals(p, Progress.current());
            p.detail("decoding 8 images");
            p.units("images", 3, 8);
            // 8 tasks of 300 ms on 2 cores: about 1.2 s in which the lines see tasks done out of 8.
            jsc.parallelize(List.of(1, 2, 3, 4, 5, 6, 7, 8), 8).foreach(x -> Thread.sleep(300));
            Thread.sleep(250);
        }
        assertTrue(lines.size() >= 5, lines.toString());
        assertTrue(lines.stream().allMatch(l -> l.startsWith("progress: preprocess ")
                && l.contains(" elapsed — decoding 8 images — images 3/8")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches(".*Spark stage \\d+: tasks [1-7]/8.*")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches(".*images 3/8 \\(\\d+/s\\), ETA \\d+:\\d\\d.*")),
                lines.toString());
        // After close: no more lines, and nothing is current.
        int n = lines.size();
        Thread.sleep(400);
        assertEquals(n, lines.size());
        assertTrue(Progress.current().line().startsWith("progress:  "), Progress.current().line());
    }

    @Test
    void aZeroIntervalPrintsNothing() throws Exception {
        Progress.addSink(sink);
        Progress.setInterval(Duration.ZERO);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.get().sparkContext());
        try (Progress p = Progress.start(jsc.sc(), "train")) {
            jsc.parallelize(List.of(1, 2), 2).foreach(x -> Thread.sleep(300));
        }
        assertEquals(List.of(), lines);
    }

    @Test
    void clockReadsMinutesOrHours() {
        assertEquals("0:07", Progress.clock(7.4));
        assertEquals("2:05", Progress.clock(125));
        assertEquals("1:00:01", Progress.clock(3601));
        assertEquals("0:00", Progress.clock(-3));
    }
}
