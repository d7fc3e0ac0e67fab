package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * ND4J 1.0.0-M2 leaves the initializing thread with 4 OpenMP threads whatever OMP_NUM_THREADS says; after
 * {@link OmpThreads#honourEnvironment()} the calling thread has the environment's count (Surefire runs the tests with
 * OMP_NUM_THREADS=1).
 */
class OmpThreadsTest {
    @Test
    void theCallingThreadGetsTheEnvironmentsThreadCount() {
        String env = System.getenv("OMP_NUM_THREADS");
        org.junit.jupiter.api.Assumptions.assumeTrue(env != null, "OMP_NUM_THREADS is set by the build");
        OmpThreads.current();   // ND4J initialized
        org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(4);   // as ND4J does
        assertEquals(4, OmpThreads.current());
        OmpThreads.honourEnvironment();
        assertEquals(Integer.parseInt(env), OmpThreads.current());
    }
}
