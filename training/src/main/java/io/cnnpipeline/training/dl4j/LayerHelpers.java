package io.cnnpipeline.training.dl4j;

import io.cnnpipeline.training.zoo.Networks;
import java.io.IOException;
import java.io.ObjectInputStream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Turns on DL4J's platform layer helpers — oneDNN on the CPU backend, cuDNN on the CUDA backend — for the networks
 * this JVM builds from now on.
 *
 * <p>DL4J 1.0.0-M2 ships with them off: a layer asks {@code HelperUtils.createHelper} for a helper only when the system
 * property {@value #DISABLE_PROPERTY} is {@code false}, and its default is {@code true}. Without a helper, convolution,
 * subsampling and batch normalization run DL4J's Java-side path (im2col into a permuted column buffer, then gemm), which
 * on LeNet spends ~65% of training time in im2col. A CPU helper additionally needs {@code org.nd4j.nativeblas.Nd4jCpu}
 * (in this module) to answer DL4J's oneDNN check, which looks for a binding ND4J M2 moved.
 *
 * <p>The property is read when each layer is constructed, so it must be set in every JVM before networks are built:
 * {@link Networks#build} and model restores do it on the driver; on executors, dl4j-spark builds each averaging round's
 * network itself, and the training master carries {@link #EXECUTOR_HOOK}, which does it when the executor deserializes
 * the worker — before the worker builds its network. The same hook makes {@code OMP_NUM_THREADS} hold for the task
 * thread ({@link OmpThreads}): in an executor JVM the first task thread is the one that initializes ND4J, which then
 * gives it 4 OpenMP threads whatever the environment says (seen on a local cluster: 4 threads per one-core executor
 * with {@code OMP_NUM_THREADS=1}). A user who sets the property to {@code true} explicitly (for
 * example {@code -Dorg.eclipse.deeplearning4j.helpers.disable=true}, to compare paths) keeps that choice.
 */
public final class LayerHelpers {
    /** DL4J's switch ({@code DL4JSystemProperties.DISABLE_HELPER_PROPERTY}). */
    public static final String DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    /**
     * A dl4j-spark training hook that, when a task deserializes it, enables the helpers in the executor's JVM and sets
     * the task thread's OpenMP threads to {@code OMP_NUM_THREADS}; before each minibatch it makes the worker's network
     * skip its first layer's input gradient ({@link #skipInputGradient}).
     */
    public static final TrainingHook EXECUTOR_HOOK = new ExecutorHook();

    /**
     * The same for dl4j-spark's gradient-sharing master, which passes listeners to its workers but not hooks: a
     * training listener that does the same, and applies {@link AeronSettings}, when deserialized, and nothing when
     * called.
     */
    public static final org.deeplearning4j.optimize.api.TrainingListener EXECUTOR_LISTENER = new ExecutorListener();

    private LayerHelpers() {
    }

    /**
     * Enables the helpers in this JVM unless {@value #DISABLE_PROPERTY} was set explicitly, and on the CPU backend
     * routes NCHW pooling to libnd4j's own kernels ({@link NativePooling}, which the CUDA build does not compile).
     * Idempotent.
     */
    public static void enable() {
        if (System.getProperty(DISABLE_PROPERTY) == null) {
            System.setProperty(DISABLE_PROPERTY, "false");
        }
        try {
            Class.forName("io.cnnpipeline.training.dl4j.NativePooling").getMethod("install").invoke(null);
        } catch (ClassNotFoundException e) {
            // the CUDA build: pooling runs on cuDNN or libnd4j's CUDA kernels
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot install NativePooling", e);
        }
    }

    /**
     * Makes {@code model} skip its first convolution layer's input gradient in training ({@link
     * FirstConvolutionHelper}: weight and bias gradients only, since training discards that layer's input gradient).
     * Idempotent; does nothing where it does not apply (no such layer, no oneDNN helper).
     */
    public static void skipInputGradient(Model model) {
        FirstConvolutionHelper.install(model);
    }

    private static final class ExecutorListener extends org.deeplearning4j.optimize.api.BaseTrainingListener
            implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public void onForwardPass(Model model, java.util.List<org.nd4j.linalg.api.ndarray.INDArray> activations) {
            skipInputGradient(model);
        }

        @Override
        public void onForwardPass(Model model,
                                  java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> activations) {
            skipInputGradient(model);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            JvmSettings.install();
            OmpThreads.honourEnvironment();
        }
    }

    private static final class ExecutorHook implements TrainingHook {
        private static final long serialVersionUID = 1L;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            JvmSettings.install();
            OmpThreads.honourEnvironment();
        }

        @Override
        public void preUpdate(DataSet minibatch, Model model) {
            skipInputGradient(model);
        }

        @Override
        public void postUpdate(DataSet minibatch, Model model) {
        }

        @Override
        public void preUpdate(MultiDataSet minibatch, Model model) {
            skipInputGradient(model);
        }

        @Override
        public void postUpdate(MultiDataSet minibatch, Model model) {
        }
    }
}
