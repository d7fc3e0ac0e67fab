package io.cnnpipeline.training.dl4j;

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

    @Test
    void anExecutorTaskThatDeserializesTheTrainingHookGetsTheEnvironmentsThreadCount() throws Exception {
        String env = System.getenv("OMP_NUM_THREADS");
        org.junit.jupiter.api.Assumptions.assumeTrue(env != null, "OMP_NUM_THREADS is set by the build");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(LayerHelpers.EXECUTOR_HOOK);   // as the training master ships it in each task
        }
        OmpThreads.current();
        // A task thread that initialized ND4J on an executor has 4 threads.
        org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(4);
        assertEquals(4, OmpThreads.current());
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            in.readObject();
        }
        assertEquals(Integer.parseInt(env), OmpThreads.current());
    }
}
