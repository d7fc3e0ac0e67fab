package io.cnnpipeline.training.dl4j;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Makes {@code OMP_NUM_THREADS} hold for the thread that initialized ND4J.
 *
 * <p>ND4J 1.0.0-M2's {@code NativeOpsHolder} reads {@code OMP_NUM_THREADS}, sets it, and then unconditionally sets 4
 * OpenMP threads. OpenMP's thread count is a per-thread setting, so only the thread that initialized ND4J is affected:
 * Spark's task threads, created later, start from the environment's value. On a driver or a single JVM that trains in
 * its main thread, 4 threads on a 2-core machine made LeNet train at 689 images/s on 1.7 cores; with the
 * environment's 1 thread it trains at 845 images/s on 1.1 cores.
 */
public final class OmpThreads {
    private OmpThreads() {
    }

    /**
     * Initializes ND4J if needed and sets the calling thread's OpenMP thread count to {@code OMP_NUM_THREADS}; does
     * nothing when the variable is unset or not a positive number.
     */
    public static void honourEnvironment() {
        String value = System.getenv("OMP_NUM_THREADS");
        if (value == null) {
            return;
        }
        int threads;
        try {
            threads = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return;
        }
        if (threads > 0) {
            Nd4j.getExecutioner();
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        }
    }

    /** The calling thread's OpenMP thread count as ND4J reports it. */
    public static int current() {
        Nd4j.getExecutioner();
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }
}
