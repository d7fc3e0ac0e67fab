package io.cnnpipeline.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of processes, as the benches report them (Linux {@code /proc}). */
final class ProcessStats {
    private ProcessStats() {
    }

    /** CPU time of this JVM in nanoseconds, all threads. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Peak resident set size (VmHWM) of a process in bytes, or -1 where {@code /proc} cannot tell. */
    static long peakRss(long pid) {
        return status(pid, "VmHWM:");
    }

    /** Current resident set size (VmRSS) of a process in bytes, or -1 where {@code /proc} cannot tell. */
    static long rss(long pid) {
        return status(pid, "VmRSS:");
    }

    private static long status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
