package org.nd4j.nativeblas;

/**
 * Restores DL4J 1.0.0-M2's oneDNN layer helpers, which that release disables on every machine.
 *
 * <p>DL4J decides whether its CPU layers (convolution, subsampling, batch normalization, LRN, LSTM) run through
 * libnd4j's oneDNN-backed ops or through its own Java-side im2col + gemm path in
 * {@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper#mklDnnEnabled()}: it loads the class
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment} by name and calls {@code isUseMKLDNN()} on its instance. In ND4J
 * 1.0.0-M2 that binding moved to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and the method
 * was renamed {@code isUseONEDNN()}; the lookup fails, DL4J records the failure and never creates a helper. This
 * class answers that lookup by delegating to the moved binding, so the decision is again libnd4j's own (true when
 * the native library was built with oneDNN and neither {@code Nd4j.getEnvironment().allowHelpers(false)} nor
 * libnd4j's own switches turned it off).
 *
 * <p>Measured with the {@code linux-x86_64-onednn} build of nd4j-native on one thread: LeNet trains at 719 images/s
 * with the helpers against 249 without; the im2col into DL4J's permuted column buffer alone took 26 ns per element.
 * Outputs and gradients of the two paths agree to float rounding ({@code OneDnnHelpersTest}).
 *
 * <p>Nothing else of ND4J's API lives in this class; it is looked up by name only.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The view of libnd4j's environment that DL4J's helper check expects. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        /** The single instance, as libnd4j's environment is a process-wide singleton. */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /**
         * Whether libnd4j will run its oneDNN implementations.
         *
         * @return libnd4j's {@code Environment::isUseONEDNN()}; false on a non-CPU backend, where the binding is absent
         */
        public boolean isUseMKLDNN() {
            try {
                Class<?> bindings = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object environment = bindings.getMethod("getInstance").invoke(null);
                return (Boolean) bindings.getMethod("isUseONEDNN").invoke(environment);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
